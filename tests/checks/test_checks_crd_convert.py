"""The CRD → strict JSON Schema rules one by one, and the content-hash cache."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import jsonschema_rs
import pytest

from genplat.checks import _cache
from genplat.checks.crd_schema import convert_crd, load_crd_file, prune_nulls, root_schema
from tests.upstream_parts import crd_file


def valid(openapi: dict[str, t.Any], obj: dict[str, t.Any]) -> bool:
    schema = root_schema(openapi, group="acme.io", version="v1", kind="Widget")
    doc = prune_nulls({"apiVersion": "acme.io/v1", "kind": "Widget", **obj}, schema)  # as the API server does
    return bool(jsonschema_rs.validator_for(schema).is_valid(doc))


SPEC = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size", "mode"],
            "properties": {
                "size": {"type": "string"},
                "mode": {"type": "string", "default": "fast", "enum": ["fast", "slow"]},
                "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                "note": {"type": "string", "nullable": True},
                "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                "free": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"a": {"type": "string"}},
                },
                "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                "either": {
                    "type": "object",
                    "properties": {"x": {"type": "string"}, "y": {"type": "string"}},
                    "oneOf": [{"required": ["x"]}, {"required": ["y"]}],
                },
                "embedded": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "x-kubernetes-preserve-unknown-fields": True,
                },
                "nums": {"type": "array", "items": {"type": "integer"}},
            },
        }
    },
}


@pytest.mark.parametrize(
    "spec,ok",
    [
        ({"size": "s"}, True),  # mode has a default: not demanded
        ({"mode": "fast"}, False),  # size is required
        ({"size": "s", "extra": 1}, False),  # listed properties: no others
        ({"size": "s", "port": 8080}, True),
        ({"size": "s", "port": "http"}, True),  # int-or-string
        ({"size": "s", "port": 1.5}, False),
        ({"size": "s", "note": None}, True),  # nullable
        ({"size": "s", "mode": None}, True),  # a null property is pruned by the API server
        ({"size": None, "mode": "fast"}, False),  # ...so a required one given as null is missing
        ({"size": "s", "nums": [1, None]}, False),  # ...but not a null list item
        ({"size": "s", "mode": "medium"}, False),  # enum
        ({"size": "s", "tags": ["a", "a"]}, False),  # list-type set
        ({"size": "s", "free": {"anything": {"goes": 1}}}, True),  # preserve-unknown-fields
        ({"size": "s", "free": {"a": 1}}, False),  # ...but listed fields keep their type
        ({"size": "s", "ratio": 0}, False),  # exclusiveMinimum: true
        ({"size": "s", "ratio": 0.5}, True),
        ({"size": "s", "either": {"x": "1"}}, True),  # oneOf branches list one field: no refusal of the other
        ({"size": "s", "either": {"x": "1", "y": "2"}}, False),
        ({"size": "s", "embedded": {"apiVersion": "v1", "kind": "ConfigMap", "data": {}}}, True),
        ({"size": "s", "embedded": {"data": {}}}, False),  # embedded resource needs apiVersion and kind
        ({"size": "s", "embedded": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"labels": {"a": 1}}}}, False),
    ],
)
def test_conversion_rules(spec: dict[str, t.Any], ok: bool) -> None:
    assert valid(SPEC, {"metadata": {"name": "w"}, "spec": spec}) is ok


@pytest.mark.parametrize(
    "obj,ok",
    [
        ({"metadata": {"name": "w", "labels": {"a": "b"}, "annotations": {"x": "y"}}}, True),
        ({"metadata": {"name": "w", "labels": {"a": 1}}}, False),
        ({"metadata": {"name": "w", "annotations": {"a": True}}}, False),
        ({"metadata": {"name": "w", "lables": {}}}, False),
        ({"metadata": {"name": "w"}, "extra": 1}, False),
    ],
)
def test_metadata_is_object_meta(obj: dict[str, t.Any], ok: bool) -> None:
    assert valid({"type": "object"}, obj) is ok


def test_api_version_and_kind_are_pinned() -> None:
    schema = root_schema({"type": "object"}, group="acme.io", version="v1", kind="Widget")
    v = jsonschema_rs.validator_for(schema)
    assert v.is_valid({"apiVersion": "acme.io/v1", "kind": "Widget"})
    assert not v.is_valid({"apiVersion": "acme.io/v2", "kind": "Widget"})
    assert not v.is_valid({"apiVersion": "acme.io/v1", "kind": "Gadget"})
    assert not v.is_valid({"kind": "Widget"})


def test_only_served_versions() -> None:
    crd = {
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "acme.io",
            "names": {"kind": "Widget"},
            "scope": "Cluster",
            "versions": [
                {"name": "v1", "served": True, "schema": {"openAPIV3Schema": SPEC}},
                {"name": "v0", "served": False},
            ],
        },
    }
    versions, problems = convert_crd(crd, "x.yaml")
    assert [(v.version, v.scope) for v in versions] == [("v1", "Cluster")] and problems == []


def test_cache_hit_corruption_and_atomicity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENPLAT_CACHE_DIR", str(tmp_path / "cache"))
    crd = crd_file("flux-source", "source.toolkit.fluxcd.io_ocirepositories.yaml")
    first, diags = load_crd_file(crd)
    assert first and not diags
    entries = list((tmp_path / "cache").rglob("*.json"))
    assert len(entries) == 1 and not list((tmp_path / "cache").rglob(".tmp-*"))
    # A second run reads the entry instead of the YAML: prove it by marking the entry.
    doc = json.loads(entries[0].read_text())
    doc["crds"][0]["kind"] = "FromCache"
    entries[0].write_text(json.dumps(doc))
    second, _ = load_crd_file(crd)
    assert second[0].kind == "FromCache"
    # A corrupt entry is a miss, and gets rewritten.
    entries[0].write_bytes(b"\x00not json")
    third, diags = load_crd_file(crd)
    assert [v.to_dict() for v in third] == [v.to_dict() for v in first] and not diags
    assert json.loads(entries[0].read_text())["crds"][0]["kind"] == "OCIRepository"


def test_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("GENPLAT_CACHE_DIR", str(blocker / "sub"))  # below a file: mkdir fails
    versions, diags = load_crd_file(crd_file("knative-eventing", "broker.yaml"))
    assert versions and not diags
    assert _cache.read_json(blocker / "sub" / "x.json") is None


def test_bad_crd_file_is_a_diagnostic(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: CustomResourceDefinition\nspec: {group: [\n")
    versions, diags = load_crd_file(bad, use_cache=False)
    assert versions == [] and diags[0].rule == "crd-invalid" and diags[0].line == 3


def test_a_plain_equals_sign_is_a_string_as_kubernetes_reads_it() -> None:
    """prometheus-operator's AlertmanagerConfig CRD has ``enum: ['!=', =, =~, '!~']``: YAML 1.1 readers
    make the plain ``=`` a 'value' node; Kubernetes (and so genplat) reads the string."""
    versions, diags = load_crd_file(crd_file("prometheus-operator", "monitoring.coreos.com_alertmanagerconfigs.yaml"))
    assert versions and not diags
    text = json.dumps([v.to_dict() for v in versions])
    assert '["!=", "=", "=~", "!~"]' in text


def test_docs_match_the_rule_modules() -> None:
    from genplat.checks.docs import render

    from .conftest import REPO

    assert (REPO / "docs" / "checks.md").read_text() == render(), (
        "regenerate: python -m genplat.checks.docs > docs/checks.md"
    )
