"""genplat check derives composite resources' CRDs from the XRDs among its inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from genplat.cli import cli
from upstream_parts import crd_flags

ROOT = Path(__file__).resolve().parents[2]


def test_examples_output_checks_clean_with_upstream_crds() -> None:
    r = CliRunner().invoke(cli, ["check", str(ROOT / "out"), *crd_flags(), "--strict"])
    assert r.exit_code == 0, r.stdout + r.stderr


def test_a_bad_xr_is_caught_against_its_xrd(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "out" / "dev" / "dev-eu", tmp_path / "bundle")
    tenant = tmp_path / "bundle" / "tenants" / "initech.yaml"
    text = tenant.read_text()
    assert "storageGB: 10" in text
    tenant.write_text(text.replace("storageGB: 10", "storageGB: lots", 1))
    r = CliRunner().invoke(cli, ["check", str(tmp_path / "bundle"), *crd_flags()])
    assert r.exit_code == 1
    out = r.stdout + r.stderr
    assert "PostgresInstance/initech-dev/reports-db" in out and "spec.parameters.storageGB" in out
