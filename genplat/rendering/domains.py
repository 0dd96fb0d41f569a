"""Render stage: a service's public host names (``hostnames``), with TLS.

For each host name, on each cluster it lands on (``validate`` has made sure the cluster allows this
tenant that suffix, and that no other tenant holds the name):

* a cert-manager ``Certificate <hostname>`` for that one name, signed by the issuer of the longest
  allowed suffix it is under (:mod:`genplat.core.domains`), into the Secret ``<hostname>``;
* a Knative Service (``workload: knative``): a ``DomainMapping <hostname>`` to the Service, serving the
  certificate's Secret, and in the platform part of the bundle (``platform/domains.yaml``: it is
  cluster-scoped, so the platform grants it, not the tenant) a ``ClusterDomainClaim <hostname>`` giving
  the name to the tenant's namespace (Knative refuses a DomainMapping whose name no claim gives it, unless
  the cluster autocreates claims, which lets any namespace take any name);
* a Deployment: a Gateway API ``ListenerSet <service>`` attached to the cluster's Gateway
  (``clusters[].gateway``), one HTTPS listener per host name terminating TLS with its Secret (the
  tenant's certificate stays in its namespace; the Gateway must allow ListenerSets from tenant namespaces),
  an ``HTTPRoute <service>`` from those listeners to the Service's port 80, and a NetworkPolicy
  ``ingress-<service>-gateway`` letting the Gateway's namespace reach the pods on their port.
"""

from __future__ import annotations

import typing as t

from genplat.core.domains import matching
from genplat.core.objects import RenderedObject
from genplat.rendering._base import APP_NAME_LABEL, BundleContext, platform_object, tenant_object
from genplat.resolver.model import Service, TenantTarget

CERT_API = "cert-manager.io/v1"
GATEWAY_API = "gateway.networking.k8s.io/v1"
GATEWAY_GROUP = "gateway.networking.k8s.io"
DEFAULT_HTTPS_PORT = 443
SERVICE_PORT = 80  # the Deployment's Service (genplat.rendering.deployment)


def secret_name(hostname: str) -> str:
    """The TLS Secret of a host name's certificate: the host name itself (a valid Secret name)."""
    return hostname


def certificate(ctx: BundleContext, tenant: TenantTarget, svc: Service, hostname: str) -> RenderedObject | None:
    found = matching(ctx.cluster.domains, tenant.name, hostname)
    if found is None:
        return None
    issuer = found[1]["issuer"]
    spec = {
        "secretName": secret_name(hostname),
        "dnsNames": [hostname],
        "issuerRef": {"group": "cert-manager.io", "kind": issuer.get("kind", "ClusterIssuer"), "name": issuer["name"]},
    }
    return tenant_object(tenant, CERT_API, "Certificate", hostname, svc.origins["hostnames"], spec=spec)


def _knative(tenant: TenantTarget, svc: Service, hostname: str) -> list[RenderedObject]:
    origin = svc.origins["hostnames"]
    mapping = tenant_object(
        tenant,
        "serving.knative.dev/v1beta1",
        "DomainMapping",
        hostname,
        origin,
        spec={
            "ref": {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": svc.name},
            "tls": {"secretName": secret_name(hostname)},
        },
    )
    return [mapping]


def _public_knative(ctx: BundleContext, tenant: TenantTarget) -> t.Iterator[tuple[Service, str]]:
    if not ctx.cluster.has("knative-serving"):
        return
    for svc in tenant.services:
        if svc.workload == "knative":
            for hostname in svc.hostnames:
                yield svc, hostname


def render_platform(ctx: BundleContext) -> list[RenderedObject]:
    """The ClusterDomainClaims of every tenant's Knative host names on the cluster, in ``platform/domains.yaml``:
    cluster-scoped, so the platform grants them (validate has made sure each name is this tenant's)."""
    out = []
    for tenant in ctx.tenants:
        for svc, hostname in _public_knative(ctx, tenant):
            out.append(
                platform_object(
                    ctx,
                    "networking.internal.knative.dev/v1alpha1",
                    "ClusterDomainClaim",
                    hostname,
                    svc.origins["hostnames"],
                    "domains.yaml",
                    spec={"namespace": tenant.namespace},
                )
            )
    return out


def _gateway(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> list[RenderedObject]:
    gateway = ctx.cluster.gateway
    if gateway is None:
        return []
    origin = svc.origins["hostnames"]
    port = gateway.get("port", DEFAULT_HTTPS_PORT)
    listeners = [
        {
            "name": hostname,
            "hostname": hostname,
            "port": port,
            "protocol": "HTTPS",
            "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": secret_name(hostname)}]},
        }
        for hostname in svc.hostnames
    ]
    listener_set = tenant_object(
        tenant,
        GATEWAY_API,
        "ListenerSet",
        svc.name,
        origin,
        spec={
            "parentRef": {
                "group": GATEWAY_GROUP,
                "kind": "Gateway",
                "namespace": gateway["namespace"],
                "name": gateway["name"],
            },
            "listeners": listeners,
        },
    )
    route = tenant_object(
        tenant,
        GATEWAY_API,
        "HTTPRoute",
        svc.name,
        origin,
        spec={
            "parentRefs": [{"group": GATEWAY_GROUP, "kind": "ListenerSet", "name": svc.name}],
            "hostnames": list(svc.hostnames),
            "rules": [{"backendRefs": [{"name": svc.name, "port": SERVICE_PORT}]}],
        },
    )
    policy = tenant_object(
        tenant,
        "networking.k8s.io/v1",
        "NetworkPolicy",
        f"ingress-{svc.name}-gateway",
        origin,
        spec={
            "podSelector": {"matchLabels": {APP_NAME_LABEL: svc.name}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": gateway["namespace"]}}}
                    ],
                    "ports": [{"protocol": "TCP", "port": svc.port}],
                }
            ],
        },
    )
    return [listener_set, route, policy]


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    out: list[RenderedObject] = []
    for svc in tenant.services:
        if not svc.hostnames or svc.workload not in ("knative", "deployment"):
            continue
        if svc.workload == "knative" and not ctx.cluster.has("knative-serving"):
            continue
        if ctx.cluster.has("cert-manager"):
            for hostname in svc.hostnames:
                cert = certificate(ctx, tenant, svc, hostname)
                if cert is not None:
                    out.append(cert)
        if svc.workload == "knative":
            for hostname in svc.hostnames:
                out += _knative(tenant, svc, hostname)
        elif ctx.cluster.has("gateway-api"):
            out += _gateway(ctx, tenant, svc)
    return out
