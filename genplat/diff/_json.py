"""``--format json``: the stable machine form, documented in docs/diff.md. Bump VERSION on any
change that could break a reader (removing or renaming a field, changing a meaning); adding a
field does not."""

from __future__ import annotations

import json
import typing as t

from ._model import Change, DiffResult, Document, ObjectDiff, SideInfo
from ._risk import RULES
from ._values import kind_text, object_text, path_segments, path_text, shown

VERSION = 1


def _side(s: SideInfo) -> dict[str, t.Any]:
    return {"kind": s.kind, "spec": s.spec, "label": s.label}


def _location(d: Document | None) -> dict[str, t.Any] | None:
    if d is None:
        return None
    k = d.key
    return {"bundle": k.bundle, "file": d.file, "line": d.line, "source": d.source, "apiVersion": k.api_version,
            "kind": k.kind, "namespace": k.namespace or None, "name": k.name}


def _change(c: Change) -> dict[str, t.Any]:
    out: dict[str, t.Any] = {"op": c.op, "path": path_text(c.path), "segments": path_segments(c.path)}
    if c.op != "add":
        out["old"] = shown(c.old)
    if c.op != "remove":
        out["new"] = shown(c.new)
    out["masked"] = c.masked
    return out


def _object(o: ObjectDiff) -> dict[str, t.Any]:
    k = o.key
    out: dict[str, t.Any] = {
        "status": o.status,
        "bundle": k.bundle,
        "tenant": o.tenant,
        "apiVersion": k.api_version,
        "kind": k.kind,
        "namespace": k.namespace or None,
        "name": k.name,
        "display": object_text(k),
        "base": _location(o.base),
        "head": _location(o.head),
        "changes": [_change(c) for c in o.changes],
    }
    if o.status in ("added", "removed"):
        out["object"] = shown(o.doc.obj)
    return out


def to_dict(result: DiffResult) -> dict[str, t.Any]:
    counts = result.counts()
    return {
        "version": VERSION,
        "base": _side(result.base),
        "head": _side(result.head),
        "differences": result.has_differences,
        "summary": {**counts, "total": sum(counts.values()), "risks": len(result.risks),
                    "bundles": sorted({o.key.bundle for o in result.objects})},
        "risks": [{"rule": r.rule, "title": RULES[r.rule], "bundle": r.key.bundle, "apiVersion": r.key.api_version,
                   "kind": r.key.kind, "kindDisplay": kind_text(r.key), "namespace": r.key.namespace or None,
                   "name": r.key.name, "message": r.message} for r in result.risks],
        "objects": [_object(o) for o in result.objects],
        "warnings": list(result.warnings),
    }


def format_json(result: DiffResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
