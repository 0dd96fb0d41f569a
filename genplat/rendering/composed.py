"""What each tenant's composite resource composes: the XR as Crossplane hands it to the function, the
Composition it selects, and the resources function-patch-and-transform makes of them (offline, with
:mod:`genplat.rendering.patch_transform`).

On Crossplane v2 the tenant's object is the XR itself. On v1 it is a claim; Crossplane makes a
cluster-scoped XR of it (kind ``X<kind>``, a generated name, the claim's labels, ``spec.claimRef``):
:func:`composite_of` makes that XR with the claim's name in place of the generated one.
"""

from __future__ import annotations

import copy
import dataclasses
import typing as t

from genplat.core.objects import Origin, RenderedObject
from genplat.rendering import crossplane
from genplat.rendering._base import BundleContext
from genplat.rendering.patch_transform import (
    CLAIM_NAME_LABEL,
    CLAIM_NAMESPACE_LABEL,
    Composed,
    ComposeFailure,
    compose,
)
from genplat.resolver.model import Cluster, PlatformModel, Resource, TenantTarget


@dataclasses.dataclass(slots=True)
class ComposedXR:
    """One tenant order, composed."""

    tenant: TenantTarget
    resource: Resource  # the tenant's order
    offering: dict[str, t.Any]
    offering_index: int
    composition_index: int | None  # the composition it selects (None: the offering has none for it)
    xr: RenderedObject  # what genplat renders for the tenant (the XR on v2, the claim on v1)
    composite: dict[str, t.Any]  # the XR the function sees
    resources: list[Composed]
    failure: ComposeFailure | None

    @property
    def composition_name(self) -> str | None:
        if self.composition_index is None:
            return None
        comp = self.offering["compositions"][self.composition_index]
        return crossplane.composition_name(self.offering, comp["provider"])


def composite_of(xr: dict[str, t.Any], offering: dict[str, t.Any], mode: str) -> dict[str, t.Any]:
    """The composite resource the function is given for a rendered XR (v2) or claim (v1)."""
    if mode != "v1":
        return copy.deepcopy(xr)
    n = crossplane.names(offering, mode)
    meta = xr.get("metadata") or {}
    spec = {k: copy.deepcopy(v) for k, v in (xr.get("spec") or {}).items() if k != "writeConnectionSecretToRef"}
    spec["claimRef"] = {
        "apiVersion": xr.get("apiVersion"),
        "kind": xr.get("kind"),
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
    }
    labels = dict(meta.get("labels") or {})
    labels.update({CLAIM_NAME_LABEL: meta.get("name", ""), CLAIM_NAMESPACE_LABEL: meta.get("namespace", "")})
    return {
        "apiVersion": xr.get("apiVersion"),
        "kind": n["xr_kind"],
        "metadata": {"name": meta.get("name"), "labels": labels},
        "spec": spec,
    }


def platform_context(platform: PlatformModel) -> BundleContext:
    """A bundle context for what does not depend on the cluster (XRDs, Compositions)."""
    cluster = next(
        (c for c in platform.clusters if c.has(crossplane.CAPABILITY)),
        platform.clusters[0]
        if platform.clusters
        else Cluster("", "", "", None, frozenset(), None, platform.origin(("spec", "environments"))),
    )
    return BundleContext(platform, cluster, [])


def selected_composition(offering: dict[str, t.Any], provider: str) -> int | None:
    """Index of the composition an XR on a cluster of ``provider`` selects (its label, else ``default``)."""
    chosen = crossplane.selected_provider(offering, provider)
    for ci, comp in enumerate(offering.get("compositions") or []):
        if comp.get("provider") == chosen:
            return ci
    return None


def compose_tenant(ctx: BundleContext, tenant: TenantTarget) -> list[ComposedXR]:
    """Every order of one tenant placement, composed as the cluster would compose it."""
    if not ctx.cluster.has(crossplane.CAPABILITY):
        return []
    mode = crossplane.api_mode(ctx)
    offerings = {o["name"]: (oi, o) for oi, o in enumerate(ctx.platform.offerings)}
    out = []
    for res in tenant.resources:
        if res.offering not in offerings:
            continue
        oi, offering = offerings[res.offering]
        xr = crossplane.composite(ctx, tenant, res, offering, mode)
        composite = composite_of(xr.obj, offering, mode)
        ci = selected_composition(offering, ctx.cluster.provider)
        if ci is None:
            out.append(ComposedXR(tenant, res, offering, oi, None, xr, composite, [], None))
            continue
        fn_input = crossplane.function_input(offering, offering["compositions"][ci], mode)
        resources, failure = compose(composite, fn_input)
        out.append(ComposedXR(tenant, res, offering, oi, ci, xr, composite, resources, failure))
    return out


def compose_bundle(platform: PlatformModel, targets: t.Sequence[TenantTarget]) -> list[ComposedXR]:
    """Every order of every tenant placed on one cluster (``targets``: one bundle's placements)."""
    if not targets:
        return []
    ctx = BundleContext(platform, targets[0].cluster, list(targets))
    return [item for target in targets for item in compose_tenant(ctx, target)]


def composed_objects(item: ComposedXR) -> list[RenderedObject]:
    """The composed resources of one order as rendered objects, each with the order's origin."""
    origin: Origin = item.resource.origin
    return [
        RenderedObject(c.obj, origin, bundle=item.tenant.cluster.bundle, file=None, tenant=item.tenant.name)
        for c in item.resources
    ]
