"""``genplat fmt``: canonical key order and indentation, comments kept.

Keys follow the order of the blueprint's JSON Schema (``apiVersion, kind, metadata, spec``, then each
object's properties as the schema lists them; keys the schema does not name keep their order, after
the named ones; flow mappings keep theirs). Block mappings are indented by two spaces, block sequences by four with the dash at
two (``- name: dev`` under its key). Flow collections (``{cpu: "1", memory: 1Gi}``) stay flow,
strings keep their quotes, comments and blank lines stay with the key they follow.
"""

from __future__ import annotations

import typing as t

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from genplat.authoring._roundtrip import RoundTrip
from genplat.authoring._schema_paths import subschemas

_KINDS = {"Platform": "platform", "Tenant": "tenant"}
_HEADER = ("apiVersion", "kind", "metadata", "spec")


def _order(kind: str | None, path: list[str | int], keys: list[t.Any]) -> list[t.Any]:
    if not path:
        named: list[str] = list(_HEADER)
    elif kind is None:
        return keys
    else:
        named = []
        for s in subschemas(kind, path):
            for k in s.get("properties") or {}:
                if k not in named:
                    named.append(k)
    rank = {k: i for i, k in enumerate(named)}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), 0 if k in rank else keys.index(k)))


def _reorder(node: t.Any, kind: str | None, path: list[str | int]) -> None:
    if isinstance(node, CommentedMap):
        keys = list(node.keys())
        # A flow mapping ({type: string, default: "16"}) is written on one line in the order its
        # author chose: reorder only block mappings.
        wanted = keys if node.fa.flow_style() else _order(kind, path, keys)
        if wanted != keys:
            for k in wanted:
                node.move_to_end(k)
        for k in node:
            _reorder(node[k], kind, [*path, k] if isinstance(k, str) else path)
    elif isinstance(node, CommentedSeq):
        for i, item in enumerate(node):
            _reorder(item, kind, [*path, i])


def format_text(text: str) -> str:
    """The canonical form of a blueprint's text (the same text when it already is)."""
    rt = RoundTrip(text)
    data = rt.data
    kind = _KINDS.get(str(data.get("kind"))) if isinstance(data, dict) else None
    _reorder(data, kind, [])
    canonical = RoundTrip.make(sequence=4, offset=2)
    import io

    out = io.StringIO()
    canonical.dump(data, out)
    return out.getvalue()
