"""genplat: compile platform and tenant blueprints into checked, reproducible Kubernetes bundles.

The library API mirrors the pipeline: load → validate → resolve → render → check → write → package →
publish. The CLI (``genplat.cli``) is a thin layer over these functions::

    project = genplat.load_project("blueprints")       findings = genplat.validate(project)
    result = genplat.render(genplat.RenderOptions(project=Path(".")))   # files of out/, in memory
    result = genplat.build(genplat.BuildOptions(project=Path(".")))     # ... written to out/
    findings = genplat.check([Path("out")])            packaged = genplat.package(Path("out"))
    report = genplat.read_status(genplat.StatusOptions(project=Path(".")))   # what the clusters run

Names are loaded on first use (PEP 562), so ``import genplat`` and ``genplat --help`` stay light.
"""

from __future__ import annotations

import importlib
import typing as t

if t.TYPE_CHECKING:
    from genplat.core.diagnostics import Diagnostic, Severity
    from genplat.core.errors import (
        ClusterError,
        FetchError,
        FindingsError,
        GenplatError,
        OutdatedError,
        RegistryError,
        ToolNotFoundError,
        UsageError,
    )
    from genplat.core.objects import Origin, RenderedObject
    from genplat.delivery.model import StatusReport
    from genplat.delivery.status import StatusOptions, read_status, wait_status
    from genplat.loader.project import Blueprint, Project, load_project
    from genplat.packaging.bundles import Packaged
    from genplat.pipeline import (
        BuildOptions,
        BuildResult,
        RenderOptions,
        RenderResult,
        build,
        check,
        package,
        render,
        validate,
    )

# Public name → the module that defines it.
_EXPORTS = {
    "Diagnostic": "genplat.core.diagnostics",
    "Severity": "genplat.core.diagnostics",
    "FetchError": "genplat.core.errors",
    "FindingsError": "genplat.core.errors",
    "GenplatError": "genplat.core.errors",
    "OutdatedError": "genplat.core.errors",
    "RegistryError": "genplat.core.errors",
    "ClusterError": "genplat.core.errors",
    "ToolNotFoundError": "genplat.core.errors",
    "UsageError": "genplat.core.errors",
    "Origin": "genplat.core.objects",
    "RenderedObject": "genplat.core.objects",
    "Blueprint": "genplat.loader.project",
    "Project": "genplat.loader.project",
    "load_project": "genplat.loader.project",
    "validate": "genplat.pipeline",
    "RenderOptions": "genplat.pipeline",
    "RenderResult": "genplat.pipeline",
    "render": "genplat.pipeline",
    "BuildOptions": "genplat.pipeline",
    "BuildResult": "genplat.pipeline",
    "build": "genplat.pipeline",
    "check": "genplat.pipeline",
    "package": "genplat.pipeline",
    "Packaged": "genplat.packaging.bundles",
    "StatusOptions": "genplat.delivery.status",
    "StatusReport": "genplat.delivery.model",
    "read_status": "genplat.delivery.status",
    "wait_status": "genplat.delivery.status",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> t.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'genplat' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
