"""Render stage: egress that matches what each service uses, and nothing more.

With ``policies.defaultDenyNetwork`` (the default) a tenant's pods reach DNS, their own namespace, the
Knative system namespaces and their peers (:mod:`genplat.rendering.network`). On top of that, per
service, one policy per opening, named ``egress-<service>-<what>`` and selecting the service's pods
(``app.kubernetes.io/name``):

* **resources it reads**: a service whose env reads a resource's connection details
  (``{fromResource: reports-db, …}``) may reach that resource: the networks and ports the resource's
  offering declares for the cluster (``offerings[].egress``, the most specific entry: one naming the
  cluster, else its provider, else neither) — a NetworkPolicy ``egress-<service>-<resource>`` with an
  ``ipBlock`` per network. An offering that declares nothing for the cluster opens nothing
  (``validate`` warns the platform team).
* **networks it calls** (``egress: [{name, cidrs, ports}]``): a NetworkPolicy ``egress-<service>-<name>``.
* **hosts it calls** (``egress: [{name, hosts, ports}]``), by what the cluster enforces: a
  ``CiliumNetworkPolicy`` with ``toFQDNs`` where it has ``cilium`` (plus the DNS rule Cilium needs to
  see the lookups: port 53 to the DNS namespace through its DNS proxy); a Calico Enterprise
  ``projectcalico.org/v3 NetworkPolicy`` with ``destination.domains`` where it has ``calico-enterprise``;
  else, when the platform names an ``egressProxy``, one NetworkPolicy ``egress-<service>-proxy`` to the
  proxy's pods and ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` (and their lower-case forms) in the
  container's env, so the proxy decides which hosts it forwards to. ``validate`` refuses hosts on a
  cluster that has none of these.

Without default-deny nothing is rendered here (everything is open anyway), and no proxy is injected.
"""

from __future__ import annotations

import typing as t
import urllib.parse

from genplat.core.objects import RenderedObject
from genplat.rendering._base import APP_NAME_LABEL, BundleContext, tenant_object
from genplat.resolver.model import Cluster, PlatformModel, Service, TenantTarget

NETWORK_API = "networking.k8s.io/v1"
CILIUM_API = "cilium.io/v2"
CALICO_API = "projectcalico.org/v3"
DEFAULT_NO_PROXY = (".svc", ".cluster.local", "localhost", "127.0.0.1")
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY")


def policy_name(service: str, what: str) -> str:
    """``egress-<service>-<resource, endpoint or 'proxy'>`` (validate refuses two openings of one name)."""
    return f"egress-{service}-{what}"


def offering_egress(platform: PlatformModel, offering: str, cluster: Cluster) -> dict[str, t.Any] | None:
    """The offering's egress entry for ``cluster``: one naming it, else its provider, else neither."""
    entries = next((o.get("egress") or [] for o in platform.offerings if o.get("name") == offering), [])
    for match in (
        lambda e: e.get("cluster") == cluster.name,
        lambda e: "cluster" not in e and e.get("provider") == cluster.provider,
        lambda e: "cluster" not in e and "provider" not in e,
    ):
        found = next((e for e in entries if match(e)), None)
        if found is not None:
            return t.cast("dict[str, t.Any]", found)
    return None


def host_enforcement(platform: PlatformModel, cluster: Cluster) -> str | None:
    """How egress to host names is enforced on ``cluster``: cilium, calico-enterprise, proxy or None."""
    for capability in ("cilium", "calico-enterprise"):
        if cluster.has(capability):
            return capability
    return "proxy" if platform.egress_proxy else None


def _enabled(ctx: BundleContext) -> bool:
    return bool(ctx.platform.policies.get("defaultDenyNetwork", True))


def _hosts(svc: Service) -> list[dict[str, t.Any]]:
    return [e for e in svc.egress if e.get("hosts")]


def proxy_env(ctx: BundleContext, svc: Service) -> list[dict[str, str]]:
    """The proxy variables for a service that calls hosts on a cluster that routes them through the
    platform's egress proxy (none otherwise, and none the service sets itself)."""
    proxy = ctx.platform.egress_proxy
    if not (proxy and _enabled(ctx) and _hosts(svc)) or host_enforcement(ctx.platform, ctx.cluster) != "proxy":
        return []
    no_proxy = ",".join(proxy.get("noProxy") or DEFAULT_NO_PROXY)
    values = {"HTTPS_PROXY": proxy["url"], "HTTP_PROXY": proxy["url"], "NO_PROXY": no_proxy}
    out = []
    for name in PROXY_VARS:
        for var in (name, name.lower()):
            if var not in svc.env:
                out.append({"name": var, "value": values[name]})
    return out


def _ports(ports: t.Iterable[int], protocol: str) -> list[dict[str, t.Any]]:
    return [{"protocol": protocol, "port": p} for p in ports]


def _network_policy(
    tenant: TenantTarget,
    svc: Service,
    what: str,
    to: list[dict[str, t.Any]],
    ports: list[dict[str, t.Any]],
    origin: t.Any,
) -> RenderedObject:
    return tenant_object(
        tenant,
        NETWORK_API,
        "NetworkPolicy",
        policy_name(svc.name, what),
        origin,
        spec={
            "podSelector": {"matchLabels": {APP_NAME_LABEL: svc.name}},
            "policyTypes": ["Egress"],
            "egress": [{"to": to, "ports": ports}],
        },
    )


def _cilium(ctx: BundleContext, tenant: TenantTarget, svc: Service, endpoint: dict[str, t.Any]) -> RenderedObject:
    protocol = endpoint.get("protocol", "TCP")
    fqdns = [{"matchPattern": h} if h.startswith("*.") else {"matchName": h} for h in endpoint["hosts"]]
    spec = {
        "endpointSelector": {"matchLabels": {APP_NAME_LABEL: svc.name}},
        "egress": [
            # Cilium learns which addresses the names resolve to only from lookups its DNS proxy sees.
            {
                "toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": ctx.platform.dns_namespace}}],
                "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}],
            },
            {
                "toFQDNs": fqdns,
                "toPorts": [{"ports": [{"port": str(p), "protocol": protocol} for p in endpoint["ports"]]}],
            },
        ],
    }
    return tenant_object(
        tenant,
        CILIUM_API,
        "CiliumNetworkPolicy",
        policy_name(svc.name, endpoint["name"]),
        svc.origins["egress"],
        spec=spec,
    )


def _calico(tenant: TenantTarget, svc: Service, endpoint: dict[str, t.Any]) -> RenderedObject:
    spec = {
        "selector": f"{APP_NAME_LABEL} == '{svc.name}'",
        "types": ["Egress"],
        "egress": [
            {
                "action": "Allow",
                "protocol": endpoint.get("protocol", "TCP"),
                "destination": {"domains": list(endpoint["hosts"]), "ports": list(endpoint["ports"])},
            }
        ],
    }
    return tenant_object(
        tenant, CALICO_API, "NetworkPolicy", policy_name(svc.name, endpoint["name"]), svc.origins["egress"], spec=spec
    )


def _proxy_peer(proxy: dict[str, t.Any]) -> tuple[list[dict[str, t.Any]], list[dict[str, t.Any]]]:
    url = urllib.parse.urlsplit(proxy["url"])
    port = url.port or (443 if url.scheme == "https" else 80)
    peer: dict[str, t.Any] = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": proxy["namespace"]}}}
    if proxy.get("podLabels"):
        peer["podSelector"] = {"matchLabels": dict(sorted(proxy["podLabels"].items()))}
    return [peer], _ports([port], "TCP")


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    if not _enabled(ctx):
        return []
    out: list[RenderedObject] = []
    resources = {r.name: r for r in tenant.resources}
    enforcement = host_enforcement(ctx.platform, ctx.cluster)
    for svc in tenant.services:
        for name in dict.fromkeys(resource for _, resource, _ in svc.connections):
            res = resources.get(name)
            entry = offering_egress(ctx.platform, res.offering, ctx.cluster) if res is not None else None
            if entry is None:
                continue
            to = [{"ipBlock": {"cidr": c}} for c in entry["cidrs"]]
            ports = _ports(entry["ports"], entry.get("protocol", "TCP"))
            out.append(_network_policy(tenant, svc, name, to, ports, svc.origins["env"]))
        for endpoint in svc.egress:
            if endpoint.get("cidrs"):
                to = [{"ipBlock": {"cidr": c}} for c in endpoint["cidrs"]]
                ports = _ports(endpoint["ports"], endpoint.get("protocol", "TCP"))
                out.append(_network_policy(tenant, svc, endpoint["name"], to, ports, svc.origins["egress"]))
            elif enforcement == "cilium":
                out.append(_cilium(ctx, tenant, svc, endpoint))
            elif enforcement == "calico-enterprise":
                out.append(_calico(tenant, svc, endpoint))
        if enforcement == "proxy" and _hosts(svc) and ctx.platform.egress_proxy:
            to, ports = _proxy_peer(ctx.platform.egress_proxy)
            out.append(_network_policy(tenant, svc, "proxy", to, ports, svc.origins["egress"]))
    return out
