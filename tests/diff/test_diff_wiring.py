"""``genplat diff`` shows how a service is wired to its tenant's offering outputs: the env var, the
connection Secret it reads and the key, never a value (there is none in the output to show)."""

from __future__ import annotations

import typing as t
from pathlib import Path

from . import examples as ex


def test_diff_shows_a_new_connection_reference(tmp_path: Path, genplat_cli: t.Any, monkeypatch: t.Any) -> None:
    project = ex.copy_project(tmp_path / "project")
    ex.build(project, tmp_path / "base")
    ex.replace(
        project / "blueprints/tenants/initech.yaml",
        "        QUEUE: reports\n",
        "        QUEUE: reports\n        DB_URI_HOST: {fromResource: reports-db, key: host}\n",
    )
    ex.build(project, tmp_path / "head")
    monkeypatch.chdir(tmp_path)
    result = genplat_cli("diff", "base", "head", "--format", "text", "--exit-code")
    assert result.code == 1, result.stderr
    text = result.stdout
    # Only the worker's Deployment changes, in each bundle the tenant has a Crossplane-backed database in.
    assert "Deployment" in text and "initech-dev/report-worker" in text and "initech-prod/report-worker" in text
    assert "DB_URI_HOST" in text
    wired = "env[name=DB_URI_HOST]: {name: DB_URI_HOST, valueFrom: {secretKeyRef: {name: reports-db-connection, key: host}}}"
    assert text.count(wired) == 2, text
    assert "<masked>" not in text
