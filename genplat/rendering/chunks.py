"""Render, check and emit: tenants in chunks, so live objects stay few and chunks can run in parallel.

A chunk's result is bytes per tenant file plus the few objects that belong to bundle-wide files;
the rendered objects themselves are dropped as soon as they are written out.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
import typing as t
from pathlib import Path

from genplat.core.diagnostics import Diagnostic
from genplat.core.images import PATTERN_KINDS, image_values, images_in
from genplat.core.objects import RenderedObject
from genplat.core.secrets import allowances_from
from genplat.rendering import delivery, order_key, render_platform, render_tenant
from genplat.rendering._base import BundleContext
from genplat.rendering.emit import dump_documents
from genplat.rendering.files import compress
from genplat.rendering.templates import Templates, merge, render_template
from genplat.resolver.model import PlatformModel, TenantTarget

# Kinds that run containers, the only ones whose ``image`` fields name images to lock.
WORKLOAD_KINDS = frozenset(
    {
        "Pod",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "CronJob",
        "Service",
        "Configuration",
        "Revision",
        "Task",
        "TaskRun",
        "PipelineRun",
        "TriggerTemplate",
        "Release",
    }
)
# Tenants whose objects are checked together and emitted: big enough to amortise a checker call and a
# worker round trip, small enough that live objects stay a few megabytes.
CHUNK = 256

Checker = t.Callable[[list[RenderedObject]], list[Diagnostic]]


@dataclasses.dataclass(slots=True)
class ChunkResult:
    files: list[tuple[str, bytes]]  # (path inside the bundle, bytes; zlib-compressed when ``compressed``)
    shared: list[RenderedObject]  # objects for bundle-wide files, emitted once the bundle is complete
    findings: list[Diagnostic]
    images: set[str]
    objects: int
    timings: dict[str, float]
    compressed: bool = False
    # (apiVersion, kind) of every object and (kind, name) of every roleRef: what the deployer's RBAC covers.
    kinds: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    role_refs: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    # Values of ``image`` keys in Kyverno policies: patterns kbld must be told not to resolve.
    patterns: set[str] = dataclasses.field(default_factory=set)

    def compress(self) -> ChunkResult:
        """Compressed file bytes: a worker's result crosses the pipe and waits in the parent at a tenth of the size."""
        if not self.compressed:
            self.files = [(path, compress(data)) for path, data in self.files]
            self.compressed = True
        return self


class Renderer:
    def __init__(
        self, platform: PlatformModel, templates: Templates, *, split: str, display_root: Path, checker: Checker | None
    ) -> None:
        self.platform = platform
        self.templates = templates
        self.split = split
        self.display_root = display_root
        self.checker = checker
        self.allowances = allowances_from(platform.secrets)
        self._sources: dict[str, str] = {}

    def context(self, bundle: str, tenants: list[TenantTarget]) -> BundleContext:
        cluster = next(c for c in self.platform.clusters if c.bundle == bundle)
        return BundleContext(self.platform, cluster, tenants)

    def platform_chunk(self, ctx: BundleContext) -> ChunkResult:
        """The bundle's platform objects, checked (they all go to bundle-wide files)."""
        timings: dict[str, float] = {}
        start = time.perf_counter()
        findings: list[Diagnostic] = []
        objects = render_platform(ctx)
        objects = merge(objects, self._templated(ctx, "platform", None, "platform/templates.yaml", findings))
        timings["render"] = time.perf_counter() - start
        return self._finish(ctx, [(None, objects)], findings, timings)

    def tenant_chunk(self, ctx: BundleContext, tenants: t.Sequence[TenantTarget]) -> ChunkResult:
        timings: dict[str, float] = {}
        start = time.perf_counter()
        findings: list[Diagnostic] = []
        rendered: list[tuple[TenantTarget | None, list[RenderedObject]]] = []
        for tenant in tenants:
            objects = render_tenant(ctx, tenant)
            objects = merge(objects, self._templated(ctx, "tenant", tenant, f"tenants/{tenant.name}.yaml", findings))
            rendered.append((tenant, objects))
        timings["render"] = time.perf_counter() - start
        return self._finish(ctx, rendered, findings, timings)

    def _finish(
        self,
        ctx: BundleContext,
        rendered: list[tuple[TenantTarget | None, list[RenderedObject]]],
        findings: list[Diagnostic],
        timings: dict[str, float],
    ) -> ChunkResult:
        everything = [o for _, objs in rendered for o in objs]
        delivery.annotate(ctx, everything)
        if self.checker is not None:
            start = time.perf_counter()
            findings.extend(self.checker(everything))
            timings["check"] = time.perf_counter() - start
        images: set[str] = set()
        kinds: set[tuple[str, str]] = set()
        role_refs: set[tuple[str, str]] = set()
        patterns: set[str] = set()
        for o in everything:
            kinds.add((o.api_version, o.kind))
            if o.kind in PATTERN_KINDS:
                patterns |= image_values(o.obj)
            ref = o.obj.get("roleRef") if o.kind in ("RoleBinding", "ClusterRoleBinding") else None
            if isinstance(ref, dict):
                role_refs.add((str(ref.get("kind")), str(ref.get("name"))))
            # Template objects may be of any kind; built-in ones hold images only in workload kinds.
            if o.kind in WORKLOAD_KINDS or o.origin.file.endswith(".j2"):
                images |= images_in(o.obj)
        start = time.perf_counter()
        files: list[tuple[str, bytes]] = []
        shared: list[RenderedObject] = []
        for tenant, objs in rendered:
            own = f"tenants/{tenant.name}.yaml" if tenant is not None else None
            mine = []
            for o in objs:
                if (o.file or "platform/other.yaml") == own:
                    mine.append(o)
                else:
                    shared.append(o)
            if own is not None and mine:
                files.extend(self.emit(own, mine))
        timings["emit"] = time.perf_counter() - start
        return ChunkResult(
            files,
            shared,
            findings,
            images,
            len(everything),
            timings,
            kinds=kinds,
            role_refs=role_refs,
            patterns=patterns,
        )

    def emit(self, file: str, objs: list[RenderedObject]) -> list[tuple[str, bytes]]:
        """Bytes of one output file (or one file per object with ``--split per-object``)."""
        objs.sort(key=order_key)
        if self.split == "per-object":
            return [(object_file(file, o), dump_documents([(self._source(o), o.obj)]).encode("utf-8")) for o in objs]
        return [(file, dump_documents((self._source(o), o.obj) for o in objs).encode("utf-8"))]

    def _templated(
        self, ctx: BundleContext, scope: str, tenant: TenantTarget | None, file: str, findings: list[Diagnostic]
    ) -> list[RenderedObject]:
        out: list[RenderedObject] = []
        for tpl in self.templates.for_scope(scope):
            objs, diags = render_template(
                tpl,
                template_context(ctx, tenant),
                bundle=ctx.cluster.bundle,
                file=file,
                tenant=tenant.name if tenant else None,
                allowed=self.allowances,
            )
            out.extend(objs)
            findings.extend(diags)
        return out

    def _source(self, o: RenderedObject) -> str:
        """``file#anchor`` relative to the project, the same from any working directory. The anchor names
        the value by keys and item names (never a line), so unrelated blueprint edits keep the bytes."""
        f = o.origin.file
        rel = self._sources.get(f)
        if rel is None:
            p = Path(f)
            try:
                rel = os.path.relpath(p.resolve(), self.display_root.resolve()) if p.is_absolute() or p.exists() else f
            except ValueError:  # pragma: no cover - another drive on Windows
                rel = f
            rel = Path(rel).as_posix()
            self._sources[f] = rel
        return f"{rel}#{o.origin.anchor}" if o.origin.anchor else rel


def object_file(group_file: str, o: RenderedObject) -> str:
    """``tenants/<tenant>/<kind>_<namespace>_<name>.yaml``. Names come from templates too, so anything
    but DNS-name characters becomes ``_``: a name can never add a folder or climb out of one."""
    folder = group_file.rsplit(".", 1)[0]
    ns = f"{_safe(o.namespace)}_" if o.namespace else ""
    return f"{folder}/{_safe(o.kind.lower())}_{ns}{_safe(o.name)}.yaml"


def _safe(part: str) -> str:
    return re.sub(r"[^a-z0-9.-]", "_", part).replace("..", "__") or "_"


def template_context(ctx: BundleContext, tenant: TenantTarget | None) -> dict[str, t.Any]:
    c = ctx.cluster
    context: dict[str, t.Any] = {
        "platform": {"name": ctx.platform.name, "spec": ctx.platform.blueprint.spec},
        "cluster": {
            "environment": c.environment,
            "name": c.name,
            "provider": c.provider,
            "region": c.region,
            "capabilities": sorted(c.capabilities),
            "kubernetesVersion": c.kubernetes_version or ctx.platform.kubernetes_version,
            "addons": {a.name: a.version for a in c.addons.values()},
        },
    }
    if tenant is not None:
        context["tenant"] = {
            "name": tenant.name,
            "environment": tenant.environment,
            "namespace": tenant.namespace,
            "tierName": tenant.tier_name,
            "tier": tenant.tier,
            "labels": tenant.labels,
            "description": tenant.description,
            "access": tenant.access,
            "allowFrom": tenant.allow_from,
            "services": [
                {
                    k: getattr(s, k)
                    for k in (
                        "name",
                        "image",
                        "port",
                        "env",
                        "secrets",
                        "scaling",
                        "resources",
                        "traffic",
                        "visibility",
                        "build",
                        "workload",
                        "command",
                        "args",
                        "volumes",
                        "schedule",
                        "job",
                        "egress",
                        "hostnames",
                        "metrics",
                        "slo",
                    )
                }
                for s in tenant.services
            ],
            "resources": [
                {"name": r.name, "offering": r.offering, "parameters": r.parameters} for r in tenant.resources
            ],
            "events": [
                {"name": e.name, "broker": e.broker, "filter": e.filter, "subscriber": e.subscriber}
                for e in tenant.events
            ],
        }
        context["namespace"] = tenant.namespace
    return context
