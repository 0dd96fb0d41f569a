"""The GitOps wiring validates against the pinned upstream CRDs and pins digests."""

from __future__ import annotations

import copy
import typing as t
from pathlib import Path

import jsonschema
import pytest
import yaml

from genplat import GenplatError
from genplat.oci import package_bundle, render_gitops

from upstream_parts import crd_file, tool

from .conftest import bundle_files

CRD_FILES = {
    ("source.toolkit.fluxcd.io/v1", "OCIRepository"): ("flux-source", "source.toolkit.fluxcd.io_ocirepositories.yaml"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"): ("flux-kustomize", "kustomize.toolkit.fluxcd.io_kustomizations.yaml"),
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
    if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields") \
            and "additionalProperties" not in schema:
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


DIGESTS = {"dev-eu1": "sha256:" + "a" * 64, "prod-us1": "sha256:" + "b" * 64}


@pytest.mark.parametrize("insecure", [False, True])
def test_flux_wiring_valid_and_pinned(insecure: bool) -> None:
    files = render_gitops(DIGESTS, registry="oci://registry.acme.example/platform/", insecure=insecure)
    assert sorted(files) == ["flux/dev-eu1.yaml", "flux/prod-us1.yaml"]
    source, kustomization = files["flux/dev-eu1.yaml"]
    for doc in (source, kustomization):
        _validate(doc)
    assert source["spec"]["url"] == "oci://registry.acme.example/platform/dev-eu1"
    assert source["spec"]["ref"] == {"digest": DIGESTS["dev-eu1"]}
    assert source["spec"].get("insecure", False) is insecure
    assert kustomization["spec"]["sourceRef"] == {"kind": "OCIRepository", "name": "dev-eu1"}


def test_kapp_wiring_valid_and_pinned() -> None:
    files = render_gitops(DIGESTS, registry="registry.acme.example/platform", fmt="imgpkg")
    (app,) = files["kapp/prod-us1.yaml"]
    _validate(app)
    spec = app["spec"]
    assert spec["fetch"] == [{"imgpkgBundle": {"image": f"registry.acme.example/platform/prod-us1@{DIGESTS['prod-us1']}"}}]
    assert spec["template"][0]["ytt"]["paths"] == ["config/"]
    assert spec["template"][1] == {"kbld": {"paths": ["-", ".imgpkg/images.yml"]}}
    assert spec["deploy"] == [{"kapp": {}}]


def test_schema_check_is_strict() -> None:
    """The converted schema really rejects a misspelt field (so the tests above can fail)."""
    (source, _k) = render_gitops(DIGESTS, registry="r.example/p")["flux/dev-eu1.yaml"]
    bad = copy.deepcopy(source)
    bad["spec"]["refs"] = bad["spec"].pop("ref")
    with pytest.raises(jsonschema.ValidationError):
        _validate(bad)


def test_wiring_uses_the_packaged_digest() -> None:
    art = package_bundle(bundle_files("dev", "eu1"))
    (source, _k) = render_gitops({"dev-eu1": art.digest}, registry="r.example/p")["flux/dev-eu1.yaml"]
    assert source["spec"]["ref"]["digest"] == art.digest


@pytest.mark.parametrize("bundles,match", [
    ({"Dev_EU": "sha256:" + "a" * 64}, "valid Kubernetes name"),
    ({"dev-eu1": "sha256:abc"}, "not a sha256 digest"),
])
def test_bad_input(bundles: dict[str, str], match: str) -> None:
    with pytest.raises(GenplatError, match=match):
        render_gitops(bundles, registry="r.example")


def test_kapp_template_runs_with_ytt(tmp_path: Path) -> None:
    """When ytt is around, the App's ytt step over config/ drops kustomization.yaml and keeps the objects."""
    import shutil
    import subprocess

    ytt = tool("ytt")
    from genplat.oci import extract_artifact
    art = package_bundle(bundle_files("dev", "eu1"), fmt="imgpkg")
    extract_artifact(art, tmp_path / "b")
    (app,) = render_gitops({"dev-eu1": art.digest}, registry="r.example", fmt="imgpkg")["kapp/dev-eu1.yaml"]
    step = app["spec"]["template"][0]["ytt"]
    args = [ytt, "--ignore-unknown-comments"]
    for path in step["paths"]:
        args += ["-f", str(tmp_path / "b" / path)]
    for mark in step["fileMarks"]:
        args += ["--file-mark", mark]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    kinds = [d["kind"] for d in yaml.safe_load_all(out) if d]
    assert "Kustomization" not in kinds and kinds.count("Deployment") == 6
