"""Fixtures of the fault suite: real registries behind fault proxies, a decoy host, big trees.

Every test here is marked ``faults`` (``pytest -m faults`` runs the suite alone); each states the
promise it checks in its docstring. The registry is the real CNCF Distribution server (Debian's
``docker-registry``); TCP faults come from the real Toxiproxy (``tools/upstream.py path toxiproxy``).
"""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest

from tests.registry import TEST_PASSWORD, TEST_USER, Registry, make_htpasswd, run_genplat, write_out_dir

from ._proxy import Decoy, FaultProxy


@pytest.fixture(autouse=True)
def _isolated_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read the developer's own ~/.docker/config.json or registry variables."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.delenv("GENPLAT_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("GENPLAT_REGISTRY_PASSWORD", raising=False)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry"))
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Registry]:
    """Plain HTTP with htpasswd Basic auth (loopback only), so the proxy can read and rewrite it."""
    work = tmp_path_factory.mktemp("auth-registry")
    reg = Registry(work, htpasswd=make_htpasswd(work))
    yield reg
    reg.stop()


@pytest.fixture
def proxy(registry: Registry) -> t.Iterator[FaultProxy]:
    p = FaultProxy(registry.host)
    yield p
    p.stop()


@pytest.fixture
def decoy() -> t.Iterator[Decoy]:
    d = Decoy()
    yield d
    d.stop()


@pytest.fixture
def packaged(tmp_path: Path) -> Path:
    """A folder with out/<env>/<cluster>/ bundles packaged into out/.oci."""
    root = tmp_path / "p"
    write_out_dir(root)
    proc = run_genplat("package", "--output-format", "json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["bundles"]
    return root


__all__ = ["TEST_PASSWORD", "TEST_USER"]
