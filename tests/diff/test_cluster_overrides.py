"""A per-cluster override shows in the review as a change of the service on that cluster, at its line."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest

from .examples import copy_project, replace

HOST = "              hostnames: [us.shop.globex.example]\n"  # in globex's clusterOverrides for prod-us


def test_a_cluster_override_is_named_with_its_cluster(
    tmp_path: Path, genplat_cli: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_project(tmp_path / "base")
    head = copy_project(tmp_path / "head")
    tenant = head / "blueprints/tenants/globex.yaml"
    replace(tenant, HOST, HOST + "              scaling: {max: 4}\n")
    monkeypatch.chdir(tmp_path)
    result = genplat_cli("diff", "base", "head", "--format", "json")
    report = json.loads(result.stdout)
    (item,) = report["blueprints"]["changes"]
    assert item["text"] == "tenant globex: in prod/prod-us, service checkout now overrides scaling.max to 4", item
    lines = tenant.read_text("utf-8").splitlines()
    assert item["file"] == "blueprints/tenants/globex.yaml"
    assert lines[item["line"] - 1].strip() == "scaling: {max: 4}"
    # Only prod-us's Knative Service changed: its max-scale (and the revision name that hashes it).
    changed = {(o["bundle"], o["kind"], o["name"]) for o in report["objects"]}
    assert changed == {("prod/prod-us", "Service", "checkout")}
