"""genplat check derives composite resources' CRDs from the XRDs among its inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from genplat.cli import cli
from tests.upstream_parts import crd_flags

ROOT = Path(__file__).resolve().parents[2]


def test_examples_output_checks_clean_with_upstream_crds() -> None:
    # The default pinned set, plus provider-helm's (the add-ons layer configures it for the vcluster offering).
    r = CliRunner().invoke(cli, ["check", str(ROOT / "out"), *crd_flags(), *crd_flags("provider-helm"), "--strict"])
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


XRD_V1_NO_SCHEMA = """\
apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata: {name: xbuckets.acme.example}
spec:
  group: acme.example
  names: {kind: XBucket, plural: xbuckets}
  claimNames: {kind: Bucket, plural: buckets}
  versions:
    - {name: v1alpha1, served: true, referenceable: true}
---
apiVersion: acme.example/v1alpha1
kind: Bucket
metadata: {name: b, namespace: team}
spec: {anything: goes, compositionRef: {name: c}}
"""


def test_an_xrd_version_without_schema_is_valid(tmp_path: Path) -> None:
    """The XRD API leaves a version's schema optional and the API server takes such an XRD: no crd-invalid."""
    (tmp_path / "xrd.yaml").write_text(XRD_V1_NO_SCHEMA)
    r = CliRunner().invoke(cli, ["check", str(tmp_path), *crd_flags("crossplane"), "--strict"])
    assert r.exit_code == 0 and "crd-invalid" not in r.stdout + r.stderr, r.stdout + r.stderr
    # The machinery Crossplane adds is still typed.
    (tmp_path / "xrd.yaml").write_text(
        XRD_V1_NO_SCHEMA.replace("compositionRef: {name: c}", "compositionRef: {name: 3}")
    )
    r = CliRunner().invoke(cli, ["check", str(tmp_path), *crd_flags("crossplane")])
    assert r.exit_code == 1 and "spec.compositionRef.name" in r.stdout + r.stderr, r.stdout + r.stderr


def test_a_required_field_given_as_null_is_missing(tmp_path: Path) -> None:
    """The API server prunes a null on a field that is not nullable, then finds the required field missing."""
    shutil.copytree(ROOT / "out" / "dev" / "dev-eu", tmp_path / "bundle")
    tenant = tmp_path / "bundle" / "tenants" / "tools.yaml"
    text = tenant.read_text()
    line = next(x for x in text.splitlines() if x.strip().startswith("- secretKey: "))
    tenant.write_text(text.replace(line, line.split("secretKey:")[0] + "secretKey: null", 1))
    r = CliRunner().invoke(cli, ["check", str(tmp_path / "bundle"), *crd_flags()])
    out = r.stdout + r.stderr
    assert r.exit_code == 1 and "schema-required" in out and "'secretKey'" in out, out
