"""Composition checks on the examples, and the seam that says which provider CRDs each cluster has.

The planted defects, one per rule, are cases of the validation corpus (tests/validation/cases/compos*);
the real crossplane CLI judges them in test_composition_corpus.py.
"""

from __future__ import annotations

import shutil
import typing as t
from pathlib import Path

import pytest
import yaml

import genplat
from genplat.checks.compositions import check_offerings
from genplat.checks.providers import ProviderSchemas, provider_schemas
from genplat.checks.schema import SchemaIndex
from genplat.core.kube import default_version
from genplat.resolver.model import resolve
from tests.conftest import EXAMPLES, run_genplat
from tests.crossplane_cli import provider_crd_files, provider_crd_flags

BEFORE = Path(__file__).parent / "data" / "examples-before"


def _where(d: genplat.Diagnostic) -> tuple[str, int | None, str, str]:
    return (Path(d.file or "").name, d.line, d.rule, d.severity.value)


def test_todays_examples_are_refused_at_the_offerings_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples as they were: three versions the namespaced GCP groups do not serve, settings as a
    list where the provider has an object, and postgres-eks ignoring the tier parameter."""
    root = tmp_path / "blueprints"
    shutil.copytree(EXAMPLES, root)
    shutil.copyfile(BEFORE / "platform.yaml", root / "platform.yaml")
    shutil.copytree(BEFORE / "tenants", root / "tenants", dirs_exist_ok=True)  # the tenants of that time
    (root / "addons.lock.json").unlink()  # the examples as they were had no add-on lock either
    monkeypatch.chdir(tmp_path)
    findings = genplat.validate(genplat.load_project(root), crds=provider_crd_files())
    assert [_where(d) for d in findings] == [
        ("platform.yaml", 64, "egress-missing", "warning"),  # postgres declares no egress (issue 29)
        ("platform.yaml", 85, "composed-version-unserved", "error"),  # postgres-gke: DatabaseInstance v1beta2
        ("platform.yaml", 93, "composed-base-invalid", "error"),  # its settings: a list
        ("platform.yaml", 97, "composition-patch-shape", "error"),  # settings[0].diskSize
        ("platform.yaml", 98, "composition-patch-shape", "error"),  # settings[0].tier
        ("platform.yaml", 99, "composition-patch-shape", "error"),  # settings[0].availabilityType
        ("platform.yaml", 105, "unused-parameter", "warning"),  # postgres-eks never reads tier
        ("platform.yaml", 151, "composed-version-unserved", "error"),  # Cluster v1beta2
        ("platform.yaml", 164, "composed-version-unserved", "error"),  # NodePool v1beta2
        ("platform.yaml", 181, "composed-version-unserved", "error"),  # DatabaseInstance v1beta2
        ("platform.yaml", 189, "composed-base-invalid", "error"),
        ("platform.yaml", 192, "composition-patch-shape", "error"),
    ]
    by_line = {d.line: d for d in findings}
    assert by_line[85].hint is not None and "sql.gcp.m.upbound.io/v1beta1" in by_line[85].hint
    assert by_line[151].hint is not None and "container.gcp.m.upbound.io/v1beta1" in by_line[151].hint
    assert (
        "settings is an object" in by_line[98].message
        and by_line[98].hint == "write to: spec.forProvider.settings.tier"
    )
    assert "'tier'" in by_line[105].message and "postgres-eks" in by_line[105].message
    # No tenant is blamed for what the offering gets wrong.
    assert all(d.file and d.file.endswith("platform.yaml") for d in findings)


def test_the_examples_are_clean_against_their_providers() -> None:
    result = run_genplat("validate", str(EXAMPLES), *provider_crd_flags())
    assert result.code == 0, result.stderr
    assert result.stderr == "5 blueprint(s) valid\n"


def test_the_build_warns_once_per_api_group_it_cannot_check(tmp_path: Path) -> None:
    """Without an add-on lock (and so without the providers' CRDs) the build checks what it can."""
    import json

    root = tmp_path / "project"
    shutil.copytree(EXAMPLES, root / "blueprints")
    shutil.copytree(EXAMPLES.parent / "out", root / "out", ignore=shutil.ignore_patterns(".oci", ".genplat"))
    (root / "blueprints" / "addons.lock.json").unlink()
    result = run_genplat("build", str(root), "--check", "--format", "json")

    # (Unlocked, the add-ons layer has no provider configuration: what the providers serve is not known,
    # so build --check also lists those files after its report.)
    findings = json.JSONDecoder().raw_decode(result.stdout)[0]["diagnostics"]
    unchecked = [d for d in findings if d["rule"] == "composed-kind-unchecked"]
    groups = sorted(d["message"].split("API group '")[1].split("'")[0] for d in unchecked)
    assert groups == [
        "compute.gcp.m.upbound.io",
        "container.gcp.m.upbound.io",
        "helm.m.crossplane.io",
        "rds.aws.m.upbound.io",
        "sql.gcp.m.upbound.io",
    ]
    assert all(d["severity"] == "warning" for d in unchecked)
    with_providers = run_genplat("build", str(root), "--check", "--format", "json", *provider_crd_flags())
    report = json.JSONDecoder().raw_decode(with_providers.stdout)[0]
    assert not [d for d in report["diagnostics"] if d["rule"].startswith("compos")]
    # With the lock, each cluster's locked providers check what it composes: nothing is left unchecked.
    locked = run_genplat("build", str(EXAMPLES.parent), "--check", "--format", "json")
    assert locked.code == 0 and json.loads(locked.stdout)["diagnostics"] == []


def _project(tmp_path: Path, edit: t.Callable[[dict[str, t.Any]], None]) -> Path:
    root = tmp_path / "blueprints"
    shutil.copytree(EXAMPLES, root)
    doc = yaml.safe_load((root / "platform.yaml").read_text("utf-8"))
    edit(doc)
    (root / "platform.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return root


def test_a_build_with_a_broken_composition_writes_nothing(tmp_path: Path) -> None:
    def misspell(doc: dict[str, t.Any]) -> None:
        doc["spec"]["offerings"][1]["compositions"][0]["resources"][2]["base"]["kind"] = "NodePol"

    root = _project(tmp_path, misspell)
    out = tmp_path / "out"
    result = run_genplat("build", str(root), "--out", str(out), *provider_crd_flags())
    assert result.code == 1
    assert "composed-kind-unknown" in result.stdout + result.stderr
    assert "did you mean 'NodePool'?" in result.stdout + result.stderr
    assert not out.exists()


def test_a_tenant_value_the_provider_refuses_is_reported_at_the_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vcluster's chart version becomes a Helm chart digest: the XRD allows any string, the provider a
    sha256 only; initech sets it in its prod override, so prod's line is named, not the resource's."""

    def digest(doc: dict[str, t.Any]) -> None:
        vc = doc["spec"]["offerings"][2]
        vc["parameters"]["digest"] = {"type": "string", "default": "sha256:" + "0" * 64}
        vc["compositions"][0]["resources"][0]["patches"].append(
            {"from": "digest", "to": "spec.forProvider.chart.digest"}
        )

    root = _project(tmp_path, digest)
    initech = root / "tenants" / "initech.yaml"
    text = initech.read_text("utf-8").replace(
        "      clusters: [prod-eu]\n",
        "      clusters: [prod-eu]\n      resources:\n        sandbox:\n          parameters: {digest: latest}\n",
    )
    initech.write_text(text, "utf-8")
    monkeypatch.chdir(tmp_path)
    findings = [d for d in genplat.validate(genplat.load_project(root), crds=provider_crd_files()) if d.is_error]
    assert [(Path(d.file or "").name, d.rule) for d in findings] == [("initech.yaml", "composed-value-invalid")]
    (d,) = findings
    lines = initech.read_text("utf-8").splitlines()
    assert "digest: latest" in lines[(d.line or 0) - 1]
    assert d.path == "spec.environments[1].resources.sandbox.parameters.digest"
    assert '"latest"' in d.message and "^sha256:[a-f0-9]{64}$" in d.message and "vcluster-default" in d.message


def test_a_locked_cluster_refuses_what_its_providers_do_not_serve(tmp_path: Path) -> None:
    """Locked add-ons (issue 22) give a cluster its own, complete set: a group no provider of that cluster
    serves is an error there, where a partial set (crds:, --crds) skips it."""
    project = genplat.load_project(EXAMPLES)
    platform, _ = resolve(project)
    without_helm = [f for f in provider_crd_files() if "helm" not in str(f)]
    partial = provider_schemas(platform, crd_paths=without_helm)
    assert not [d for d in check_offerings(platform, partial).diagnostics if d.is_error]
    # dev-eu's add-ons are locked (without provider-helm); prod-eu's are not.
    locked = provider_schemas(platform, cluster_crds={"dev/dev-eu": without_helm})
    assert locked.locked == {"dev-eu"} and locked.for_cluster("prod-eu") is not locked.for_cluster("dev-eu")
    errors = [d for d in check_offerings(platform, locked).diagnostics if d.is_error]
    assert [(d.rule, d.line) for d in errors] == [("composed-kind-unknown", 313)]
    assert "helm.m.crossplane.io" in errors[0].message and "(cluster dev-eu)" in errors[0].message
    assert errors[0].hint == "add the provider to the cluster's add-ons and lock them"


def test_clusters_with_different_providers_are_named() -> None:
    """Per-cluster sets (the add-on seam): a finding names the clusters whose providers refuse it."""
    project = genplat.load_project(EXAMPLES)
    platform, _ = resolve(project)
    full = provider_schemas(platform, crd_paths=provider_crd_files())
    bare = SchemaIndex(kubernetes_version=default_version())
    schemas = ProviderSchemas(
        default=full.default, by_cluster={"dev-eu": full.default, "prod-eu": bare}, locked=frozenset({"prod-eu"})
    )
    errors = [d for d in check_offerings(platform, schemas).diagnostics if d.is_error]
    assert errors and all("(cluster prod-eu)" in d.message for d in errors)
    assert {d.line for d in errors} >= {191, 251, 259, 272, 289, 313}
