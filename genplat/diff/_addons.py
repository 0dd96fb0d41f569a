"""Add-on upgrades in a diff: which cluster moves which add-on from which version to which, and what the
two locked CRD sets say about the objects that cluster runs.

The summary (:func:`summary_items`) compares each cluster's effective add-on versions on both sides
(its own pin, else the platform's ``spec.addons`` version, else the catalog's), so a platform-wide bump
reads once per cluster it moves. The ``addon-upgrade`` risk (:func:`upgrade_findings`) reads the two
sides' locks (``addons.lock.json``), the CRD files they pin (from the add-on cache, by digest) and the
objects the cluster runs now (the base side's bundle: the add-ons layer is applied first, while they are
still there), and lists:

* API versions the new release no longer serves (and how many of the cluster's objects use each);
* schema fields the new release removed that the cluster's objects set;
* objects that stop validating against the new release's CRDs (strict, as ``genplat build`` checks).
"""

from __future__ import annotations

import typing as t

from genplat.addons.store import has, path_of
from genplat.checks import Checker
from genplat.core.addons import (
    AddonLock,
    LockEntry,
    clusters_of,
    parse_lock,
    platform_entries,
    resolve_cluster,
)
from genplat.core.objects import Origin, RenderedObject
from genplat.loader.project import Blueprint
from genplat.loader.sources import Blueprints, Cause

#: Install objects of the add-ons layer that stand for "this add-on at this version" (one per add-on).
ADDON_KINDS = frozenset({"Kustomization", "App", "Provider", "Function"})
ADDON_LABEL = "genplat.dev/addon"
VERSION_ANNOTATION = "genplat.dev/addon-version"
#: How many findings of each sort a flag lists before "… and N more".
SHOWN = 6


def cluster_versions(bp: Blueprint) -> dict[str, dict[str, tuple[str, tuple[str | int, ...]]]]:
    """``"<env>/<cluster>"`` → add-on name → (version, path of the blueprint value that gives it)."""
    spec = bp.spec
    entries, index = platform_entries(spec)
    out: dict[str, dict[str, tuple[str, tuple[str | int, ...]]]] = {}
    for env, name, cluster, base in clusters_of(spec):
        out[f"{env}/{name}"] = {
            a.name: (a.version, a.version_path or a.path) for a in resolve_cluster(cluster, base, entries, index)
        }
    return out


def summary_items(base: Blueprints, head: Blueprints) -> list[tuple[str, Cause]]:
    """``cluster prod/prod-us: knative-serving v0.45.0 → v0.47.0`` per cluster and add-on that moved."""
    assert base.platform is not None and head.platform is not None
    old, new = cluster_versions(base.platform), cluster_versions(head.platform)
    out: list[tuple[str, Cause]] = []
    for cluster in sorted(old.keys() & new.keys()):
        for name, (version, path) in new[cluster].items():
            before = old[cluster].get(name)
            if before is None or before[0] == version:
                continue
            out.append((f"cluster {cluster}: add-on {name} {before[0]} → {version}", head.cause(head.platform, path)))
    return out


def lock_of(blueprints: Blueprints | None) -> AddonLock | None:
    raw = getattr(blueprints, "addon_lock", None) if blueprints is not None else None
    if not raw:
        return None
    lock, _ = parse_lock(raw)
    return lock


def _crds(entry: LockEntry) -> list[dict[str, t.Any]] | None:
    """The CRD documents of a locked add-on version, from the cache (None when a file is not cached)."""
    import yaml  # the diff stage reads YAML anyway (_snapshot); here only for cached CRD files

    docs: list[dict[str, t.Any]] = []
    for f in entry.crds:
        if not has(f.digest):
            return None
        for doc in yaml.safe_load_all(path_of(f.digest).read_text("utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                docs.append(doc)
    return docs


def _fields(schema: t.Any, prefix: str = "") -> set[str]:
    """Every field path a structural schema declares (``spec.template.spec.volumes[].image``)."""
    out: set[str] = set()
    if not isinstance(schema, dict):
        return out
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else name
        out.add(path)
        out |= _fields(sub, path)
    if isinstance(schema.get("items"), dict):
        out |= _fields(schema["items"], prefix + "[]")
    if isinstance(schema.get("additionalProperties"), dict):
        out |= _fields(schema["additionalProperties"], prefix + ".*")
    return out


def _used(obj: t.Any, prefix: str = "") -> set[str]:
    """Every field path an object sets, in :func:`_fields`' notation."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            path = f"{prefix}.{k}" if prefix else str(k)
            out.add(path)
            out |= _used(v, path)
    elif isinstance(obj, list):
        for v in obj:
            out |= _used(v, prefix + "[]")
    return out


def _versions(crds: list[dict[str, t.Any]]) -> dict[tuple[str, str, str], dict[str, t.Any]]:
    """(group, kind, version) → that version's openAPIV3Schema, for every served version."""
    out: dict[tuple[str, str, str], dict[str, t.Any]] = {}
    for crd in crds:
        spec = crd.get("spec") or {}
        for v in spec.get("versions") or []:
            if v.get("served", True):
                schema = (v.get("schema") or {}).get("openAPIV3Schema") or {}
                out[(str(spec.get("group")), str((spec.get("names") or {}).get("kind")), str(v.get("name")))] = schema
    return out


def _ref(obj: dict[str, t.Any]) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind')} {ns}/{meta.get('name')}" if ns else f"{obj.get('kind')} {meta.get('name')}"


def _more(items: list[str]) -> str:
    return ", ".join(items[:SHOWN]) + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def upgrade_findings(
    old: LockEntry | None,
    new: LockEntry | None,
    objects: t.Sequence[dict[str, t.Any]],
    *,
    kubernetes_version: str,
) -> list[str]:
    """What changes for ``objects`` (the cluster's, as it runs them now) when ``old`` becomes ``new``."""
    if old is None or new is None:
        return ["the lock does not record both versions: run `genplat addons lock` and compare again"]
    old_crds, new_crds = _crds(old), _crds(new)
    if old_crds is None or new_crds is None:
        return ["the CRDs of both versions are not in the add-on cache: run `genplat addons lock` (or build) first"]
    before, after = _versions(old_crds), _versions(new_crds)
    served_before = {(g, k) for g, k, _ in before}
    mine = [
        o
        for o in objects
        if isinstance(o.get("apiVersion"), str) and (o["apiVersion"].rpartition("/")[0], o.get("kind")) in served_before
    ]
    out: list[str] = []
    for g, k, v in sorted(before.keys() - after.keys()):
        users = [_ref(o) for o in mine if o.get("apiVersion") == f"{g}/{v}" and o.get("kind") == k]
        out.append(
            f"{k}.{g} {v} is no longer served"
            + (
                f": {len(users)} object(s) of this cluster use it ({_more(users)})"
                if users
                else " (no object here uses it)"
            )
        )
    removed_used: list[str] = []
    for (g, k, v), schema in sorted(before.items()):
        if (g, k, v) not in after:
            continue
        gone = _fields(schema) - _fields(after[(g, k, v)])
        if not gone:
            continue
        for o in mine:
            if o.get("apiVersion") == f"{g}/{v}" and o.get("kind") == k:
                hit = sorted(p for p in _used(o) if p in gone)
                if hit:
                    removed_used.append(f"{_ref(o)} sets {', '.join(hit[:3])}")
        fields = sorted(p for p in gone if not any(p.startswith(q + ".") or p.startswith(q + "[]") for q in gone))
        out.append(f"{k}.{g} {v} drops field(s) {_more(fields)}")
    if removed_used:
        out.append(f"fields removed that this cluster's objects set: {_more(removed_used)}")
    failing = _stop_validating(mine, new_crds, kubernetes_version)
    if failing:
        out.append(f"objects that stop validating: {_more(failing)}")
    elif mine:
        out.append(f"all {len(mine)} object(s) of this cluster that use it still validate")
    return out


def _stop_validating(
    objects: t.Sequence[dict[str, t.Any]], crds: list[dict[str, t.Any]], kubernetes_version: str
) -> list[str]:
    if not objects:
        return []
    checker = Checker(kubernetes_version=kubernetes_version, use_cache=False)
    checker.add_crds((c, "addon") for c in crds)
    rendered = [RenderedObject(o, Origin("cluster"), bundle="", file=None, tenant=None) for o in objects]
    out: list[str] = []
    for d in checker.check(rendered, include_setup=False, strict=True, report_disabled=False):
        if d.is_error and d.rule.startswith("schema"):
            where = f" at {d.path}" if d.path else ""
            out.append(f"{d.object}: {d.message}{where}")
    return sorted(set(out))


def kubernetes_version(blueprints: Blueprints | None, bundle: str) -> str:
    if blueprints is None or blueprints.platform is None:
        return "1.33"
    spec = blueprints.platform.spec
    for env, name, cluster, _ in clusters_of(spec):
        if f"{env}/{name}" == bundle and cluster.get("kubernetesVersion"):
            return str(cluster["kubernetesVersion"])
    return str(spec.get("kubernetesVersion") or "1.33")


__all__ = ["ADDON_KINDS", "lock_of", "summary_items", "upgrade_findings"]
