"""The blueprint JSON Schemas: valid Draft 2020-12, fully described, strict, and wired into the examples."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import jsonschema
import pytest
import yaml

from genplat.loader.project import blueprint_files

REPO = Path(__file__).resolve().parent.parent.parent
KINDS = {"platform": "Platform", "tenant": "Tenant"}
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _walk(node: t.Any, where: str = "#") -> t.Iterator[tuple[str, dict[str, t.Any]]]:
    """Every subschema with its location."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if key in ("properties", "patternProperties", "$defs"):
                for name, sub in value.items():
                    yield from _walk(sub, f"{where}/{key}/{name}")
            elif key in ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else", "contains"):
                yield from _walk(value, f"{where}/{key}")
            elif key in ("oneOf", "anyOf", "allOf", "prefixItems"):
                for i, sub in enumerate(value):
                    yield from _walk(sub, f"{where}/{key}/{i}")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_schema_command_prints_a_valid_draft_2020_12_schema(kind: str, genplat_cli: t.Any) -> None:
    result = genplat_cli("schema", kind)
    assert result.code == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["$schema"] == DRAFT
    jsonschema.Draft202012Validator.check_schema(schema)
    # What the command prints is the file editors are pointed at.
    assert schema == json.loads((REPO / "genplat" / "schemas" / f"{kind}.schema.json").read_text("utf-8"))
    assert schema["properties"]["kind"]["const"] == KINDS[kind]
    assert schema["properties"]["apiVersion"]["const"] == "genplat.dev/v1alpha1"


def test_schema_command_refuses_other_kinds(genplat_cli: t.Any) -> None:
    assert genplat_cli("schema", "cluster").code == 2


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_property_has_a_description(kind: str) -> None:
    schema = json.loads((REPO / "genplat" / "schemas" / f"{kind}.schema.json").read_text("utf-8"))
    assert schema.get("description")
    missing = []
    for where, sub in _walk(schema):
        for name, prop in (sub.get("properties") or {}).items():
            if not (
                isinstance(prop, dict) and isinstance(prop.get("description"), str) and prop["description"].strip()
            ):
                missing.append(f"{where}/properties/{name}")
        extra = sub.get("additionalProperties")
        if isinstance(extra, dict) and not extra.get("description"):  # map values (tiers, env, …) show in editors too
            missing.append(f"{where}/additionalProperties")
    assert missing == []


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_unknown_fields_are_errors(kind: str) -> None:
    """Every object with declared properties is closed: a misspelt field cannot pass silently."""
    schema = json.loads((REPO / "genplat" / "schemas" / f"{kind}.schema.json").read_text("utf-8"))
    open_objects = [
        where for where, sub in _walk(schema) if "properties" in sub and sub.get("additionalProperties") is not False
    ]
    assert open_objects == OPEN_ON_PURPOSE.get(kind, [])


OPEN_ON_PURPOSE = {
    # A composed resource's base is any Kubernetes object: only apiVersion and kind are known.
    "platform": [
        "#/properties/spec/properties/offerings/items/properties/compositions/items/properties/resources/items/properties/base"
    ],
}


EXAMPLE_FILES = sorted(p.relative_to(REPO).as_posix() for p in blueprint_files(REPO / "blueprints"))


@pytest.mark.parametrize("rel", EXAMPLE_FILES)
def test_examples_carry_a_modeline_to_their_schema(rel: str) -> None:
    path = REPO / rel
    text = path.read_text("utf-8")
    first = text.splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), first
    target = (path.parent / first[len(prefix) :].strip()).resolve()
    kind = yaml.safe_load(text)["kind"]
    assert target == (REPO / "genplat" / "schemas" / f"{kind.lower()}.schema.json").resolve()
    assert target.is_file()


@pytest.mark.parametrize("rel", EXAMPLE_FILES)
def test_examples_are_valid_against_the_schema_alone(rel: str) -> None:
    """Independent of genplat's own validator: plain jsonschema on the plain data."""
    data = yaml.safe_load((REPO / rel).read_text("utf-8"))
    schema = json.loads((REPO / "genplat" / "schemas" / f"{data['kind'].lower()}.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
