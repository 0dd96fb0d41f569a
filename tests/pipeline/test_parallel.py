"""Worker processes change speed, never output: a large project builds to the same bytes either way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from genplat import BuildOptions, build
from genplat.pipeline import PARALLEL_MIN_TENANTS

from .conftest import snapshot


def _tenant(i: int) -> str:
    return f"""apiVersion: genplat.dev/v1alpha1
kind: Tenant
metadata:
  name: t{i:04d}
spec:
  tier: small
  access:
    developers: {{groups: [team-{i}]}}
  environments:
    - name: dev
  services:
    - name: api
      image: ghcr.io/acme/app:1.{i % 7}.0
      secrets:
        - {{env: DB_PASSWORD, key: t{i}/db, property: password}}
      resources:
        requests: {{cpu: 100m, memory: 128Mi}}
        limits: {{cpu: 500m, memory: 256Mi}}
  events:
    - {{name: orders, filter: {{type: com.example.order}}, subscriber: api}}
  network:
    allowFrom: [t{(i + 1) % (PARALLEL_MIN_TENANTS + 50):04d}]
"""


def test_parallel_build_gives_the_same_bytes_and_findings(project: Path, tmp_path: Path) -> None:
    tenants = project / "blueprints/tenants"
    for i in range(PARALLEL_MIN_TENANTS + 50):
        (tenants / f"t{i:04d}.yaml").write_text(_tenant(i))
    serial = build(BuildOptions(project=project, out_dir=tmp_path / "serial", jobs=1, incremental=False))
    parallel = build(BuildOptions(project=project, out_dir=tmp_path / "parallel", jobs=2, incremental=False))
    assert serial.ok and parallel.ok
    assert "render-wall" in parallel.timings and "render-wall" not in serial.timings  # workers really ran
    assert snapshot(tmp_path / "serial") == snapshot(tmp_path / "parallel")
    assert [d.to_dict() for d in serial.diagnostics] == [d.to_dict() for d in parallel.diagnostics]
    assert serial.objects == parallel.objects > 10 * PARALLEL_MIN_TENANTS


def test_parallel_build_reports_findings_from_workers(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants = project / "blueprints/tenants"
    for i in range(PARALLEL_MIN_TENANTS + 50):
        (tenants / f"t{i:04d}.yaml").write_text(_tenant(i))
    # An image from a registry the platform does not allow. Validate reports it first, at the blueprint value...
    bad = tenants / "t0500.yaml"
    bad.write_text(bad.read_text().replace("ghcr.io/acme/app", "docker.io/evil/app"))
    result = build(BuildOptions(project=project, out_dir=tmp_path / "out", jobs=2, incremental=False))
    assert [d.file for d in result.diagnostics if d.rule == "guardrail/image-registry"] == [os.path.relpath(bad)]
    # ...and with validate's blueprint-value checks off, the guardrail gate catches it in a worker.
    from genplat.validation import preflight

    monkeypatch.setattr(preflight, "check", lambda project: [])
    result = build(BuildOptions(project=project, out_dir=tmp_path / "out", jobs=2, incremental=False))
    assert not result.ok
    assert any(d.rule == "guardrail/image-registry" and "t0500" in (d.object or "") for d in result.diagnostics)
    assert not (tmp_path / "out").exists()
