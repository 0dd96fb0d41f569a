"""docs/reference.md is what the schemas say today, and names every field of both."""

from __future__ import annotations

import typing as t
from pathlib import Path

from genplat.authoring._reference import generate
from genplat.validation.schema import load_schema

REPO = Path(__file__).resolve().parent.parent.parent


def test_reference_is_current() -> None:
    current = (REPO / "docs" / "reference.md").read_text("utf-8")
    assert current == generate(), (
        "docs/reference.md is stale: run `python -m genplat.authoring._reference > docs/reference.md`"
    )


def _fields(root: dict[str, t.Any], node: t.Any, path: str, depth: int = 0) -> t.Iterator[str]:
    while isinstance(node, dict) and "$ref" in node:
        target: t.Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    if not isinstance(node, dict) or depth > 12:
        return
    for key, sub in (node.get("properties") or {}).items():
        child = f"{path}.{key}" if path else key
        yield child
        yield from _fields(root, sub, child, depth + 1)
    if node.get("type") == "array":
        yield from _fields(root, node.get("items"), f"{path}[]", depth + 1)
    if isinstance(node.get("additionalProperties"), dict) and not node.get("properties"):
        yield from _fields(root, node["additionalProperties"], f"{path}.*", depth + 1)


def test_every_field_has_a_row_with_a_type() -> None:
    text = generate()
    for kind in ("platform", "tenant"):
        root = load_schema(kind)
        section = text.split(f"(`{kind}.schema.json`)", 1)[1].split("\n## ", 1)[0]
        rows = {line.split("`")[1]: line for line in section.splitlines() if line.startswith("| `")}
        fields = set(_fields(root, root, ""))
        assert fields and fields <= set(rows), fields - set(rows)
        for field in fields:
            cells = [c.strip() for c in rows[field].split(" | ")]
            assert cells[1] and cells[1] != "any", (kind, field, cells)  # a type
            assert cells[5].rstrip("|").strip(), (kind, field)  # what it renders or means
