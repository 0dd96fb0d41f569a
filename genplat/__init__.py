"""genplat: compile platform and tenant blueprints into checked, reproducible Kubernetes bundles.

The library API mirrors the pipeline: load → validate → resolve → render → check → write → package →
publish. The CLI (``genplat.cli``) is a thin layer over these functions.
"""

from __future__ import annotations

from genplat.core.diagnostics import Diagnostic, Severity
from genplat.core.errors import FindingsError, GenplatError, RegistryError, ToolNotFoundError, UsageError
from genplat.core.objects import Origin, RenderedObject
from genplat.pipeline import BuildOptions, BuildResult, build
from genplat.loader.project import Blueprint, Project, load_project
from genplat.validation.blueprints import validate

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
