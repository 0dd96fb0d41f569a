"""Blueprint JSON Schemas (Draft 2020-12) and schema validation with readable findings.

Valid documents, the common case, take the fast path through jsonschema-rs. Only a document that
fails is walked again with the pure-Python ``jsonschema``, whose error objects carry the schema
keyword and value needed to write a message a person can act on.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
import typing as t

import jsonschema
import jsonschema_rs

from genplat.core.diagnostics import Diagnostic
from genplat.core.suggest import did_you_mean

if t.TYPE_CHECKING:
    from genplat.loader.project import Blueprint

SCHEMA_NAMES = {"Platform": "platform", "Tenant": "tenant"}
_NAME_PATTERN = "^[a-z]([-a-z0-9]*[a-z0-9])?$"


@functools.cache
def schema_text(name: str) -> str:
    return importlib.resources.files("genplat.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")


@functools.cache
def load_schema(name: str) -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", json.loads(schema_text(name)))


@functools.cache
def _validators(name: str) -> tuple[t.Any, jsonschema.Draft202012Validator]:
    schema = load_schema(name)
    return jsonschema_rs.validator_for(schema), jsonschema.Draft202012Validator(schema)


_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "list",
    dict: "mapping",
    type(None): "null",
}


# JSON Schema's type names in the words the findings use for YAML ("got mapping", so "expected list").
_SCHEMA_TYPES = {"array": "list", "object": "mapping"}


def _type_name(value: t.Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def validate_blueprint(bp: Blueprint) -> list[Diagnostic]:
    name = SCHEMA_NAMES.get(bp.kind or "")
    if name is None:
        return []
    fast, slow = _validators(name)
    if fast.is_valid(bp.data):
        return []
    out: list[Diagnostic] = []
    for error in slow.iter_errors(bp.data):
        out.extend(_to_diagnostics(bp, error))
    return out


def _leaf_errors(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """For oneOf/anyOf, report the branch that got furthest rather than a vague 'not valid under any'."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = jsonschema.exceptions.best_match(error.context)
        if (best is not None and best.validator not in ("required",)) or error.validator == "anyOf":
            return _leaf_errors(best) if best is not None else [error]
    return [error]


def _to_diagnostics(bp: Blueprint, error: jsonschema.ValidationError) -> list[Diagnostic]:
    path = list(error.absolute_path)
    kw = error.validator
    value = error.instance
    # The keyword's value in the schema: the stub allows "unset", but errors a validator yields always have it.
    rule_value: t.Any = error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    if len(error.schema_path) >= 2 and error.schema_path[-2] == "propertyNames" and isinstance(value, str):
        # jsonschema checks property names without adding the key to the path: point at the key itself.
        if kw == "pattern":
            return [
                bp.diagnostic(
                    "schema-pattern",
                    f"key {_short(value)} does not match the pattern {rule_value!r}",
                    [*path, value],
                    key=True,
                )
            ]
        return [
            bp.diagnostic(
                "schema-" + _kebab(str(kw)),
                f"key {_short(value)} is not allowed here: {error.message}",
                [*path, value],
                key=True,
            )
        ]
    if kw == "additionalProperties" and isinstance(value, dict):
        allowed = list((schema.get("properties") or {}).keys())
        extras = [k for k in value if k not in allowed and not _matches_pattern_props(schema, k)]
        return [
            bp.diagnostic(
                "schema-unknown-field",
                f"unknown field {k!r}",
                [*path, k],
                key=True,
                hint=did_you_mean(str(k), allowed) if allowed else "this mapping takes no fields here",
            )
            for k in extras
        ]
    if kw == "required":
        missing = [r for r in rule_value if isinstance(value, dict) and r not in value]
        return [
            bp.diagnostic("schema-required", f"missing required field {m!r}", path, hint=_describe(schema, m))
            for m in missing
        ]
    if kw == "type":
        expected = rule_value if isinstance(rule_value, list) else [rule_value]
        expected_s = " or ".join(_SCHEMA_TYPES.get(str(e), str(e)) for e in expected)
        hint = None
        if value is None:
            hint = (
                f"nothing is written under {path[-1]!r}: put its value on the same line, or indent the lines "
                "that belong to it further than it"
                if path
                else None
            )
        elif isinstance(value, dict) and "list" in expected_s:
            hint = "write each entry as a list item starting with '- ' (e.g. '- name: …'), one under the other"
        elif isinstance(value, list) and "mapping" in expected_s:
            hint = "write 'key: value' lines under it, without '- '"
        elif isinstance(value, bool) and "string" in expected_s:
            hint = "YAML reads yes/no/on/off/true/false as booleans: put the value in quotes"
        elif isinstance(value, (int, float)) and "string" in expected_s:
            # Not the value echoed back in quotes: YAML already changed it (1.30 → 1.3, 010 → 8).
            hint = f"YAML reads this as the number {value}; put it in quotes to keep the text as written"
        elif isinstance(value, str) and "list" in expected_s:
            hint = f"write a list: [{value}]"
        got = "nothing" if value is None else f"{_type_name(value)} {_short(value)}"
        return [bp.diagnostic("schema-type", f"expected {expected_s}, got {got}", path, hint=hint)]
    if kw in ("enum", "const"):
        allowed = rule_value if kw == "enum" else [rule_value]
        return [
            bp.diagnostic(
                "schema-enum",
                f"{_short(value)} is not allowed here; expected one of: {', '.join(json.dumps(a) for a in allowed)}",
                path,
                hint=did_you_mean(str(value), [str(a) for a in allowed]),
            )
        ]
    if kw == "pattern":
        if rule_value == _NAME_PATTERN:
            return [
                bp.diagnostic(
                    "name-invalid",
                    f"{_short(value)} is not a valid name (a DNS-1123 label)",
                    path,
                    hint="use lower-case letters, digits and '-', start with a letter, end with a letter or digit",
                )
            ]
        return [
            bp.diagnostic(
                "schema-pattern",
                f"{_short(value)} does not match the pattern {rule_value!r}",
                path,
                hint=schema.get("description"),
            )
        ]
    if kw == "maxLength" and schema.get("pattern") == _NAME_PATTERN:
        return [bp.diagnostic("name-too-long", f"name {_short(value)} is longer than {rule_value} characters", path)]
    if kw in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "more than",
            "exclusiveMaximum": "less than",
        }[kw]
        return [bp.diagnostic("schema-range", f"{_short(value)} is out of range: must be {word} {rule_value}", path)]
    if kw in ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "uniqueItems"):
        return [bp.diagnostic("schema-size", error.message, path)]
    if kw in ("oneOf", "anyOf"):
        leaves = _leaf_errors(error)
        if leaves and leaves[0] is not error:
            return [d for leaf in leaves for d in _to_diagnostics(bp, leaf)]
        alternatives = [sorted(s.get("required", [])) for s in rule_value if isinstance(s, dict)]
        need = " or ".join("/".join(a) for a in alternatives if a)
        return [bp.diagnostic("schema-one-of", f"give exactly one of: {need}" if need else error.message, path)]
    if kw == "propertyNames":
        return [
            bp.diagnostic("schema-pattern", f"key {_short(value)} is not allowed here: {error.message}", path, key=True)
        ]
    return [bp.diagnostic("schema-" + _kebab(str(kw)), error.message, path)]


def _kebab(keyword: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", keyword).lower()


def _matches_pattern_props(schema: dict[str, t.Any], key: str) -> bool:
    return any(re.search(p, key) for p in (schema.get("patternProperties") or {}))


def _describe(schema: dict[str, t.Any], field: str) -> str | None:
    prop = (schema.get("properties") or {}).get(field)
    if isinstance(prop, dict) and prop.get("description"):
        return f"{field}: {prop['description']}"
    return None


def _short(value: t.Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"
