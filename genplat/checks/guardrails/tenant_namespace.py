"""No object from a tenant blueprint lands outside that tenant's namespaces.

A tenant object must be namespaced and its ``metadata.namespace`` must be one of the tenant's; a
``Namespace`` it renders must be one of its own; cluster-scoped kinds (ClusterRole, CRDs, …) are never
allowed from a tenant. An object with no namespace is reported too: it would land in whatever namespace
the applier defaults to. Needs the blueprints (which tenant produced what).
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails._context import Finding, View
from genplat.core.diagnostics import Severity

ID = "guardrail/tenant-namespace"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def check(view: View) -> t.Iterator[Finding]:
    ctx = view.context
    if ctx is None:
        return
    for ro in view.objects:
        if ro.tenant is None or not isinstance(ro.obj, dict):
            continue
        own = ctx.tenant_namespaces.get(ro.tenant, set())
        shown = ", ".join(sorted(own)) or "none"
        if ro.kind == "Namespace" and ro.api_version == "v1":
            if ro.name not in own:
                yield Finding(
                    ro,
                    f"tenant {ro.tenant!r} renders Namespace {ro.name!r}, which is not one of its namespaces",
                    ("metadata", "name"),
                    f"the tenant's namespaces: {shown}",
                )
            continue
        ns = ro.namespace
        if ns is None:
            if view.cluster_scoped(ro.api_version, ro.kind):
                yield Finding(
                    ro,
                    f"tenant {ro.tenant!r} renders cluster-scoped {ro.kind}",
                    (),
                    "tenants may only create namespaced objects in their own namespaces",
                )
            else:
                yield Finding(
                    ro,
                    f"tenant {ro.tenant!r} renders {ro.kind} without a namespace",
                    ("metadata",),
                    f"set metadata.namespace to one of: {shown}",
                )
        elif ns not in own:
            yield Finding(
                ro,
                f"tenant {ro.tenant!r} renders into namespace {ns!r}, which is not one of its namespaces",
                ("metadata", "namespace"),
                f"the tenant's namespaces: {shown}",
            )
