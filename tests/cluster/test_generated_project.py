"""A generated, varied project validates, builds and applies to the real server with zero refusals."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_genplat
from tests.upstream_parts import crd_flags

from .bundles import apply_bundle, kustomize
from .generated import write_project
from .test_pods_admitted import admit
from .workloads import derived_pods

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("generated") / "blueprints")
    out = root.parent / "out"
    result = run_genplat("validate", str(root))
    assert result.code == 0, result.stdout + result.stderr
    result = run_genplat("build", str(root), "--out", str(out), *crd_flags())
    assert result.code == 0, result.stdout + result.stderr
    return out


def test_it_is_varied(built: Path) -> None:
    tenants = [yaml.safe_load(p.read_text()) for p in (built.parent / "blueprints" / "tenants").glob("gen*.yaml")]
    assert len(tenants) >= 30
    services = [s for d in tenants for s in d["spec"]["services"]]
    assert {s["scaling"]["metric"] for s in services} == {"concurrency", "rps", "cpu", "memory"}
    assert {d["spec"]["tier"] for d in tenants} == {"small", "medium", "large"}
    assert sum("traffic" in s for s in services) >= 5 and sum("secrets" in s for s in services) >= 10
    assert {r["offering"] for d in tenants for r in d["spec"].get("resources", [])} == {
        "postgres",
        "dedicated-cluster",
        "vcluster",
    }
    assert sum("events" in d["spec"] for d in tenants) >= 5 and sum("network" in d["spec"] for d in tenants) >= 20


def test_generated_bundles_apply(control_plane: t.Any, built: Path) -> None:
    bundles = sorted(p.parent for p in built.glob("[!_]*/*/kustomization.yaml"))
    assert len(bundles) == 3
    total = 0
    for bundle in bundles:
        docs = kustomize(bundle)
        total += len(apply_bundle(control_plane, docs))
        assert admit(control_plane, derived_pods(docs)) == []
    assert total > 500
