"""genplat: compile platform and tenant blueprints into checked, reproducible Kubernetes bundles.

The library API mirrors the pipeline: load → validate → resolve → render → check → write → package →
publish. The CLI (``genplat.cli``) is a thin layer over these functions.
"""

from __future__ import annotations

from ._diagnostics import Diagnostic, Severity
from ._errors import FindingsError, GenplatError, RegistryError, ToolNotFoundError, UsageError
from ._objects import Origin, RenderedObject
from ._pipeline import BuildOptions, BuildResult, build
from ._project import Blueprint, Project, load_project
from ._validate import validate

__all__ = [
    "BuildOptions",
    "BuildResult",
    "build",
    "Blueprint",
    "Project",
    "load_project",
    "validate",
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
