"""``--format json``: the stable machine form, documented in docs/diff.md. Bump VERSION on any
change that could break a reader (removing or renaming a field, changing a meaning); adding a
field does not."""

from __future__ import annotations

import json
import typing as t

from genplat.diff._fold import note as folded
from genplat.diff._grants import grants
from genplat.diff._group import group
from genplat.diff._model import Change, DiffResult, Document, ObjectDiff, Risk, SideInfo
from genplat.diff._risk import RULES
from genplat.diff._summary import list_delta
from genplat.diff._values import kind_text, object_text, path_segments, path_text, shown

VERSION = 1


def _side(s: SideInfo) -> dict[str, t.Any]:
    return {"kind": s.kind, "spec": s.spec, "label": s.label}


def _location(d: Document | None) -> dict[str, t.Any] | None:
    if d is None:
        return None
    k = d.key
    return {
        "bundle": k.bundle,
        "file": d.file,
        "line": d.line,
        "source": d.source,
        "apiVersion": k.api_version,
        "kind": k.kind,
        "namespace": k.namespace or None,
        "name": k.name,
    }


def _change(o: ObjectDiff, c: Change) -> dict[str, t.Any]:
    out: dict[str, t.Any] = {"op": c.op, "path": path_text(c.path), "segments": path_segments(c.path)}
    if c.op != "add":
        out["old"] = shown(c.old)
    if c.op != "remove":
        out["new"] = shown(c.new)
    out["masked"] = c.masked
    delta = list_delta(c.old, c.new) if c.op == "change" else None
    if delta is not None:  # a list of plain values: the items that came and went
        out["items"] = {"added": shown(delta[0]), "removed": shown(delta[1])}
    why = folded(o, c)
    if why is not None:
        out["note"] = why
    return out


def _cause(c: t.Any) -> dict[str, t.Any] | None:
    if c is None:
        return None
    return {"file": c.file, "line": c.line, "path": c.path or None, "note": c.note or None}


def _risk(r: Risk) -> dict[str, t.Any]:
    k = r.key
    return {
        "rule": r.rule,
        "title": RULES[r.rule],
        "bundle": k.bundle if k else None,
        "apiVersion": k.api_version if k else None,
        "kind": k.kind if k else None,
        "kindDisplay": kind_text(k) if k else None,
        "namespace": (k.namespace or None) if k else None,
        "name": k.name if k else None,
        "message": r.message,
        "cause": _cause(r.cause),
    }


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
        "changes": [_change(o, c) for c in o.changes],
        "cause": _cause(o.cause),
    }
    if o.status in ("added", "removed"):
        out["object"] = shown(o.doc.obj)
    return out


def _groups(result: DiffResult) -> list[dict[str, t.Any]]:
    """Blocks (a tenant or bundle that comes or goes) and groups (one change in several places),
    naming their objects by index into ``objects``."""
    index = {id(o): i for i, o in enumerate(result.objects)}
    blocks, groups = group(result)
    out: list[dict[str, t.Any]] = []
    for b in blocks:
        out.append(
            {
                "type": "tenant" if b.tenant else "platform",
                "status": b.status,
                "tenant": b.tenant,
                "bundles": b.bundles,
                "kinds": dict(b.kinds),
                "grants": grants(b.objects) if b.tenant else [],
                "cause": _cause(b.cause),
                "objects": [index[id(o)] for o in b.objects],
            }
        )
    for g in groups:
        o = g.first
        out.append(
            {
                "type": "object",
                "status": o.status,
                "tenant": o.tenant,
                "kind": o.key.kind,
                "name": o.key.name,
                "places": [{"bundle": bd, "namespace": ns or None} for bd, ns in g.places],
                "cause": _cause(o.cause),
                "objects": [index[id(x)] for x in g.objects],
            }
        )
    return out


def to_dict(result: DiffResult) -> dict[str, t.Any]:
    counts = result.counts()
    return {
        "version": VERSION,
        "base": _side(result.base),
        "head": _side(result.head),
        "differences": result.has_differences,
        "summary": {
            **counts,
            "total": sum(counts.values()),
            "risks": len(result.risks),
            "bundles": sorted({o.key.bundle for o in result.objects}),
        },
        "blueprints": {
            "compared": not result.summary_note,
            "note": result.summary_note or None,
            "changes": [
                {"topic": i.topic, "text": i.text, "tenant": i.tenant, **(_cause(i.cause) or {})}
                for i in result.summary
            ],
        },
        "risks": [_risk(r) for r in result.risks],
        "objects": [_object(o) for o in result.objects],
        "groups": _groups(result),
        "warnings": list(result.warnings),
    }


def format_json(result: DiffResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
