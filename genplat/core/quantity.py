"""Kubernetes resource quantities (``500m``, ``1``, ``1.5Gi``, ``2e3``) as exact fractions.

Suffixes follow k8s.io/apimachinery's ``resource.Quantity``: binary Ki Mi Gi Ti Pi Ei (powers of
1024), decimal n u m k M G T P E (powers of 1000) and a decimal exponent ``e``/``E`` followed by an
integer. So ``500m < 1 < 1k < 1Ki`` and ``1Gi > 1G``. Shared by validation (tier bounds, the
``quantity-invalid`` rule) and the diff (quota raised).

The grammar is apimachinery's ``parseQuantityString`` (v0.35), not a tidier one: the API server
trims spaces around the JSON string, and the number before the suffix may be empty (``Mi`` and ``.``
are zero), while ``1.2.3``, ``128mi``, ``1K`` and ``1e1.5`` are refused. tests/cluster checks the
two agree, value by value, on the real server.
"""

from __future__ import annotations

import math
import re
import typing as t
from fractions import Fraction

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -3, "u": -2, "m": -1, "": 0, "k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
_RE = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?")


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
    text = value.strip(" ")  # Quantity.UnmarshalJSON trims; escaped whitespace (\n, \t) stays and fails
    m = _RE.fullmatch(text)
    if not text or not m:
        return None
    sign, whole, frac, exponent, suffix = m.group(1), m.group(2), m.group(3) or "", m.group(4), m.group(5) or ""
    base = Fraction(int((whole or "0") + frac), 10 ** len(frac)) * (-1 if sign == "-" else 1)
    if exponent is not None:
        return base * Fraction(10) ** int(exponent)
    if suffix in _BINARY:
        return base * Fraction(1024) ** _BINARY[suffix]
    return base * Fraction(1000) ** _DECIMAL[suffix]


# The same grammar for the JSON schemas (which cannot say "not empty": the quantity-invalid rule does).
QUANTITY_PATTERN = r"^ *[+-]?[0-9]*(\.[0-9]*)?(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)? *$"
_SUFFIXES = [*_BINARY, *(s for s in _DECIMAL if s)]
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)")


def quantity_problem(value: t.Any) -> tuple[str, str] | None:
    """Why Kubernetes would refuse ``value`` as a quantity, with a hint; None when it parses.

    Numbers are fine (genplat writes them as quantities); strings must parse exactly as the API server
    parses them, so ``128mi`` (``mi`` is no suffix) and ``1.2.3`` are refused with what was probably meant.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return (f"{value!r} is not a quantity", "use a finite number")
    if isinstance(value, str) and parse_quantity(value) is None:
        text = str(value)
        m = _NUMBER.match(text)
        suffix = text[m.end() :].strip() if m else ""
        hint = "a quantity is a number with an optional suffix: Ki Mi Gi Ti Pi Ei (powers of 1024), n u m k M G T P E (powers of 1000), or an exponent such as 1e3"
        if m and suffix:
            fixes = [
                s
                for s in _SUFFIXES
                if s.lower() == suffix.lower()
                or s.lower() == suffix.lower().rstrip("b") + "i"
                or s.lower() == suffix.lower().rstrip("b")
            ]
            # 'mi', 'MI', 'MiB', 'mb' most likely mean the binary unit; 'K' means 'k'.
            fixes.sort(key=lambda s: (not s.endswith("i"), s != suffix))
            if fixes and fixes[0] == suffix:
                hint = "remove the line break or tab around the number"
            elif fixes:
                hint = f"did you mean '{m.group(0).strip()}{fixes[0]}'? Kubernetes suffixes are case-sensitive ({fixes[0]})"
        return (f"{text!r} is not a Kubernetes quantity", hint)
    number = parse_quantity(value)
    if number is not None and number < 0:
        return (f"{value!r} is negative", "resource amounts must be zero or more")
    return None
