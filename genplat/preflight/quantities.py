"""Every value the schemas call a Kubernetes quantity parses as one (the schema's pattern is looser:
it lets ``1.2.3`` through, which the API server refuses)."""

from __future__ import annotations

import re
import typing as t

from .._diagnostics import Diagnostic
from .._quantity import parse_quantity
from .._schema import SCHEMA_NAMES, load_schema

if t.TYPE_CHECKING:
    from .._project import Blueprint, Project


def _deref(root: dict[str, t.Any], node: t.Any) -> tuple[t.Any, bool]:
    """(the schema ``node`` stands for, whether it is the quantity definition)."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 20:
        ref = node["$ref"]
        if ref.endswith("/quantity"):
            return node, True
        target: t.Any = root
        for part in ref.lstrip("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        node, seen = target, seen + 1
    return node, False


def _walk(root: dict[str, t.Any], schema: t.Any, value: t.Any, path: tuple[str | int, ...]
          ) -> t.Iterator[tuple[tuple[str | int, ...], t.Any]]:
    schema, is_quantity = _deref(root, schema)
    if is_quantity:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and parse_quantity(value) is None:
            yield path, value
        return
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, sub in value.items():
            if key in props:
                yield from _walk(root, props[key], sub, (*path, key))
                continue
            pattern = next((s for p, s in (schema.get("patternProperties") or {}).items() if re.search(p, str(key))), None)
            extra = pattern if pattern is not None else schema.get("additionalProperties")
            if isinstance(extra, dict):
                yield from _walk(root, extra, sub, (*path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            yield from _walk(root, schema["items"], item, (*path, i))


def _check(bp: Blueprint) -> list[Diagnostic]:
    name = SCHEMA_NAMES.get(bp.kind or "")
    if name is None:
        return []
    root = load_schema(name)
    return [bp.diagnostic("quantity", f"{value!r} is not a Kubernetes quantity", path,
                          hint="write a number with an optional suffix: 500m, 2, 1.5, 512Mi, 1Gi, 10G")
            for path, value in _walk(root, root, bp.data, ())]


def check(project: Project) -> list[Diagnostic]:
    return [d for bp in [*([project.platform] if project.platform else []), *project.tenants] for d in _check(bp)]
