"""NetworkPolicies: deny by default, then open exactly what the platform and the tenant ask for."""

from __future__ import annotations

import typing as t

from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext, tenant_object
from genplat.resolver.model import KNATIVE_SYSTEM_NAMESPACES, TenantTarget

NAME_LABEL = "kubernetes.io/metadata.name"


def _namespaces(names: t.Iterable[str]) -> dict[str, t.Any]:
    return {
        "namespaceSelector": {"matchExpressions": [{"key": NAME_LABEL, "operator": "In", "values": sorted(set(names))}]}
    }


def system_namespaces(ctx: BundleContext) -> list[str]:
    """Namespaces whose components call into tenant pods on this cluster."""
    names = list(ctx.platform.ingress_namespaces)
    if ctx.cluster.has("knative-serving"):
        names += [n for n in KNATIVE_SYSTEM_NAMESPACES if n != "knative-eventing"]
    if ctx.cluster.has("knative-eventing"):
        names.append("knative-eventing")
    return sorted(set(names))


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    if not ctx.platform.policies.get("defaultDenyNetwork", True):
        return []
    out = _workload_policies(ctx, tenant)
    if tenant.build_namespace is not None:
        out.extend(_build_policies(ctx, tenant.for_builds()))
    return out


def _base_policies(ctx: BundleContext, tenant: TenantTarget, origin: t.Any) -> list[RenderedObject]:
    """Deny everything, then allow DNS and traffic inside the namespace."""
    return [
        tenant_object(
            tenant,
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "default-deny",
            origin,
            spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        ),
        tenant_object(
            tenant,
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "allow-dns",
            origin,
            spec={
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [_namespaces([ctx.platform.dns_namespace])],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
        tenant_object(
            tenant,
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "allow-same-namespace",
            origin,
            spec={
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": {}}]}],
                "egress": [{"to": [{"podSelector": {}}]}],
            },
        ),
    ]


def _origin(ctx: BundleContext) -> t.Any:
    return (
        ctx.platform.origin(("spec", "policies", "defaultDenyNetwork"))
        if "defaultDenyNetwork" in ctx.platform.policies
        else ctx.platform.origin(("spec", "policies"))
    )


def _build_policies(ctx: BundleContext, build: TenantTarget) -> list[RenderedObject]:
    """The build namespace: the base policies, and webhooks in from the ingress controllers (EventListeners).
    What builds reach outside (git, registries) is opened by the Tekton renderer."""
    out = _base_policies(ctx, build, _origin(ctx))
    if ctx.platform.ingress_namespaces:
        out.append(
            tenant_object(
                build,
                "networking.k8s.io/v1",
                "NetworkPolicy",
                "allow-platform",
                _origin(ctx),
                spec={
                    "podSelector": {},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [_namespaces(ctx.platform.ingress_namespaces)]}],
                },
            )
        )
    return out


def _workload_policies(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    origin = _origin(ctx)
    out = _base_policies(ctx, tenant, origin)
    system = system_namespaces(ctx)
    if system:
        spec: dict[str, t.Any] = {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [_namespaces(system)]}],
        }
        if ctx.cluster.has("knative-serving") or ctx.cluster.has("knative-eventing"):
            # Pods reach the activator and brokers in the Knative system namespaces.
            spec["policyTypes"] = ["Ingress", "Egress"]
            spec["egress"] = [{"to": [_namespaces(n for n in system if n.startswith("knative-"))]}]
        out.append(tenant_object(tenant, "networking.k8s.io/v1", "NetworkPolicy", "allow-platform", origin, spec=spec))
    if tenant.allow_from:
        out.append(
            tenant_object(
                tenant,
                "networking.k8s.io/v1",
                "NetworkPolicy",
                "allow-from-peers",
                tenant.origins["network"],
                spec={
                    "podSelector": {},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [_namespaces(tenant.allow_from)]}],
                },
            )
        )
    callees = ctx.callees(tenant.namespace)
    if callees:
        out.append(
            tenant_object(
                tenant,
                "networking.k8s.io/v1",
                "NetworkPolicy",
                "allow-to-peers",
                tenant.origins["network"],
                spec={
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [_namespaces(callees)]}],
                },
            )
        )
    return out
