"""Delivery stage: ``genplat status --drift``, objects changed on the cluster outside git.

For every object a layer's inventory lists (Flux) or the App deployed (kapp-controller), genplat asks
the API server what a server-side apply of the rendered object would make of the live one, as a dry
run (``dryRun=All``: nothing changes), with the controller's own field manager (``kustomize-controller``,
plus the ownership labels it adds). Where the answer differs from the live object, someone changed a
field the controller owns, and its next reconcile will put it back (or, for a field it stopped owning,
the change stays). The fields that differ are listed, with the other field managers that wrote to the
object (``kubectl-edit``, ``kubectl-patch``, …: who did it), and the blueprint line of the object,
grouped by tenant.
"""

from __future__ import annotations

import copy
import typing as t

from genplat.core.errors import ClusterError
from genplat.delivery.kube import KubeClient
from genplat.delivery.model import ClusterStatus, Drift
from genplat.delivery.wiring import BundleObject, Delivery, Ref
from genplat.loader.sources import Blueprints, resolve_source

FLUX_MANAGER = "kustomize-controller"
#: kapp updates objects (no server-side apply); a manager of genplat's own compares values only.
NEUTRAL_MANAGER = "genplat-status-drift"
FLUX_LABELS = ("kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace")
# Server bookkeeping that differs between any two reads.
_SERVER_META = frozenset({"managedFields", "resourceVersion", "generation", "creationTimestamp", "uid"})


def _masked(obj: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    out = {k: v for k, v in obj.items() if k != "status"}
    out["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_META}
    return out


def changed_paths(live: t.Any, desired: t.Any, path: str = "") -> list[str]:
    """JSON paths where two objects differ (lists of equal length item by item, else as a whole)."""
    if isinstance(live, dict) and isinstance(desired, dict):
        return [
            p
            for k in sorted(set(live) | set(desired))
            for p in changed_paths(live.get(k), desired.get(k), f"{path}.{k}")
        ]
    if isinstance(live, list) and isinstance(desired, list) and len(live) == len(desired):
        return [
            p for i, (a, b) in enumerate(zip(live, desired, strict=True)) for p in changed_paths(a, b, f"{path}[{i}]")
        ]
    return [] if live == desired else [path.lstrip(".") or "."]


def other_managers(live: t.Mapping[str, t.Any], own: str) -> tuple[str, ...]:
    """Field managers other than the controller, newest write first (``kubectl-edit (Update, <time>)``)."""
    entries = [
        e
        for e in (live.get("metadata") or {}).get("managedFields") or []
        if isinstance(e, dict) and e.get("manager") != own and not e.get("subresource")
    ]
    entries.sort(key=lambda e: str(e.get("time") or ""), reverse=True)
    return tuple(f"{e.get('manager')} ({e.get('operation')}, {e.get('time')})" for e in entries)


def _desired(obj: BundleObject, owner: tuple[str, str] | None) -> dict[str, t.Any]:
    desired = copy.deepcopy(obj.obj)
    if owner is not None:
        labels = desired.setdefault("metadata", {}).setdefault("labels", {})
        labels[FLUX_LABELS[0]], labels[FLUX_LABELS[1]] = owner
    return desired


def _checked(delivery: Delivery, cluster: ClusterStatus) -> list[tuple[BundleObject, tuple[str, str] | None]]:
    """The objects the controllers say they applied, with the Flux Kustomization that owns each."""
    out: list[tuple[BundleObject, tuple[str, str] | None]] = []
    for unit in cluster.units:
        if unit.kind == "App" and unit.applied:
            out.extend((o, None) for o in delivery.objects)
        if unit.kind != "Kustomization" or unit.inventory is None:
            continue
        missing = set(unit.inventory.missing)
        for obj in delivery.layer_objects(unit.layer):
            if str(obj.ref) not in missing:
                out.append((obj, (unit.name, unit.namespace)))
    return out


def drift(client: KubeClient, delivery: Delivery, cluster: ClusterStatus, blueprints: Blueprints | None) -> list[Drift]:
    """Every applied object of ``delivery`` whose live state is not what its controller would apply."""
    found: list[Drift] = []
    for obj, owner in _checked(delivery, cluster):
        manager = FLUX_MANAGER if owner is not None else NEUTRAL_MANAGER
        file = line = None
        if obj.source:
            cause = resolve_source(obj.source, blueprints)
            file, line = cause.file, cause.line
        ref = str(obj.ref)
        try:
            live = client.get(str(obj.obj.get("apiVersion")), obj.ref.kind, obj.ref.name, obj.ref.namespace or None)
            if live is None:
                found.append(Drift(ref, obj.tenant, ("(deleted)",), (), file, line))
                continue
            would, refused = client.dry_run_apply(_desired(obj, owner), field_manager=manager)
        except ClusterError as exc:
            found.append(Drift(ref, obj.tenant, (), (), file, line, exc.message))
            continue
        if would is None:
            found.append(Drift(ref, obj.tenant, (), other_managers(live, manager), file, line, refused))
            continue
        paths = changed_paths(_masked(live), _masked(would))
        if paths:
            found.append(Drift(ref, obj.tenant, tuple(paths), other_managers(live, manager), file, line))
    return sorted(found, key=lambda d: (d.tenant or "", d.ref))


def by_tenant(drifts: t.Iterable[Drift]) -> dict[str, list[Drift]]:
    """Drift grouped by tenant (platform objects under ``platform``)."""
    out: dict[str, list[Drift]] = {}
    for d in drifts:
        out.setdefault(d.tenant or "platform", []).append(d)
    return out


__all__ = ["Drift", "Ref", "by_tenant", "changed_paths", "drift", "other_managers"]
