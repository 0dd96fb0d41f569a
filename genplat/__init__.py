"""genplat: compile platform and tenant blueprints into checked, reproducible Kubernetes bundles.

The library API mirrors the pipeline: load → validate → resolve → render → check → write → package →
publish. The CLI (``genplat.cli``) is a thin layer over these functions.
"""

from __future__ import annotations

from ._diagnostics import Diagnostic, Severity
from ._errors import FindingsError, GenplatError, RegistryError, ToolNotFoundError, UsageError
from ._objects import Origin, RenderedObject

__all__ = [
    "Diagnostic",
    "FindingsError",
    "GenplatError",
    "Origin",
    "RegistryError",
    "RenderedObject",
    "Severity",
    "ToolNotFoundError",
    "UsageError",
]
