"""Delivery stage: ``genplat status``, what each cluster runs against what the lock pins.

For each cluster whose bundle has wiring in ``out/_gitops/``: read every delivery object of the wiring
from the cluster (:mod:`genplat.delivery.readers`), the controller's recent Events about it (a failed
condition is replaced by the next attempt within a second; the Warning event stays), the layer's
inventory against the bundle's objects, and the delivery objects found inside a layer (a HelmRelease
applied by a Kustomization). Every object a failure message names is traced back to the blueprint
line that produced it through its ``# source:`` comment. ``--drift`` adds :mod:`genplat.delivery.drift`.

The cluster is only read: GET and LIST of the delivery kinds and Events (and, with ``--drift``, a
server-side apply dry run); docs/delivery.md gives the ClusterRole.
"""

from __future__ import annotations

import dataclasses
import re
import time
import typing as t
from pathlib import Path

from genplat.core.errors import ClusterError, UsageError
from genplat.delivery.drift import drift
from genplat.delivery.kube import DEFAULT_TIMEOUT, KubeClient
from genplat.delivery.kubeconfig import KubeConfig, load_kubeconfig
from genplat.delivery.model import (
    BEHIND,
    CONVERGED,
    FAILING,
    ClusterStatus,
    Event,
    Inventory,
    ObjectProblem,
    StatusReport,
    UnitStatus,
)
from genplat.delivery.readers import REVISION_ANNOTATIONS, reader_for, same_revision
from genplat.delivery.wiring import BundleObject, Delivery, Ref, Unit, read_deliveries
from genplat.loader.project import blueprint_folder, output_folder, project_folder
from genplat.loader.sources import Blueprints, blueprints_from_folder, resolve_source

#: Warning events shown per delivery object (newest first).
MAX_EVENTS = 3


@dataclasses.dataclass(frozen=True, slots=True)
class StatusOptions:
    """What ``genplat status`` reads (the CLI fills it in; the library takes it as is)."""

    project: Path
    clusters: tuple[str, ...] = ()  # bundle (prod-prod-eu), cluster (prod-eu) or env/cluster; () = all
    kubeconfig: str | None = None
    contexts: tuple[str, ...] = ()  # CONTEXT (one cluster) or BUNDLE=CONTEXT
    timeout: float = DEFAULT_TIMEOUT  # per request
    drift: bool = False


# ---- which clusters, which contexts ---------------------------------------------------------------


def select(deliveries: list[Delivery], names: t.Sequence[str]) -> list[Delivery]:
    """The deliveries named (bundle, cluster or env/cluster), all when none are; unknown names are an error."""
    if not names:
        return deliveries
    picked: list[Delivery] = []
    for name in names:
        found = [d for d in deliveries if name in (d.bundle, d.cluster, f"{d.environment}/{d.cluster}")]
        if not found:
            known = ", ".join(d.bundle for d in deliveries) or "none"
            raise UsageError(f"no cluster {name!r} with GitOps wiring in out/_gitops (clusters: {known})")
        picked.extend(d for d in found if d not in picked)
    return picked


def contexts_for(deliveries: list[Delivery], config: KubeConfig, given: t.Sequence[str]) -> dict[str, str]:
    """bundle → kubeconfig context: ``BUNDLE=CONTEXT`` as given; a bare ``CONTEXT`` for the only cluster
    selected; else a context named after the bundle (``prod-prod-eu``) or the cluster (``prod-eu``); else,
    for a single cluster, the current context."""
    mapped: dict[str, str] = {}
    bare = [g for g in given if "=" not in g]
    for g in given:
        if "=" in g:
            key, _, ctx = g.partition("=")
            match = [d for d in deliveries if key in (d.bundle, d.cluster, f"{d.environment}/{d.cluster}")]
            if not match:
                raise UsageError(f"--context {g}: no selected cluster {key!r}")
            for d in match:
                mapped[d.bundle] = ctx
    if len(bare) > 1:
        raise UsageError("give --context once, or as BUNDLE=CONTEXT for each cluster")
    if bare:
        rest = [d for d in deliveries if d.bundle not in mapped]
        if len(rest) != 1:
            raise UsageError(
                f"--context {bare[0]} names one context, but {len(rest)} clusters are selected",
                hint="pick one with --cluster, or map each with --context BUNDLE=CONTEXT",
            )
        mapped[rest[0].bundle] = bare[0]
    missing: list[str] = []
    for d in deliveries:
        if d.bundle in mapped:
            continue
        for candidate in (d.bundle, d.cluster):
            if candidate in config.contexts:
                mapped[d.bundle] = candidate
                break
        else:
            if len(deliveries) == 1 and config.current:
                mapped[d.bundle] = config.current
            else:
                missing.append(d.bundle)
    if missing:
        raise UsageError(
            f"no kubeconfig context for {', '.join(missing)} (looked for contexts named after the bundle or the cluster)",
            hint="map each with --context BUNDLE=CONTEXT, or select one cluster with --cluster",
        )
    return mapped


# ---- reading one cluster --------------------------------------------------------------------------

# Object references in Flux's messages: Kind/name or Kind/namespace/name (fluxcd/pkg/ssa/utils.FmtObjMetadata).
_FLUX_REF = re.compile(r"(?<![\w/.-])([A-Z][A-Za-z0-9]*)/([a-z0-9][a-z0-9.-]*)(?:/([a-z0-9][a-z0-9.:-]*))?")
# And in kapp's: kind/name (group/version) namespace: ns.
_KAPP_REF = re.compile(r"(?<![\w/.-])([a-z][a-z0-9]*)/([a-z0-9][a-z0-9.-]*) \(([^)]*)\)(?: namespace: ([a-z0-9-]+))?")
_HEALTH = re.compile(r"status: '(InProgress|Failed|Unknown|Terminating|NotFound)'")


def _mentions(text: str, objects: t.Sequence[BundleObject]) -> list[tuple[BundleObject, str]]:
    """The bundle objects ``text`` names, each with the part of the text about it."""
    by_flux = {(o.ref.kind, o.ref.namespace, o.ref.name): o for o in objects}
    by_kapp = {(o.ref.kind.lower(), o.ref.namespace, o.ref.name): o for o in objects}
    hits: list[tuple[int, int, BundleObject]] = []
    for m in _FLUX_REF.finditer(text):
        kind, first, second = m.group(1), m.group(2), m.group(3)
        key = (kind, first, second) if second else (kind, "", first)
        found = by_flux.get(key)
        if found is not None:
            hits.append((m.start(), m.end(), found))
    for m in _KAPP_REF.finditer(text):
        found = by_kapp.get((m.group(1), m.group(4) or "", m.group(2)))
        if found is not None and not any(s <= m.start() < e for s, e, _ in hits):
            hits.append((m.start(), m.end(), found))
    hits.sort(key=lambda h: h[0])
    parts: dict[Ref, tuple[BundleObject, str]] = {}
    for i, (start, _end, obj) in enumerate(hits):
        stop = hits[i + 1][0] if i + 1 < len(hits) else len(text)
        part = text[start:stop].strip().rstrip(",;[]").strip()
        # Named more than once (kapp: "Applying update x …: Updating resource x …: <the server's words>"):
        # the last part says the most.
        parts[obj.ref] = (obj, part)
    return list(parts.values())


def _explain_health(client: KubeClient, obj: BundleObject) -> str:
    """What the live object itself says, for an object a health check waits on."""
    try:
        live = client.get(str(obj.obj.get("apiVersion")), obj.ref.kind, obj.ref.name, obj.ref.namespace or None)
    except ClusterError:
        return ""
    if live is None:
        return "not on the cluster"
    status = live.get("status")
    if not status:
        return "no status reported yet: the controller that owns this kind has not written one (is it running?)"
    pending = [
        f"{c.get('type')}={c.get('status')}" + (f" ({c.get('reason')}: {c.get('message')})" if c.get("message") else "")
        for c in status.get("conditions") or (status.get("conditionStatus") or {}).get("conditions") or []
        if isinstance(c, dict) and c.get("status") != "True"
    ]
    return "; ".join(pending) if pending else ""


def _problem(obj: BundleObject, message: str, blueprints: Blueprints | None) -> ObjectProblem:
    file = line = None
    if obj.source:
        cause = resolve_source(obj.source, blueprints)
        file, line = cause.file, cause.line
    return ObjectProblem(str(obj.ref), message, file, line, obj.source, f"{obj.file}:{obj.line}", obj.tenant)


def _events(client: KubeClient, live: t.Mapping[str, t.Any], namespace: str) -> list[Event]:
    """The object's Events (this object's: not those of an earlier one of the same name), newest first."""
    meta = live.get("metadata") or {}
    selector = f"involvedObject.kind={live.get('kind')},involvedObject.name={meta.get('name')}"
    if meta.get("uid"):
        selector += f",involvedObject.uid={meta['uid']}"
    try:
        items = client.list("v1", "Event", namespace=namespace or None, field_selector=selector)
    except ClusterError:
        return []  # events help; without the right to list them the status still stands
    events: list[Event] = []
    for e in items:
        annotations = (e.get("metadata") or {}).get("annotations") or {}
        revision = next((annotations[k] for k in REVISION_ANNOTATIONS if k in annotations), None)
        when = e.get("lastTimestamp") or e.get("eventTime") or (e.get("metadata") or {}).get("creationTimestamp") or ""
        events.append(
            Event(
                str(e.get("type") or ""),
                str(e.get("reason") or ""),
                str(e.get("message") or ""),
                str(when),
                int(e.get("count") or 1),
                revision,
            )
        )
    events.sort(key=lambda ev: ev.time, reverse=True)
    return events


def _inventory(live: t.Mapping[str, t.Any], expected: list[BundleObject]) -> tuple[Inventory, list[Ref]]:
    entries = ((live.get("status") or {}).get("inventory") or {}).get("entries") or []
    refs: list[Ref] = []
    for entry in entries:
        parts = str(entry.get("id") or "").split("_") if isinstance(entry, dict) else []
        if len(parts) >= 4:
            namespace, name, group, kind = parts[0], "_".join(parts[1:-2]), parts[-2], parts[-1]
            refs.append(Ref(group, kind, namespace, name))
    have, want = set(refs), {o.ref for o in expected}
    return (
        Inventory(
            len(have & want),
            len(want),
            tuple(sorted(str(r) for r in want - have)),
            tuple(sorted(str(r) for r in have - want)),
        ),
        refs,
    )


def read_unit(
    client: KubeClient,
    unit: Unit,
    delivery: Delivery,
    blueprints: Blueprints | None,
    *,
    expected: str | None,
    objects: t.Sequence[BundleObject],
    nested: bool = False,
) -> UnitStatus:
    """One delivery object's status on the cluster, against ``expected`` (None: whatever its spec asks)."""
    status = UnitStatus(unit.api_version, unit.kind, unit.name, unit.namespace, unit.layer, BEHIND, "", expected)
    reader = reader_for(unit.api_version, unit.kind)
    live = client.get(unit.api_version, unit.kind, unit.name, unit.namespace or None)
    if live is None:
        where = "its layer's objects" if nested else delivery.wiring_file
        status.summary = f"not on the cluster (apply {where})"
        return status
    if reader is None:  # a kind the wiring holds that genplat has no reader for: existence is all it can say
        status.state, status.summary = CONVERGED, "exists"
        return status
    reading = reader(live, expected)
    status.state, status.summary = reading.state, reading.summary
    status.applied, status.attempted = reading.applied, reading.attempted
    status.reason, status.message = reading.reason, reading.message
    if status.state != CONVERGED:
        events = _events(client, live, unit.namespace)
        for_this = [e for e in events if expected is None or e.revision is None or same_revision(e.revision, expected)]
        status.events = [e for e in for_this if e.type == "Warning"][:MAX_EVENTS]
        # The last attempt failed even if a retry has replaced the failed condition since.
        if (
            status.state == BEHIND
            and for_this
            and for_this[0].type == "Warning"
            and reading.reason != "DependencyNotReady"
        ):
            status.state = FAILING
            status.summary = f"last attempt failed ({for_this[0].reason}): {for_this[0].message.splitlines()[0]}"
    if status.state == FAILING:
        texts = [status.message or ""] + [e.message for e in status.events[:1]]
        found: dict[Ref, ObjectProblem] = {}
        for text in texts:
            for obj, part in _mentions(text, objects):
                if obj.ref in found:
                    continue
                if _HEALTH.search(part):
                    said = _explain_health(client, obj)
                    part = f"{part} ({said})" if said else part
                found[obj.ref] = _problem(obj, part, blueprints)
        status.objects = list(found.values())
    if unit.kind == "Kustomization" and not nested:
        inventory, refs = _inventory(live, list(objects))
        if expected is None or same_revision(status.applied, expected):
            status.inventory = inventory
        status.nested = _nested(client, refs, unit, delivery, blueprints)
    return status


def _nested(
    client: KubeClient, refs: list[Ref], owner: Unit, delivery: Delivery, blueprints: Blueprints | None
) -> list[UnitStatus]:
    """Delivery objects a layer applied (HelmReleases of an add-on layer, …), read like the wiring's own."""
    out: list[UnitStatus] = []
    own = {u.ref for u in delivery.units}
    for ref in refs:
        obj = delivery.find(ref)
        if obj is None or ref in own:
            continue
        api_version = str(obj.obj.get("apiVersion"))
        if reader_for(api_version, ref.kind) is None:
            continue
        unit = Unit(api_version, ref.kind, ref.name, ref.namespace, owner.layer, obj.obj)
        status = read_unit(client, unit, delivery, blueprints, expected=None, objects=delivery.objects, nested=True)
        if status.state != CONVERGED and not status.objects:
            said = status.message if status.state == FAILING and status.message else status.summary
            status.objects = [_problem(obj, said, blueprints)]
        out.append(status)
    return out


def _cluster(delivery: Delivery, context: str | None, error: str | None = None) -> ClusterStatus:
    return ClusterStatus(
        delivery.bundle,
        delivery.environment,
        delivery.cluster,
        delivery.fmt,
        delivery.digest,
        delivery.wiring_file,
        context,
        error=error,
    )


def read_cluster(
    client: KubeClient, delivery: Delivery, blueprints: Blueprints | None, *, context: str | None = None
) -> ClusterStatus:
    cluster = _cluster(delivery, context)
    for unit in delivery.units:
        own = unit.kind in ("OCIRepository", "Kustomization", "App")
        objects = delivery.objects if unit.layer in ("all", "source") else delivery.layer_objects(unit.layer)
        cluster.units.append(
            read_unit(client, unit, delivery, blueprints, expected=delivery.digest if own else None, objects=objects)
        )
    return cluster


# ---- the whole report ------------------------------------------------------------------------------


def _load(options: StatusOptions) -> tuple[list[Delivery], Blueprints | None]:
    project = project_folder(blueprint_folder(options.project))
    out_dir = output_folder(options.project)
    if not (out_dir / "_gitops").is_dir():
        raise UsageError(
            f"{out_dir}/_gitops: no GitOps wiring to compare with",
            hint="run `genplat build` (the clusters' wiring is rendered with the bundles)",
        )
    deliveries = select(read_deliveries(out_dir), options.clusters)
    return deliveries, blueprints_from_folder(project)


def read_status(
    options: StatusOptions,
    *,
    config: KubeConfig | None = None,
    client_factory: t.Callable[[KubeConfig, str], KubeClient] | None = None,
) -> StatusReport:
    """Every selected cluster's status (and drift with ``options.drift``). A cluster that cannot be read
    is reported with its error (state ``unknown``); usage errors (no such cluster or context) raise."""
    deliveries, blueprints = _load(options)
    config = config or load_kubeconfig(options.kubeconfig)
    contexts = contexts_for(deliveries, config, options.contexts)
    factory = client_factory or (lambda cfg, ctx: KubeClient(cfg.access(ctx), timeout=options.timeout))
    report = StatusReport([])
    for delivery in deliveries:
        context = contexts[delivery.bundle]
        try:
            with factory(config, context) as client:
                cluster = read_cluster(client, delivery, blueprints, context=context)
                if options.drift:
                    cluster.drift = drift(client, delivery, cluster, blueprints)
        except ClusterError as exc:
            cluster = _cluster(delivery, context, exc.message + (f" ({exc.hint})" if exc.hint else ""))
        report.clusters.append(cluster)
    return report


def wait_status(
    options: StatusOptions,
    timeout: float,
    *,
    interval: float = 5.0,
    on_poll: t.Callable[[StatusReport], None] | None = None,
    config: KubeConfig | None = None,
    client_factory: t.Callable[[KubeConfig, str], KubeClient] | None = None,
) -> StatusReport:
    """Read until every cluster has converged, or a failure is settled, or ``timeout`` seconds pass.

    Settled: every cluster that has not converged has a delivery object whose controller failed the
    pushed revision twice with the same Warning (``count`` >= 2: a retry confirmed it; one failure
    may be a webhook that was briefly away). Unreachable clusters are read again until the end.
    """
    start = time.monotonic()
    config = config or load_kubeconfig(options.kubeconfig)
    while True:
        report = read_status(dataclasses.replace(options, drift=False), config=config, client_factory=client_factory)
        report.waited = round(time.monotonic() - start, 1)
        if on_poll is not None:
            on_poll(report)
        if report.converged or time.monotonic() - start >= timeout or _settled(report):
            break
        time.sleep(min(interval, max(0.0, timeout - (time.monotonic() - start))))
    if options.drift:
        final = read_status(options, config=config, client_factory=client_factory)
        final.waited = report.waited
        return final
    return report


def _settled(report: StatusReport) -> bool:
    pending = [c for c in report.clusters if c.state != CONVERGED]
    return bool(pending) and all(
        any(u.state == FAILING and sum(e.count for e in u.events if e.revision) >= 2 for u in c.units) for c in pending
    )


__all__ = ["StatusOptions", "contexts_for", "read_cluster", "read_status", "read_unit", "select", "wait_status"]
