"""JSON Schemas of the blueprint kinds, shipped inside the package as ``genplat.schemas``."""

from __future__ import annotations

import functools
import json
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent


@functools.cache
def raw_schema(kind: str) -> dict[str, t.Any]:
    """The JSON Schema of ``kind`` ("platform" or "tenant") as plain data, read with the json module only
    (so the CLI can offer its enums, say for completion, without loading a schema library)."""
    return t.cast(dict[str, t.Any], json.loads((HERE / f"{kind}.schema.json").read_text(encoding="utf-8")))


def cluster_enum(field: str) -> list[str]:
    """The values the platform schema allows for a cluster's ``provider`` or each of its ``capabilities``."""
    spec = raw_schema("platform")["properties"]["spec"]["properties"]
    prop = spec["environments"]["items"]["properties"]["clusters"]["items"]["properties"][field]
    return [str(v) for v in (prop.get("items") or prop).get("enum", [])]
