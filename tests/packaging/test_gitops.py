"""The GitOps wiring validates against the pinned upstream CRDs and pins digests."""

from __future__ import annotations

import copy
import typing as t
from pathlib import Path

import jsonschema
import pytest
import yaml

from genplat import GenplatError
from genplat.packaging.artifact import package_bundle
from genplat.packaging.gitops import render_gitops
from tests.registry import bundle_files
from tests.upstream_parts import crd_file, tool

CRD_FILES = {
    ("source.toolkit.fluxcd.io/v1", "OCIRepository"): ("flux-source", "source.toolkit.fluxcd.io_ocirepositories.yaml"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"): (
        "flux-kustomize",
        "kustomize.toolkit.fluxcd.io_kustomizations.yaml",
    ),
    ("kappctrl.k14s.io/v1alpha1", "App"): ("kapp-controller", "kappctrl.k14s.io_apps.yaml"),
}


def _strict(schema: t.Any) -> t.Any:
    """Minimal openAPIV3Schema → JSON Schema: closed objects, nullable and int-or-string translated."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    out.pop("nullable", None)
    if (
        "properties" in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
        and "additionalProperties" not in schema
    ):
        out["additionalProperties"] = False
    return out


def _schema(api_version: str, kind: str) -> dict[str, t.Any]:
    path = crd_file(*CRD_FILES[(api_version, kind)])
    group, version = api_version.split("/")
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and doc["spec"]["group"] == group and doc["spec"]["names"]["kind"] == kind:
            for v in doc["spec"]["versions"]:
                if v["name"] == version:
                    schema = _strict(copy.deepcopy(v["schema"]["openAPIV3Schema"]))
                    schema["properties"]["apiVersion"] = {"const": api_version}
                    schema["properties"]["kind"] = {"const": kind}
                    return t.cast(dict[str, t.Any], schema)
    raise AssertionError(f"no {kind} {api_version} in {path}")


def _validate(doc: dict[str, t.Any]) -> None:
    jsonschema.Draft7Validator(_schema(doc["apiVersion"], doc["kind"])).validate(doc)


def _by_kind(docs: list[dict[str, t.Any]], kind: str) -> list[dict[str, t.Any]]:
    return [d for d in docs if d["kind"] == kind]


def _app(docs: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    (app,) = _by_kind(docs, "App")
    return app


DIGESTS = {"dev-eu1": "sha256:" + "a" * 64, "prod-us1": "sha256:" + "b" * 64}


@pytest.mark.parametrize("insecure", [False, True])
def test_flux_wiring_valid_and_pinned(insecure: bool) -> None:
    files = render_gitops(DIGESTS, registry="oci://registry.acme.example/platform/", insecure=insecure)
    assert sorted(files) == ["flux/dev-eu1.yaml", "flux/prod-us1.yaml"]
    source, platform, tenants = files["flux/dev-eu1.yaml"]
    for doc in (source, platform, tenants):
        _validate(doc)
    assert source["kind"] == "OCIRepository"
    assert source["spec"]["url"] == "oci://registry.acme.example/platform/dev-eu1"
    assert source["spec"]["ref"] == {"digest": DIGESTS["dev-eu1"]}
    assert source["spec"].get("insecure", False) is insecure
    # One Kustomization per layer: the tenant layer waits for the platform layer to be healthy.
    assert [platform["metadata"]["name"], tenants["metadata"]["name"]] == ["dev-eu1-platform", "dev-eu1-tenants"]
    assert [platform["spec"]["path"], tenants["spec"]["path"]] == ["./platform", "./tenants"]
    assert "dependsOn" not in platform["spec"] and tenants["spec"]["dependsOn"] == [{"name": "dev-eu1-platform"}]
    assert platform["spec"]["wait"] is True
    for ks in (platform, tenants):
        assert ks["spec"]["sourceRef"] == {"kind": "OCIRepository", "name": "dev-eu1"}
        assert ks["spec"]["timeout"] and ks["spec"]["retryInterval"] and ks["spec"]["prune"] is True


def test_flux_health_checks_cover_the_platform_kinds_the_bundle_holds() -> None:
    kinds = {
        ("apiextensions.crossplane.io/v2", "CompositeResourceDefinition"),
        ("pkg.crossplane.io/v1", "Function"),
        ("policies.kyverno.io/v1", "ValidatingPolicy"),
        ("kyverno.io/v1", "ClusterPolicy"),
        ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),
        ("v1", "Namespace"),
    }
    files = render_gitops(DIGESTS, registry="r.example/p", access={"dev-eu1": (kinds, set())})
    _source, platform, tenants = files["flux/dev-eu1.yaml"]
    _validate(platform)
    exprs = {(e["apiVersion"], e["kind"]): e for e in platform["spec"]["healthCheckExprs"]}
    # Every policy kind genplat renders with a readiness, so tenants wait for enforcement; the native
    # ValidatingAdmissionPolicy has none (the API server enforces it once stored).
    assert set(exprs) == kinds - {("v1", "Namespace"), ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy")}
    assert "Established" in exprs[("apiextensions.crossplane.io/v2", "CompositeResourceDefinition")]["current"]
    assert "Healthy" in exprs[("pkg.crossplane.io/v1", "Function")]["current"]
    assert "status.conditionStatus" in exprs[("policies.kyverno.io/v1", "ValidatingPolicy")]["current"]
    assert "'Ready'" in exprs[("kyverno.io/v1", "ClusterPolicy")]["current"]
    # "Not reported yet" is InProgress, decided before anything reads status (which may not exist).
    for e in exprs.values():
        assert e["inProgress"].startswith("(has(metadata.managedFields) && ")
    # Each layer says which it is, for `genplat status`.
    assert platform["metadata"]["labels"]["genplat.dev/layer"] == "platform"
    assert tenants["metadata"]["labels"]["genplat.dev/layer"] == "tenants"
    # A bundle without such kinds has no expressions at all.
    assert "healthCheckExprs" not in files["flux/prod-us1.yaml"][1]["spec"]


def test_kapp_wiring_valid_and_pinned() -> None:
    files = render_gitops(DIGESTS, registry="registry.acme.example/platform", fmt="imgpkg")
    app = _app(files["kapp/prod-us1.yaml"])
    _validate(app)
    spec = app["spec"]
    assert spec["fetch"] == [
        {"imgpkgBundle": {"image": f"registry.acme.example/platform/prod-us1@{DIGESTS['prod-us1']}"}}
    ]
    assert spec["template"][0]["ytt"]["paths"] == ["config/"]
    assert spec["serviceAccountName"] == "genplat-deployer"
    (sa,) = _by_kind(files["kapp/prod-us1.yaml"], "ServiceAccount")
    assert sa["metadata"] == {
        "name": "genplat-deployer",
        "namespace": app["metadata"]["namespace"],
        "labels": {"app.kubernetes.io/managed-by": "genplat"},
    }
    assert spec["template"][1] == {"kbld": {"paths": ["-", ".imgpkg/images.yml"]}}
    assert spec["deploy"] == [{"kapp": {}}]


def test_schema_check_is_strict() -> None:
    """The converted schema really rejects a misspelt field (so the tests above can fail)."""
    (source, _p, _t) = render_gitops(DIGESTS, registry="r.example/p")["flux/dev-eu1.yaml"]
    bad = copy.deepcopy(source)
    bad["spec"]["refs"] = bad["spec"].pop("ref")
    with pytest.raises(jsonschema.ValidationError):
        _validate(bad)


def test_wiring_uses_the_packaged_digest() -> None:
    art = package_bundle(bundle_files("dev", "eu1"))
    (source, _p, _t) = render_gitops({"dev-eu1": art.digest}, registry="r.example/p")["flux/dev-eu1.yaml"]
    assert source["spec"]["ref"]["digest"] == art.digest


@pytest.mark.parametrize(
    "bundles,match",
    [
        ({"Dev_EU": "sha256:" + "a" * 64}, "valid Kubernetes name"),
        ({"dev-eu1": "sha256:abc"}, "not a sha256 digest"),
    ],
)
def test_bad_input(bundles: dict[str, str], match: str) -> None:
    with pytest.raises(GenplatError, match=match):
        render_gitops(bundles, registry="r.example")


@pytest.mark.tools
def test_kapp_template_runs_with_ytt(tmp_path: Path) -> None:
    """When ytt is around, the App's ytt step over config/ drops kustomization.yaml and keeps the objects."""
    import subprocess

    ytt = tool("ytt")
    from genplat.publish.transfer import extract_artifact

    art = package_bundle(bundle_files("dev", "eu1"), fmt="imgpkg")
    extract_artifact(art, tmp_path / "b")
    app = _app(render_gitops({"dev-eu1": art.digest}, registry="r.example", fmt="imgpkg")["kapp/dev-eu1.yaml"])
    step = app["spec"]["template"][0]["ytt"]
    args = [ytt, "--ignore-unknown-comments"]
    for path in step["paths"]:
        args += ["-f", str(tmp_path / "b" / path)]
    for mark in step["fileMarks"]:
        args += ["--file-mark", mark]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    kinds = [d["kind"] for d in yaml.safe_load_all(out) if d]
    assert "Kustomization" not in kinds and kinds.count("Deployment") == 6


def _check(tmp_path: Path, docs: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    import json
    import subprocess
    import sys

    from genplat.rendering.emit import dump_documents

    path = tmp_path / "wiring.yaml"
    path.write_text(dump_documents((None, d) for d in docs))
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("genplat")), "check", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return [d for d in json.loads(proc.stdout)["diagnostics"] if d["rule"].startswith("guardrail/rbac")]


def test_kapp_deployer_rbac_is_scoped_and_passes_the_rbac_guardrails(tmp_path: Path) -> None:
    kinds = {
        ("v1", "Namespace"),
        ("serving.knative.dev/v1", "Service"),
        ("kyverno.io/v1", "ClusterPolicy"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    }
    docs = render_gitops(
        DIGESTS, registry="r.example/p", fmt="imgpkg", access={"prod-us1": (kinds, {("ClusterRole", "edit")})}
    )["kapp/prod-us1.yaml"]
    (role,) = _by_kind(docs, "ClusterRole")
    granted = {(g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    assert granted == {
        ("", "namespaces"),
        ("serving.knative.dev", "services"),
        ("kyverno.io", "clusterpolicies"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("rbac.authorization.k8s.io", "clusterroles"),
    }
    (bind,) = [r for r in role["rules"] if r["verbs"] == ["bind"]]
    assert bind["resourceNames"] == ["edit"]  # binding the tenants' role, nothing else
    (crb,) = _by_kind(docs, "ClusterRoleBinding")
    assert crb["roleRef"]["name"] == role["metadata"]["name"] != "cluster-admin"
    assert crb["subjects"] == [{"kind": "ServiceAccount", "name": "genplat-deployer", "namespace": "kapp-controller"}]
    assert _check(tmp_path, docs) == []
    # The guardrails do look at it: a wildcard would be flagged.
    role["rules"][0]["verbs"] = ["*"]
    assert [d["rule"] for d in _check(tmp_path, docs)] == ["guardrail/rbac-wildcard", "guardrail/rbac-wildcard"]


@pytest.mark.tools
@pytest.mark.parametrize(
    "status,done,successful,message",
    [
        (None, False, False, "not reported a status yet"),
        (
            {
                "conditionStatus": {
                    "ready": False,
                    "conditions": [
                        {
                            "type": "WebhookConfigured",
                            "status": "False",
                            "message": "Policy is not configured in the webhook.",
                        }
                    ],
                }
            },
            False,
            False,
            "WebhookConfigured: Policy is not configured in the webhook.",
        ),
        ({"conditionStatus": {"ready": True}}, True, True, "ready"),
    ],
)
def test_kapp_waits_for_kyverno_validating_policies(
    tmp_path: Path, status: dict[str, t.Any] | None, done: bool, successful: bool, message: str
) -> None:
    """kapp's ytt wait rule for ValidatingPolicy, run by ytt as kapp runs it (funcContractV1: resource.star
    loaded by a config.yml that calls ``is_done(data.values)``, the resource given as data values)."""
    import subprocess

    from genplat.rendering.kapp import kapp_config

    (rule,) = [
        r
        for r in kapp_config()["waitRules"]
        if r["resourceMatchers"][0]["apiVersionKindMatcher"]["kind"] == "ValidatingPolicy"
    ]
    (tmp_path / "resource.star").write_text(rule["ytt"]["funcContractV1"]["resource.star"])
    (tmp_path / "config.yml").write_text(
        '#@ load("resource.star", "is_done")\n#@ load("@ytt:data", "data")\n\nresult: #@ is_done(data.values)\n'
    )
    obj: dict[str, t.Any] = {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": "genplat-image-tag"},
    }
    if status is not None:
        obj["status"] = status
    (tmp_path / "values.yml").write_text(yaml.safe_dump(obj))
    out = subprocess.run(
        [
            tool("ytt"),
            "-f",
            str(tmp_path / "resource.star"),
            "-f",
            str(tmp_path / "config.yml"),
            "--data-values-file",
            str(tmp_path / "values.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    result = yaml.safe_load(out.stdout)["result"]
    assert (result["done"], result["successful"]) == (done, successful)
    assert message in result["message"]
