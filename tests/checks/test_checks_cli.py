"""``genplat check`` and ``genplat schemas export`` end to end, plus kubeconform with the real binary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_genplat
from tests.upstream_parts import crd_file, crd_flags, tool

from .conftest import K8S

MIXED = {
    "apps/api.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments-dev
  labels:
    tier: 3
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.2.3
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  prune: true
  sourceRef: {kind: OCIRepository, name: platform}
  deletionPolicy: Sometimes
  wait: true
  timeoutt: 5m
""",
    "ci/pipeline.json": json.dumps(
        {
            "apiVersion": "tekton.dev/v1",
            "kind": "Pipeline",
            "metadata": {"name": "ci", "namespace": "payments-dev"},
            "spec": {"tasks": [{"name": "t", "taskRef": {"name": "build", "bundle": "ghcr.io/a/b:1"}}]},
        },
        indent=1,
    ),
    "list.yaml": """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: ok, namespace: payments-dev}
    data: {a: b}
  - apiVersion: cert-manager.io/v1
    kind: Certificate
    metadata: {name: api, namespace: payments-dev}
    spec:
      dnsNames: [api.acme.io]
      issuerRef: {name: le}
""",
    "unknown.yaml": "apiVersion: acme.io/v1\nkind: Widget\nmetadata: {name: w}\n",
    "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: payments-dev}\ndata: {password: aHVudGVyMg==}\n",
}


@pytest.fixture()
def mixed(tmp_path: Path) -> Path:
    root = tmp_path / "manifests"
    for name, text in MIXED.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def check_json(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, list[dict[str, object]], str]:
    res = run_genplat("check", "--format", "json", "--kubernetes-version", K8S, *args, env=env)
    doc = json.loads(res.stdout) if res.stdout.strip() else {"diagnostics": []}
    return res.code, doc["diagnostics"], res.stderr


def brief(diags: list[dict[str, object]]) -> set[tuple[object, ...]]:
    return {(Path(str(d["file"])).name, d["line"], d["rule"], d["path"]) for d in diags}


def test_mixed_folder(mixed: Path) -> None:
    code, diags, _ = check_json(str(mixed), *crd_flags())
    assert code == 1
    got = brief(diags)
    expected = {
        ("api.yaml", 7, "schema-type", "metadata.labels.tier"),  # integer label
        ("api.yaml", 24, "schema-enum", "spec.deletionPolicy"),  # enum violation
        ("api.yaml", 26, "schema-unknown-field", "spec.timeoutt"),  # unknown spec field
        ("pipeline.json", 14, "schema-unknown-field", "spec.tasks[0].taskRef.bundle"),  # field from v1beta1
        ("list.yaml", 12, "schema-required", "spec"),  # missing secretName
        ("unknown.yaml", 1, "schema-not-validated", ""),
        ("secret.yaml", 4, "guardrail/secret-data", "data"),
        ("secret.yaml", 4, "secret-value", "data.password"),  # and what the value is (the one detector)
    }
    assert expected <= got, got
    assert len(got) == len(expected), got - expected
    hint = next(d for d in diags if d["path"] == "spec.timeoutt")["hint"]
    assert hint == "did you mean 'timeout'?"
    missing = next(d for d in diags if d["rule"] == "schema-required")
    assert "secretName" in str(missing["message"]) and missing["object"] == "Certificate/payments-dev/api"


def test_unknown_kind_is_a_warning_unless_strict(tmp_path: Path) -> None:
    f = tmp_path / "w.yaml"
    f.write_text(MIXED["unknown.yaml"])
    code, diags, _ = check_json(str(f))
    assert code == 0 and [d["severity"] for d in diags] == ["warning"]
    code, diags, _ = check_json(str(f), "--strict")
    assert code == 1 and [d["severity"] for d in diags] == ["error"]


def test_crds_among_the_inputs_are_used(tmp_path: Path) -> None:
    shutil.copy(crd_file("cert-manager", "cert-manager.io_certificates.yaml"), tmp_path / "crd.yaml")
    (tmp_path / "cert.yaml").write_text(MIXED["list.yaml"])
    code, diags, _ = check_json(str(tmp_path))
    assert code == 1
    assert {(d["rule"], d["path"]) for d in diags} == {("schema-required", "spec")}


def test_clean_input_exits_0_and_text_output(tmp_path: Path) -> None:
    f = tmp_path / "cm.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n")
    res = run_genplat("check", str(f), "--format", "text")
    assert res.code == 0, res.stderr
    assert res.stdout == ""


def test_github_format_by_default_on_actions(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(MIXED["secret.yaml"])
    res = run_genplat("check", str(f), env={"GITHUB_ACTIONS": "true"})
    assert res.code == 1
    assert res.stdout.startswith("::error file=")


def test_bad_yaml_and_bad_version_are_reported(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n")
    code, diags, _ = check_json(str(f))
    assert code == 1 and diags[0]["rule"] == "yaml-syntax"
    res = run_genplat("check", str(f), "--kubernetes-version", "banana")
    assert res.code == 2 and "banana" in res.stderr


def test_schemas_export_layout(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    res = run_genplat(
        "schemas", "export", str(out), *crd_flags("tekton-pipeline"), "--kubernetes", "--kubernetes-version", K8S
    )
    assert res.code == 0, res.stderr
    pipeline = json.loads((out / "tekton.dev" / "pipeline_v1.json").read_text())
    assert pipeline["properties"]["kind"]["enum"] == ["Pipeline"]
    deployment = json.loads((out / f"v{K8S}.0-standalone-strict" / "deployment-apps-v1.json").read_text())
    refs = [v for v in _walk_refs(deployment)]
    assert refs and all(r.startswith("#/$defs/") for r in refs)
    assert all(r[len("#/$defs/") :] in deployment["$defs"] for r in refs)


def _walk_refs(node: object) -> list[str]:
    if isinstance(node, dict):
        out = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        for v in node.values():
            out.extend(_walk_refs(v))
        return out
    if isinstance(node, list):
        return [r for v in node for r in _walk_refs(v)]
    return []


def _kubeconform() -> str:
    return tool("kubeconform")


@pytest.mark.tools
def test_kubeconform_delegation_maps_results_back(mixed: Path) -> None:
    binary = _kubeconform()
    env = {"PATH": f"{Path(binary).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    code, diags, stderr = check_json(str(mixed), *crd_flags(), "--kubeconform", env=env)
    assert code == 1, stderr
    got = brief(diags)
    # The same objects and places as the built-in validator; messages are kubeconform's.
    for expected in [
        ("api.yaml", 7, "schema-type", "metadata.labels.tier"),
        ("api.yaml", 26, "schema-unknown-field", "spec.timeoutt"),
        ("api.yaml", 24, "schema-enum", "spec.deletionPolicy"),
        ("pipeline.json", 14, "schema-unknown-field", "spec.tasks[0].taskRef.bundle"),
        ("secret.yaml", 4, "guardrail/secret-data", "data"),
        ("unknown.yaml", 1, "schema-not-validated", ""),
    ]:
        assert expected in got, got
    assert any(d["rule"] == "schema-required" and Path(str(d["file"])).name == "list.yaml" for d in diags), got
    assert any("kubeconform" in str(d["message"]) for d in diags)


@pytest.mark.tools
def test_exported_schemas_work_with_kubeconform_directly(tmp_path: Path) -> None:
    binary = _kubeconform()
    out = tmp_path / "schemas"
    res = run_genplat(
        "schemas", "export", str(out), *crd_flags("flux-kustomize"), "--kubernetes", "--kubernetes-version", K8S
    )
    assert res.code == 0, res.stderr
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MIXED["apps/api.yaml"])
    proc = subprocess.run(
        [
            binary,
            "-strict",
            "-output",
            "json",
            "-kubernetes-version",
            f"{K8S}.0",
            "-schema-location",
            f"{out}/{{{{.Group}}}}/{{{{.ResourceKind}}}}_{{{{.ResourceAPIVersion}}}}.json",
            "-schema-location",
            str(out),
            str(manifest),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(proc.stdout)
    statuses = sorted((r["kind"], r["status"]) for r in report["resources"])
    assert statuses == [("Deployment", "statusInvalid"), ("Kustomization", "statusInvalid")], proc.stdout


def test_kubeconform_missing_is_a_plain_error(tmp_path: Path) -> None:
    f = tmp_path / "cm.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    res = run_genplat("check", str(f), "--kubeconform", env={"PATH": str(empty)})
    assert res.code == 2
    assert "kubeconform" in res.stderr and "not on PATH" in res.stderr
    assert "Traceback" not in res.stderr
