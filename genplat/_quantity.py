"""Kubernetes resource quantities (``500m``, ``1``, ``1.5Gi``, ``2e3``) as exact fractions.

Suffixes follow k8s.io/apimachinery's ``resource.Quantity``: binary Ki Mi Gi Ti Pi Ei (powers of
1024), decimal n u m k M G T P E (powers of 1000) and a decimal exponent ``e``/``E`` followed by an
integer. So ``500m < 1 < 1k < 1Ki`` and ``1Gi > 1G``. Shared by validation (tier bounds) and the
diff (quota raised).
"""

from __future__ import annotations

import math
import re
import typing as t
from fractions import Fraction

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -3, "u": -2, "m": -1, "": 0, "k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
_RE = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$")


def parse_quantity(value: t.Any) -> Fraction | None:
    """The quantity's exact value, or None when it is not a quantity."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value)) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    m = _RE.match(value.strip())
    if not m:
        return None
    number, exponent, suffix = m.group(1), m.group(2), m.group(3) or ""
    base = Fraction(number)
    if exponent is not None:
        return base * Fraction(10) ** int(exponent)
    if suffix in _BINARY:
        return base * Fraction(1024) ** _BINARY[suffix]
    return base * Fraction(1000) ** _DECIMAL[suffix]
