"""Validate stage: every blueprint against its JSON Schema, then the checks across files, the
API server's own rules, the offering connections and what the build gate would refuse (preflight).

All findings at once, as :class:`~genplat.core.diagnostics.Diagnostic` data.
"""

from __future__ import annotations

from genplat.validation.blueprints import validate

__all__ = ["validate"]
