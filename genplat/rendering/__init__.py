"""Render stage: resolved model in, Kubernetes objects (plain dicts with their origin) out.

Each family is one module. ``TENANT_RENDERERS`` run once per tenant placement, ``PLATFORM_RENDERERS``
once per cluster bundle; the order of these lists does not matter, output order is fixed by
:data:`KIND_ORDER`.
"""

from __future__ import annotations

import typing as t

from genplat.core.objects import RenderedObject
from genplat.rendering import (
    addons,
    builds,
    crossplane,
    deployment,
    domains,
    egress,
    jobs,
    knative,
    network,
    observability,
    policy,
    secrets,
    slo,
    tekton,
    telemetry,
    tenancy,
    volumes,
)
from genplat.rendering._base import BundleContext
from genplat.resolver.model import TenantTarget

TenantRenderer = t.Callable[[BundleContext, TenantTarget], list[RenderedObject]]
PlatformRenderer = t.Callable[[BundleContext], list[RenderedObject]]

TENANT_RENDERERS: dict[str, TenantRenderer] = {
    "tenancy": tenancy.render,
    "network": network.render,
    "egress": egress.render,
    "secrets": secrets.render,
    "volumes": volumes.render,
    "crossplane": crossplane.render_tenant,
    "tekton": tekton.render_tenant,
    "knative-serving": knative.render_serving,
    "knative-eventing": knative.render_eventing,
    "deployment": deployment.render,
    "jobs": jobs.render,
    "domains": domains.render,
    "observability": observability.render,
    "slo": slo.render,
    "telemetry": telemetry.render,
    "builds": builds.render_tenant,
}
PLATFORM_RENDERERS: dict[str, PlatformRenderer] = {
    "addons": addons.render,
    "policy": policy.render,
    "crossplane": crossplane.render_platform,
    "tekton": tekton.render_platform,
    "domains": domains.render_platform,
}

# Objects that others depend on come first, so a reader (and kubectl apply) meets them in order.
KIND_ORDER = [
    "Namespace",
    "CustomResourceDefinition",
    "HelmRepository",
    "HelmRelease",
    "App",
    "Provider",
    "CompositeResourceDefinition",
    "Function",
    "Composition",
    "ClusterPolicy",
    "ValidatingPolicy",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ServiceAccount",
    "ResourceQuota",
    "LimitRange",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "NetworkPolicy",
    "CiliumNetworkPolicy",
    "ExternalSecret",
    "ConfigMap",
    "Secret",
    "Task",
    "Pipeline",
    "TriggerBinding",
    "TriggerTemplate",
    "EventListener",
    "Certificate",
    "Ingress",
    "Service",
    "Deployment",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "CronJob",
    "Job",
    "ClusterDomainClaim",
    "DomainMapping",
    "ListenerSet",
    "HTTPRoute",
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
    "Broker",
    "Trigger",
    # Composite resources (v2) and claims (v1) have the offerings' own kinds: they sort after these, by kind.
]
_RANK = {k: i for i, k in enumerate(KIND_ORDER)}


def order_key(obj: RenderedObject) -> tuple[t.Any, ...]:
    return (_RANK.get(obj.kind, len(_RANK)), obj.kind, obj.api_version, obj.namespace or "", obj.name)


def render_tenant(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    out: list[RenderedObject] = []
    for renderer in TENANT_RENDERERS.values():
        out.extend(renderer(ctx, tenant))
    return out


def render_platform(ctx: BundleContext) -> list[RenderedObject]:
    out: list[RenderedObject] = []
    for renderer in PLATFORM_RENDERERS.values():
        out.extend(renderer(ctx))
    return out
