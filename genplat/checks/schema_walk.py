"""Follow a field path through a converted (strict JSON) schema: does the path exist, and with what shape.

Used on composed resources' schemas (where may a patch write?) and on the composite resource's own
(what may a patch read?). A node says what it holds by ``type``, ``properties``, ``additionalProperties``
and ``items``; ``allOf`` branches (ObjectMeta merged with a CRD's own ``metadata``) are read together.
A node that keeps unknown fields, or has no schema at all, accepts any path below it.
"""

from __future__ import annotations

import dataclasses
import typing as t

Segment = str | int

#: JSON value types a schema ``type`` may name, in the order messages list them.
TYPES = ("object", "array", "string", "integer", "number", "boolean")


@dataclasses.dataclass(frozen=True, slots=True)
class Walk:
    """Where a path led. ``problem`` is None when the path exists; then ``node`` is its schema (None:
    anything goes below an earlier node)."""

    node: dict[str, t.Any] | None
    problem: str | None = (
        None  # "unknown-field", "list" (a field of a list), "object" (an index into an object), "scalar"
    )
    at: int = 0  # index of the segment that failed
    known: tuple[str, ...] = ()  # the fields the parent knows (unknown-field)
    holds: str = ""  # what the parent holds instead ("list", "object", "string", …)


def types_of(node: t.Mapping[str, t.Any]) -> set[str]:
    """The non-null types a node allows (empty: any)."""
    raw = node.get("type")
    if isinstance(raw, str):
        return {raw} - {"null"}
    if isinstance(raw, list):
        return {x for x in raw if isinstance(x, str)} - {"null"}
    return set()


def _merged(node: dict[str, t.Any]) -> dict[str, t.Any]:
    """A node with its ``allOf`` branches' properties, types and items folded in."""
    branches = [b for b in node.get("allOf") or [] if isinstance(b, dict)]
    if not branches:
        return node
    out = dict(node)
    props: dict[str, t.Any] = {}
    for b in [node, *(_merged(x) for x in branches)]:
        props.update(b.get("properties") or {})
        for key in ("type", "items", "additionalProperties"):
            if key in b and key not in out:
                out[key] = b[key]
    if props:
        out["properties"] = props
    return out


def _holds(types: set[str]) -> str:
    if "array" in types:
        return "list"
    if "object" in types:
        return "object"
    return " or ".join(x for x in TYPES if x in types)


def walk(schema: dict[str, t.Any], segments: t.Sequence[Segment]) -> Walk:
    """Follow ``segments`` from ``schema``."""
    node: dict[str, t.Any] | None = schema
    for i, seg in enumerate(segments):
        if node is None:
            return Walk(None)
        node = _merged(node)
        types = types_of(node)
        if isinstance(seg, int):
            if types and "array" not in types:
                return Walk(node, "object" if "object" in types else "scalar", i, holds=_holds(types))
            items = node.get("items")
            node = items if isinstance(items, dict) else None
            continue
        if types and "object" not in types:
            return Walk(node, "list" if "array" in types else "scalar", i, holds=_holds(types))
        raw = node.get("properties")
        props: dict[str, t.Any] = raw if isinstance(raw, dict) else {}
        extra = node.get("additionalProperties")
        if seg in props:
            node = props[seg] if isinstance(props[seg], dict) else None
        elif isinstance(extra, dict):
            node = extra
        elif extra is False:
            return Walk(node, "unknown-field", i, tuple(props))
        else:
            node = None  # unknown fields are kept: anything goes below
    return Walk(node)
