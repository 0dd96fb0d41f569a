"""Grouping object changes for review (the report side of the diff, after the compare).

* A tenant (or a whole bundle's platform objects) that appears with its namespace — a new tenant,
  a tenant joining an environment, a new cluster — is one :class:`Block`: counts per kind, the
  objects listed, not shown one by one. The same for one that leaves.
* Any other object change that is identical in several places (the same image change in dev and
  both prod clusters) is one :class:`Group` with the list of places.
"""

from __future__ import annotations

import dataclasses
import typing as t
from collections import Counter

from genplat.diff._compare import canonical
from genplat.diff._fold import shown
from genplat.diff._model import MISSING, DiffResult, ObjectDiff
from genplat.diff._values import kind_text, path_segments


@dataclasses.dataclass(slots=True)
class Block:
    """Objects that come (``added``) or go (``removed``) together with their tenant's namespace or
    their bundle. ``tenant`` None: platform objects of a new or removed bundle."""

    tenant: str | None
    status: str
    objects: list[ObjectDiff]

    @property
    def bundles(self) -> list[str]:
        return sorted({o.key.bundle for o in self.objects})

    @property
    def kinds(self) -> list[tuple[str, int]]:
        counts = Counter(kind_text(o.key) for o in self.objects)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    @property
    def cause(self) -> t.Any:
        first = next((o for o in self.objects if o.key.kind == "Namespace"), self.objects[0])
        return first.cause


@dataclasses.dataclass(slots=True)
class Group:
    """The same change of one object in several places (bundles, namespaces)."""

    objects: list[ObjectDiff]

    @property
    def first(self) -> ObjectDiff:
        return self.objects[0]

    @property
    def places(self) -> list[tuple[str, str]]:
        """(bundle, where in it): the namespace, the object's name when names differ or it has none."""
        names = {o.key.name for o in self.objects}
        out = []
        for o in self.objects:
            k = o.key
            inside = k.name if not k.namespace else (f"{k.namespace}/{k.name}" if len(names) > 1 else k.namespace)
            out.append((k.bundle, inside if len(names) > 1 or k.namespace else ""))
        return out

    @property
    def name(self) -> str | None:
        """The objects' common name, or None when the group holds several names."""
        names = {o.key.name for o in self.objects}
        return names.pop() if len(names) == 1 else None

    @property
    def tenant(self) -> str | None:
        tenants = {o.tenant for o in self.objects}
        return tenants.pop() if len(tenants) == 1 else None


def _change_sig(o: ObjectDiff) -> str:
    return canonical(
        [
            [
                c.op,
                path_segments(c.path),
                None if c.old is MISSING else c.old,
                None if c.new is MISSING else c.new,
                c.old is MISSING,
                c.new is MISSING,
            ]
            for c in shown(o)
        ]
    )


def _object_sig(o: ObjectDiff) -> str:
    obj = dict(o.doc.obj)
    meta = dict(obj.get("metadata") or {})
    meta.pop("namespace", None)
    labels = dict(meta.get("labels") or {})
    labels.pop("genplat.dev/environment", None)
    meta["labels"] = labels
    obj["metadata"] = meta
    return canonical(obj)


def _signature(o: ObjectDiff) -> tuple[t.Any, ...]:
    k = o.key
    where: tuple[str, ...] = ()
    if o.status in ("moved", "renamed") and o.base is not None and o.head is not None:
        where = ((o.base.key.bundle == k.bundle and o.base.file) or "", o.base.key.name)
    body = _object_sig(o) if o.status in ("added", "removed") else _change_sig(o)
    if o.status == "changed" and o.cause is not None and o.cause.path:
        # The same change of objects with different names, caused by one blueprint value (every
        # tenant Namespace's Pod Security label): one group.
        return (o.status, k.api_version, k.kind, body, str(o.cause), o.cause.path, o.cause.note)
    cause = str(o.cause) if o.cause is not None else ""
    return (o.status, k.api_version, k.kind, k.name, o.tenant or "", where, body, cause)


def group(result: DiffResult) -> tuple[list[Block], list[Group]]:
    """Blocks first (by tenant, platform first), then groups in the objects' own order."""
    new_ns = {
        (o.key.bundle, o.key.name): o.status
        for o in result.objects
        if o.key.kind == "Namespace" and o.key.group == "" and o.status in ("added", "removed")
    }
    whole = {b: "added" for b in result.bundles_added} | {b: "removed" for b in result.bundles_removed}
    blocks: dict[tuple[str, str], Block] = {}
    rest: list[ObjectDiff] = []
    for o in result.objects:
        k = o.key
        status = whole.get(k.bundle)
        if status is None and o.tenant is not None:
            ns = k.name if k.kind == "Namespace" and k.group == "" else k.namespace
            status = new_ns.get((k.bundle, ns)) if ns else None
        if status is not None and o.status == status:
            blocks.setdefault((o.tenant or "", status), Block(o.tenant, status, [])).objects.append(o)
        else:
            rest.append(o)
    groups: dict[tuple[t.Any, ...], Group] = {}
    for o in rest:
        groups.setdefault(_signature(o), Group([])).objects.append(o)
    return [blocks[k] for k in sorted(blocks)], list(groups.values())


def places_text(places: t.Sequence[tuple[str, str]]) -> list[str]:
    """``dev/dev-eu (globex-dev)`` per bundle; bundles that share a namespace name it once."""
    by_ns: dict[str, list[str]] = {}
    for bundle, ns in places:
        by_ns.setdefault(ns, []).append(bundle)
    out: list[str] = []
    for ns, bundles in by_ns.items():
        out.append(", ".join(bundles) + (f" ({ns})" if ns else ""))
    return out
