"""Numbers and durations as Prometheus (and Sloth, both Go programs) spell them, shared by validation and
the SLO renderer (genplat.rendering.slo)."""

from __future__ import annotations

import decimal
import re

# What the platform's runbook and dashboard URL templates may say; the SLO renderer fills them in.
SLO_PLACEHOLDERS = ("tenant", "namespace", "environment", "cluster", "service", "slo")


def go_float(value: float) -> str:
    """A float as Go's ``strconv.FormatFloat(v, 'f', -1, 64)`` writes it: the shortest digits that read
    back, positional, no exponent (``0.0009999999999999432``, ``6``)."""
    text = format(decimal.Decimal(repr(float(value))), "f")
    return text[:-2] if text.endswith(".0") else text


def le_value(seconds: float) -> str:
    """A histogram bucket bound as Prometheus 3 normalises ``le`` label values (``0.3``, ``1.0``)."""
    text = go_float(seconds)
    return text if "." in text else text + ".0"


def duration_seconds(text: str) -> float:
    """``300ms`` or ``1.5s`` in seconds (ValueError for anything else)."""
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(ms|s)", text)
    if not m:
        raise ValueError(f"not a duration: {text!r}")
    return float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
