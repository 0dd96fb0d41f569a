"""Matching objects between two snapshots and collecting their differences.

1. Files whose bytes are identical on both sides (same bundle, same path) are skipped unread: they
   hold the same objects on both sides. This is what makes a diff of 1,000 tenants with one changed
   take well under a second; only files that differ are parsed.
2. Objects are matched by (bundle, apiVersion, kind, namespace, name). An object found in another
   file of the same bundle is reported as moved (it changes what reviewers see: which tenant's file
   holds it), even when its content is the same.
3. Of the objects left unmatched: the same (bundle, group, kind, namespace, name) under another API
   version is a change of ``apiVersion``; the same identity in another bundle is a move (preferring
   an identical object when several bundles qualify); an object whose content is identical apart
   from its name or namespace is a rename. What is still left is added or removed.
"""

from __future__ import annotations

import re
import typing as t
from collections import defaultdict

from genplat.diff._attribute import attribute
from genplat.diff._compare import canonical, compare
from genplat.diff._model import DiffResult, Document, ObjectDiff, ObjectKey, Risk, SideInfo
from genplat.diff._risk import assess, registry, risk_order
from genplat.diff._snapshot import DiffInputError, Snapshot, parse_file
from genplat.diff._summary import compare_blueprints, from_objects, policy_risks

_IMAGE_LINE = re.compile(rb"^[ \t-]*image:[ \t]*['\"]?([^'\"\s#]+)", re.M)


def _parse_side(snap: Snapshot, paths: t.Iterable[tuple[str, str]], warnings: list[str]) -> dict[ObjectKey, Document]:
    out: dict[ObjectKey, Document] = {}
    for bundle, path in sorted(paths):
        for doc in parse_file(bundle, path, snap.files[(bundle, path)], warnings=warnings):
            first = out.get(doc.key)
            if first is not None:
                warnings.append(
                    f"{snap.label}: {bundle}/{doc.file}:{doc.line}: {doc.key.kind} "
                    f"{doc.key.namespace}/{doc.key.name} already appears at {bundle}/{first.file}:"
                    f"{first.line}; the later one is ignored"
                )
                continue
            out[doc.key] = doc
    return out


_FIRST_KINDS = ("Namespace", "CustomResourceDefinition", "CompositeResourceDefinition")


def _sort_key(d: ObjectDiff) -> tuple[t.Any, ...]:
    """Bundle, then tenant (platform first), then namespaces and definitions before what uses them."""
    k = d.key
    return (k.bundle, d.tenant or "", k.kind not in _FIRST_KINDS, k.namespace, k.kind, k.name, k.api_version)


def _without_identity(doc: Document) -> str:
    obj = dict(doc.raw)
    meta = dict(obj.get("metadata") or {})
    meta.pop("name", None)
    meta.pop("namespace", None)
    obj["metadata"] = meta
    return canonical(obj)


def _changes(base: Document, head: Document) -> list[t.Any]:
    if base.raw == head.raw:  # the common case when files differ only in layout: no masking needed
        return []
    return compare(base.obj, head.obj)


class _Context:
    def __init__(self, base: Snapshot, base_docs: dict[ObjectKey, Document], added: list[ObjectDiff]) -> None:
        self._base = base
        self._base_docs = base_docs
        self._registries: set[str] | None = None
        self._namespaces = {
            (d.key.bundle, d.key.name) for d in added if d.key.kind == "Namespace" and d.key.api_version == "v1"
        }

    def base_registries(self) -> set[str]:
        if self._registries is None:
            # Parsing every base file just for this would cost seconds on a large platform; the
            # image lines genplat writes are plain "image: <ref>" lines, so scan the bytes.
            regs: set[str] = set()
            for raw in self._base.files.values():
                if b"image:" in raw:
                    regs.update(registry(m.decode("utf-8", "replace")) for m in _IMAGE_LINE.findall(raw))
            self._registries = regs
        return self._registries

    def namespace_added(self, bundle: str, namespace: str) -> bool:
        return (bundle, namespace) in self._namespaces


def diff_snapshots(
    base: Snapshot, head: Snapshot, *, base_info: SideInfo | None = None, head_info: SideInfo | None = None
) -> DiffResult:
    """Compare two sides; the result lists every object that differs and the risk flags."""
    warnings: list[str] = []
    differing = [p for p in base.files.keys() | head.files.keys() if base.files.get(p) != head.files.get(p)]
    old = _parse_side(base, (p for p in differing if p in base.files), warnings)
    new = _parse_side(head, (p for p in differing if p in head.files), warnings)
    compared = len(old.keys() | new.keys())

    diffs: list[ObjectDiff] = []
    for key in old.keys() & new.keys():
        b, h = old[key], new[key]
        changes = _changes(b, h)
        if b.file != h.file:  # moved to another file of the same bundle (say, to another tenant's)
            diffs.append(ObjectDiff("moved", b, h, changes))
        elif changes:
            diffs.append(ObjectDiff("changed", b, h, changes))
    removed = {k: old[k] for k in sorted(old.keys() - new.keys())}
    added = {k: new[k] for k in sorted(new.keys() - old.keys())}

    # Same object under another apiVersion (e.g. v1beta1 → v1): a change, not a delete and create.
    by_group: dict[tuple[str, ...], list[ObjectKey]] = defaultdict(list)
    for k in added:
        by_group[(k.bundle, k.group, k.kind, k.namespace, k.name)].append(k)
    for k in list(removed):
        cands = by_group.get((k.bundle, k.group, k.kind, k.namespace, k.name))
        if cands:
            hk = cands.pop(0)
            b, h = removed.pop(k), added.pop(hk)
            diffs.append(ObjectDiff("changed", b, h, _changes(b, h)))

    # Moves between bundles: same apiVersion, kind, namespace and name.
    by_ident: dict[tuple[str, ...], list[ObjectKey]] = defaultdict(list)
    for k in added:
        by_ident[(k.api_version, k.kind, k.namespace, k.name)].append(k)
    for k in list(removed):
        cands = by_ident.get((k.api_version, k.kind, k.namespace, k.name))
        if not cands:
            continue
        b = removed[k]
        same = [c for c in cands if added[c].raw == b.raw]
        hk = same[0] if same else cands[0]
        cands.remove(hk)
        del removed[k]
        h = added.pop(hk)
        diffs.append(ObjectDiff("moved", b, h, _changes(b, h)))

    # Renames: identical content apart from name and namespace, same bundle and kind.
    by_content: dict[tuple[str, ...], list[ObjectKey]] = defaultdict(list)
    for k, doc in added.items():
        by_content[(k.bundle, k.api_version, k.kind, _without_identity(doc))].append(k)
    for k in list(removed):
        b = removed[k]
        cands = by_content.get((k.bundle, k.api_version, k.kind, _without_identity(b)))
        if cands:
            hk = cands.pop(0)
            del removed[k]
            h = added.pop(hk)
            diffs.append(ObjectDiff("renamed", b, h, _changes(b, h)))

    diffs.extend(ObjectDiff("removed", d, None) for d in removed.values())
    added_diffs = [ObjectDiff("added", None, d) for d in added.values()]
    diffs.extend(added_diffs)
    diffs.sort(key=_sort_key)
    risks = assess(diffs, _Context(base, old, added_diffs))
    result = DiffResult(
        base=base_info or SideInfo("dir", base.label, base.label),
        head=head_info or SideInfo("dir", head.label, head.label),
        objects=diffs,
        risks=risks,
        warnings=warnings,
        compared=compared,
        bundles_added=sorted(set(head.bundles) - set(base.bundles)),
        bundles_removed=sorted(set(base.bundles) - set(head.bundles)),
    )
    _summarise(result, base, head)
    return result


def _summarise(result: DiffResult, base: Snapshot, head: Snapshot) -> None:
    """The blueprint-level summary, the loosened-policy flags read from blueprints, and attribution."""
    if base.blueprints is not None and head.blueprints is not None:
        result.summary = compare_blueprints(base.blueprints, head.blueprints)
        result.risks.extend(
            Risk(r.rule, None, r.message, r.cause) for r in policy_risks(base.blueprints, head.blueprints)
        )
        result.risks.sort(key=risk_order)
    else:
        missing = [(side, snap) for side, snap in (("base", base), ("head", head)) if snap.blueprints is None]
        result.summary_note = (
            "; ".join(f"{side} ({snap.label}) has no blueprints: {snap.no_blueprints}" for side, snap in missing)
            + "; summary from the rendered objects"
        )
        result.summary = from_objects(result.objects)
    attribute(result, base.blueprints, head.blueprints)
    # A loosened policy read from the blueprints is one flag; where the rendered policies say the same
    # (same rule, caused by the same blueprint value) their flags, which name objects and clusters, stand.
    said = {(r.rule, r.cause.file, r.cause.path) for r in result.risks if r.key is not None and r.cause is not None}
    result.risks = [
        r
        for r in result.risks
        if not (r.key is None and r.cause is not None and (r.rule, r.cause.file, r.cause.path) in said)
    ]


__all__ = ["DiffInputError", "diff_snapshots"]
