"""The pinned upstream parts for tests: CRDs from the Go module cache and the cached Go tools.

Both come from ``tools/upstream.py`` (pins in ``tools/upstream.toml``), so the tests, the Makefile and
``make run`` use the same releases. Without a part the test skips; with ``GENPLAT_REQUIRE_TOOLS=1``
(``.ci/run``) it fails instead, so nothing goes missing silently.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

_spec = importlib.util.spec_from_file_location("genplat_upstream", REPO / "tools" / "upstream.py")
assert _spec and _spec.loader
upstream = importlib.util.module_from_spec(_spec)
sys.modules["genplat_upstream"] = upstream
_spec.loader.exec_module(upstream)


def required() -> bool:
    return os.environ.get("GENPLAT_REQUIRE_TOOLS") == "1"


def _missing(what: str) -> None:
    if required():
        pytest.fail(f"{what} (GENPLAT_REQUIRE_TOOLS=1: nothing may be skipped); run `make test-deps`")
    pytest.skip(what)


def crd_files(project: str | None = None) -> list[Path]:
    """The pinned CRD files of one project (names as in tools/upstream.toml) or of the default set
    (every entry without ``default = false``; name those, e.g. ``crd_files("gateway-api")``)."""
    try:
        return upstream.crd_files(project)
    except upstream.UpstreamError as exc:
        _missing(f"upstream CRDs not available: {exc}")
        raise AssertionError("unreachable") from exc


def crd_file(project: str, name: str) -> Path:
    try:
        return upstream.crd_file(project, name)
    except upstream.UpstreamError as exc:
        _missing(f"upstream CRD not available: {exc}")
        raise AssertionError("unreachable") from exc


def crd_flags(*projects: str) -> list[str]:
    """``--crds FILE`` arguments for the CLI (all projects when none are named)."""
    files = [f for p in projects for f in crd_files(p)] if projects else crd_files()
    return [arg for f in files for arg in ("--crds", str(f))]


def tool(name: str) -> str:
    """A tool's path: a pinned Go tool from the cache (tools/upstream.toml), else one on PATH
    (Debian's packages: docker-registry, skopeo, kubectl, openssl, git)."""
    if name in upstream.spec()["tools"]:
        found = upstream.tool_path(name)
        if found:
            return str(found)
        _missing(f"{name} is not built: run `python3 tools/upstream.py build {name}`")
    path = shutil.which(name)
    if path:
        return path
    _missing(f"{name} is not installed")
    raise AssertionError("unreachable")
