"""Render stage: metrics a service declares (``metrics``), scraped by the platform's Prometheus.

On clusters with the ``prometheus-operator`` capability, for a service with ``metrics: {port, path,
interval}`` (the port defaults to the service's):

* a Deployment: a ``ServiceMonitor <service>`` selecting its Service (port ``http``, or ``metrics`` when
  the metrics are on another port: the Deployment and its Service then declare that port too);
* a Knative Service: a ``PodMonitor <service>`` selecting its revisions' pods by
  ``app.kubernetes.io/name`` on the port number (Knative lets a container declare one port, the one it
  routes to; metrics on another port are scraped all the same), relabelled ``service: <service>`` so
  both kinds' series carry the same ``namespace`` and ``service`` labels;
* a NetworkPolicy ``ingress-<service>-metrics`` letting the platform's Prometheus (its namespace, and its
  pods when ``podLabels`` says which) reach that port — default-deny stays for everything else.

Each monitor carries ``observability.prometheus.labels``, so the Prometheus's selectors pick it up. The
PrometheusRule of a service's SLOs is :mod:`genplat.rendering.slo`'s.
"""

from __future__ import annotations

import typing as t

from genplat.core.objects import RenderedObject
from genplat.rendering._base import APP_NAME_LABEL, BundleContext, tenant_object
from genplat.rendering.deployment import METRICS_PORT_NAME, PORT_NAME, metrics_port, workload_labels
from genplat.rendering.deployment import separate_metrics_port as separate_port
from genplat.resolver.model import Service, TenantTarget

MONITORING_API = "monitoring.coreos.com/v1"
CAPABILITY = "prometheus-operator"


def monitored(ctx: BundleContext, svc: Service) -> bool:
    return svc.metrics is not None and svc.workload in ("knative", "deployment") and ctx.cluster.has(CAPABILITY)


def monitor_labels(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> dict[str, str]:
    labels = workload_labels(tenant, svc)
    prometheus = ctx.platform.observability.get("prometheus") or {}
    for k, v in sorted((prometheus.get("labels") or {}).items()):
        labels.setdefault(k, v)
    return labels


def _endpoint(svc: Service) -> dict[str, t.Any]:
    metrics = svc.metrics or {}
    out: dict[str, t.Any] = {"path": metrics.get("path", "/metrics")}
    if metrics.get("interval"):
        out["interval"] = metrics["interval"]
    return out


def service_monitor(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> RenderedObject:
    endpoint = {"port": METRICS_PORT_NAME if separate_port(svc) else PORT_NAME, **_endpoint(svc)}
    obj = tenant_object(
        tenant,
        MONITORING_API,
        "ServiceMonitor",
        svc.name,
        svc.origins["metrics"],
        spec={"selector": {"matchLabels": {APP_NAME_LABEL: svc.name}}, "endpoints": [endpoint]},
    )
    obj.obj["metadata"]["labels"] = monitor_labels(ctx, tenant, svc)
    return obj


def pod_monitor(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> RenderedObject:
    endpoint = {
        "portNumber": metrics_port(svc),
        **_endpoint(svc),
        "relabelings": [{"action": "replace", "targetLabel": "service", "replacement": svc.name}],
    }
    obj = tenant_object(
        tenant,
        MONITORING_API,
        "PodMonitor",
        svc.name,
        svc.origins["metrics"],
        spec={"selector": {"matchLabels": {APP_NAME_LABEL: svc.name}}, "podMetricsEndpoints": [endpoint]},
    )
    obj.obj["metadata"]["labels"] = monitor_labels(ctx, tenant, svc)
    return obj


def scrape_policy(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> RenderedObject | None:
    prometheus = ctx.platform.observability.get("prometheus") or {}
    if not prometheus.get("namespace") or not ctx.platform.policies.get("defaultDenyNetwork", True):
        return None
    peer: dict[str, t.Any] = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": prometheus["namespace"]}}
    }
    if prometheus.get("podLabels"):
        peer["podSelector"] = {"matchLabels": dict(sorted(prometheus["podLabels"].items()))}
    return tenant_object(
        tenant,
        "networking.k8s.io/v1",
        "NetworkPolicy",
        f"ingress-{svc.name}-metrics",
        svc.origins["metrics"],
        spec={
            "podSelector": {"matchLabels": {APP_NAME_LABEL: svc.name}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [peer], "ports": [{"protocol": "TCP", "port": metrics_port(svc)}]}],
        },
    )


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    out: list[RenderedObject] = []
    for svc in tenant.services:
        if not monitored(ctx, svc):
            continue
        if svc.workload == "deployment":
            out.append(service_monitor(ctx, tenant, svc))
        elif ctx.cluster.has("knative-serving"):
            out.append(pod_monitor(ctx, tenant, svc))
        else:
            continue
        policy = scrape_policy(ctx, tenant, svc)
        if policy is not None:
            out.append(policy)
    return out
