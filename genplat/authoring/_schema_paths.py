"""What a blueprint JSON Schema expects at a path: used to read ``VALUE`` text as the right type."""

from __future__ import annotations

import re
import typing as t

from genplat.validation.schema import load_schema


def _resolve(root: dict[str, t.Any], schema: t.Any, depth: int = 0) -> list[dict[str, t.Any]]:
    if not isinstance(schema, dict) or depth > 20:
        return []
    out: list[dict[str, t.Any]] = []
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: t.Any = root
        for part in ref[2:].split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        out.extend(_resolve(root, node, depth + 1))
    out.append(schema)
    for combinator in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(combinator) or []:
            out.extend(_resolve(root, sub, depth + 1))
    return out


def subschemas(kind: str, path: t.Sequence[str | int]) -> list[dict[str, t.Any]]:
    """Every (sub)schema that applies at ``path`` of a blueprint of ``kind`` ("platform" or "tenant")."""
    root = load_schema(kind)
    current = _resolve(root, root)
    for step in path:
        nxt: list[dict[str, t.Any]] = []
        for s in current:
            if isinstance(step, int):
                nxt.extend(_resolve(root, s.get("items")))
                continue
            props = s.get("properties") or {}
            if step in props:
                nxt.extend(_resolve(root, props[step]))
                continue
            matched = False
            for pattern, sub in (s.get("patternProperties") or {}).items():
                if re.search(pattern, step):
                    nxt.extend(_resolve(root, sub))
                    matched = True
            if not matched and isinstance(s.get("additionalProperties"), dict):
                nxt.extend(_resolve(root, s["additionalProperties"]))
        current = nxt
        if not current:
            break
    return current


def types_at(kind: str, path: t.Sequence[str | int]) -> set[str]:
    types: set[str] = set()
    for s in subschemas(kind, path):
        ty = s.get("type")
        if isinstance(ty, str):
            types.add(ty)
        elif isinstance(ty, list):
            types.update(x for x in ty if isinstance(x, str))
        if "enum" in s:
            types.update(_TYPE.get(type(v), "string") for v in s["enum"])
    return types


_TYPE = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
