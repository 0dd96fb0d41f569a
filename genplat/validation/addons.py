"""The platform's add-ons: known names, versions, sources, and a lock that matches them.

Rules (docs/rules.md): ``addon-unknown`` (a name neither genplat's catalog nor ``spec.addons`` with a
source defines), ``addon-source`` (a source that names no single kind, or a local folder that is not
there), ``addon-not-locked`` (the project has an add-on lock, and a cluster runs an add-on version, or
a source, that it does not record: the build could not tell which CRDs to check against), and
``duplicate-name`` for an add-on named twice in one list.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

from genplat.core.addons import (
    ClusterAddon,
    PathT,
    Source,
    capability_addons,
    catalog,
    cluster_requests,
    clusters_of,
    declared_addons,
    platform_entries,
    resolve_cluster,
)
from genplat.core.diagnostics import Diagnostic
from genplat.core.readers import as_dict, as_list, as_str
from genplat.core.suggest import did_you_mean
from genplat.loader.project import Blueprint, Project
from genplat.validation.catalog import duplicates

LOCK_HINT = "run `genplat addons lock` and commit the lock file with this change"


def check_addons(project: Project) -> list[Diagnostic]:
    bp = project.platform
    if bp is None:
        return []
    out = _declared(bp)
    out += _clusters(bp)
    if project.addon_lock is not None:
        out += _locked(project, bp)
    return out


def _declared(bp: Blueprint) -> list[Diagnostic]:
    items = as_list(bp.spec.get("addons"))
    out = duplicates(bp, items, ("spec", "addons"), "add-on")
    known = catalog()
    for i, item in enumerate(items):
        item = as_dict(item)
        name = as_str(item.get("name"))
        if name is None:
            continue
        if "source" in item:
            out += _source(bp, item["source"], ("spec", "addons", i, "source"))
        elif name not in known:
            hint = did_you_mean(name, known)
            out.append(
                bp.diagnostic(
                    "addon-unknown",
                    f"add-on {name!r} is not in genplat's catalog and names no source",
                    ("spec", "addons", i, "name"),
                    hint="give it a source (goModule, url, helm, xpkg, oci or local; see docs/addons.md)"
                    + (f", or {hint}" if hint and hint.startswith("did") else ""),
                )
            )
    return out


def _source(bp: Blueprint, raw: t.Any, path: PathT) -> list[Diagnostic]:
    try:
        source = Source.from_dict(raw)
    except ValueError as exc:
        return [bp.diagnostic("addon-source", str(exc), path, hint="see docs/addons.md for the source kinds")]
    if source.kind == "local":
        folder = Path(bp.file).parent / source.ref[0]
        if not folder.is_dir():
            return [
                bp.diagnostic(
                    "addon-source",
                    f"local folder {source.ref[0]!r} does not exist (relative to {Path(bp.file).name})",
                    (*path, "local"),
                    hint="vendor the add-on's CRD files there, or fix the path",
                )
            ]
    return []


def _clusters(bp: Blueprint) -> list[Diagnostic]:
    entries, _ = platform_entries(bp.spec)
    caps = capability_addons()
    out: list[Diagnostic] = []
    for _env, cname, cluster, base in clusters_of(bp.spec):
        items = as_list(cluster.get("addons"))
        out += duplicates(bp, [{"name": x} if isinstance(x, str) else x for x in items], (*base, "addons"), "add-on")
        for req in cluster_requests(cluster, base):
            if req.from_capability is not None:
                continue  # a capability's add-ons are catalog entries
            item = as_list(cluster.get("addons"))[int(req.path[-1])]
            where = req.path if isinstance(item, str) else (*req.path, "name")
            entry = entries.get(req.name)
            if entry is None:
                hint = did_you_mean(req.name, [*entries, *caps])
                if req.name in caps:
                    hint = f"{req.name!r} is a capability: name its add-ons ({', '.join(caps[req.name])})"
                out.append(
                    bp.diagnostic(
                        "addon-unknown",
                        f"cluster {cname!r} runs add-on {req.name!r}, which neither genplat's catalog nor spec.addons defines",
                        where,
                        hint=hint,
                    )
                )
            elif req.version is None and not entry.version:
                out.append(
                    bp.diagnostic(
                        "addon-unknown",
                        f"add-on {req.name!r} of cluster {cname!r} has no version",
                        where,
                        hint="give it a version here or under spec.addons",
                    )
                )
    return out


def _locked(project: Project, bp: Blueprint) -> list[Diagnostic]:
    """Every add-on version a cluster runs is in the lock, from the same source: one finding per blueprint
    value (a platform-wide version names every cluster that runs it)."""
    lock = project.addon_lock
    assert lock is not None
    entries, versioned = platform_entries(bp.spec)
    stale: dict[tuple[PathT, str, str], list[str]] = {}
    why: dict[tuple[PathT, str, str], str] = {}
    runs: list[tuple[str | None, ClusterAddon]] = [
        (cname, a) for _e, cname, c, base in clusters_of(bp.spec) for a in resolve_cluster(c, base, entries, versioned)
    ]
    runs += [(None, a) for a in declared_addons(bp.spec, entries, versioned)]
    for cname, addon in runs:
        if lock.matches(addon) is not None:
            continue
        key = (addon.version_path or addon.path, addon.name, addon.version)
        stale.setdefault(key, []).extend([cname] if cname else [])
        other = lock.get(addon.name, addon.version)
        why[key] = "is locked from another source" if other is not None else f"is not in {Path(lock.file).name}"
    out = []
    for (path, name, version), clusters in stale.items():
        if not clusters:
            where = "the platform (no cluster runs it yet)"
        elif len(clusters) == 1:
            where = f"cluster {clusters[0]!r}"
        else:
            where = f"clusters {', '.join(map(repr, clusters))}"
        out.append(
            bp.diagnostic(
                "addon-not-locked",
                f"add-on {name} {version} of {where} {why[(path, name, version)]}",
                path,
                hint=LOCK_HINT,
            )
        )
    return out
