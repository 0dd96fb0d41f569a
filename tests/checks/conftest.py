"""Fixtures for the checks: the real upstream CRDs beside the project, one Checker per session."""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest

from genplat import Origin, RenderedObject
from genplat.checks import Checker
from tests.upstream_parts import crd_files

REPO = Path(__file__).resolve().parents[2]
K8S = "1.33"


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Path]:
    """A private CRD schema cache, so tests neither read nor fill the user's."""
    path = tmp_path_factory.mktemp("genplat-cache")
    old = os.environ.get("GENPLAT_CACHE_DIR")
    os.environ["GENPLAT_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("GENPLAT_CACHE_DIR", None)
    else:
        os.environ["GENPLAT_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def checker(_cache_dir: Path) -> Checker:
    return Checker(kubernetes_version=K8S, crd_paths=crd_files())


def rendered(obj: dict[str, t.Any], *, tenant: str | None = None, line: int = 7) -> RenderedObject:
    return RenderedObject(
        obj, Origin("blueprints/tenants/x.yaml", line, 3), bundle="dev/eu", file="tenants/x.yaml", tenant=tenant
    )
