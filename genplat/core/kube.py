"""Kubernetes facts every stage shares: the minor versions genplat has schemas for, and API versions.

The built-in kinds' schemas are the strict files ``kubernetes-validate`` ships, one folder per minor
version; the check stage reads them (:mod:`genplat.checks.kubernetes`), validation only asks which
versions exist.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

from genplat.core.errors import UsageError


def schema_root() -> Path:
    # Found without importing kubernetes_validate (which loads jsonschema): `genplat check --help` and
    # completion list the shipped versions.
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("the kubernetes-validate package is not installed", hint="reinstall genplat")
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


@functools.cache
def available_versions() -> tuple[str, ...]:
    """Minor versions shipped, oldest first, as ``"1.33"``."""
    found = []
    for p in schema_root().iterdir():
        m = re.fullmatch(r"v(\d+)\.(\d+)\.0-local-strict", p.name)
        if m:
            found.append((int(m.group(1)), int(m.group(2))))
    return tuple(f"{a}.{b}" for a, b in sorted(found))


def default_version() -> str:
    return available_versions()[-1]


def resolve_version(requested: str) -> tuple[str, str | None]:
    """The shipped minor version to use for ``requested`` (e.g. ``v1.33.2``), and a note if it differs.

    Like kubernetes-validate: the newest shipped version not newer than the one asked for. Asking for
    a version newer than any shipped uses the newest, with a note; older than any shipped is an error.
    """
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", requested.strip())
    if not m:
        raise UsageError(
            f"Kubernetes version {requested!r} is not of the form 1.33 or 1.33.2",
            hint=f"use one of {', '.join(available_versions())}",
        )
    want = (int(m.group(1)), int(m.group(2)))
    versions = [tuple(int(x) for x in v.split(".")) for v in available_versions()]
    older = [v for v in versions if v <= want]
    if not older:
        raise UsageError(
            f"no Kubernetes schemas for {requested}: the oldest shipped is {available_versions()[0]}",
            hint="raise kubernetesVersion, or upgrade genplat's kubernetes-validate dependency",
        )
    chosen = f"{older[-1][0]}.{older[-1][1]}"
    note = None
    if older[-1] != want:
        note = f"Kubernetes {m.group(1)}.{m.group(2)} schemas are not shipped; checking against {chosen}"
    return chosen, note


def split_api_version(api_version: str) -> tuple[str, str]:
    if "/" in api_version:
        g, v = api_version.split("/", 1)
        return g, v
    return "", api_version
