"""Render stage: Deployment workloads (``workload: deployment``) beside Knative Services.

Workers and long-running services that must not scale to zero become, from the same blueprint
fields (image, port, env, secrets, resources, scaling, probes) in the tenant's namespace:

* ``Deployment <service>``: the same container as a Knative revision gets (env, connection details,
  secrets, resources — those left out taken from the tier's LimitRange defaults, so admission
  policies that judge pod templates see them — probes on the named port ``http``), the ``workload`` ServiceAccount, restricted
  Pod Security settings at pod and container level and the platform's required pod labels. No
  ``replicas``: the HorizontalPodAutoscaler owns the count, so GitOps does not reset it.
* ``Service <service>`` (ClusterIP): port 80 to the container's port, so callers use the same URL
  (``http://<service>.<namespace>.svc``) as for a Knative Service.
* ``HorizontalPodAutoscaler <service>`` (autoscaling/v2): ``scaling.min`` (at least 1) to
  ``scaling.max`` (default: the tier's maxReplicas) on ``scaling.metric`` cpu (default) or memory,
  ``scaling.target`` percent of the request (default 80).
* ``PodDisruptionBudget <service>`` (policy/v1): at most one pod down at a time during voluntary
  disruptions such as node drains.

Quota, LimitRange, NetworkPolicies, peers and the rendered admission policies are namespace-wide, so
they hold for these pods exactly as for Knative's.
"""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext, tenant_labels, tenant_object
from genplat.rendering.injected import platform_env as injected_env
from genplat.rendering.knative import NAME_LABEL, container, pod_labels
from genplat.rendering.tenancy import WORKLOAD_SERVICE_ACCOUNT
from genplat.rendering.volumes import pod_volumes
from genplat.resolver.model import Service, TenantTarget

WORKLOAD = "deployment"
PORT_NAME = "http"
METRICS_PORT_NAME = "metrics"
SERVICE_PORT = 80
DEFAULT_METRIC = "cpu"
DEFAULT_UTILIZATION = 80
POD_SECURITY_CONTEXT = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def metrics_port(svc: Service) -> int:
    """The port a service's metrics are on (``metrics.port``, default: the service's port)."""
    return int((svc.metrics or {}).get("port", svc.port))


def separate_metrics_port(svc: Service) -> bool:
    """Whether the metrics are on a port of their own: the container and the Service declare it as ``metrics``."""
    return svc.metrics is not None and metrics_port(svc) != svc.port


def selector(svc: Service) -> dict[str, str]:
    # A Deployment's selector cannot change after creation: only the service's name, unique in the namespace.
    return {NAME_LABEL: svc.name}


def workload_labels(tenant: TenantTarget, svc: Service) -> dict[str, str]:
    labels = tenant_labels(tenant)
    labels[NAME_LABEL] = svc.name
    return labels


def with_tier_defaults(tenant: TenantTarget, svc: Service) -> Service:
    """Requests and limits the service leaves out, from the tier's LimitRange defaults.

    The LimitRange fills them into Pods, but admission policies (Kyverno's rules for Pods also check
    Deployments' pod templates) judge the Deployment before any Pod exists: the template carries them.
    """
    tier = tenant.tier.get("container", {})
    filled = {part: dict(svc.resources.get(part) or {}) for part in ("requests", "limits")}
    for part, source in (("requests", "defaultRequest"), ("limits", "default")):
        for k, v in (tier.get(source) or {}).items():
            filled[part].setdefault(k, v)
    return dataclasses.replace(svc, resources={k: v for k, v in filled.items() if v})


def deployment(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> RenderedObject:
    c = container(with_tier_defaults(tenant, svc), probe_port=True, platform_env=injected_env(ctx, tenant, svc))
    c["ports"] = [{"name": PORT_NAME, "containerPort": svc.port, "protocol": "TCP"}]
    if separate_metrics_port(svc):
        c["ports"].append({"name": METRICS_PORT_NAME, "containerPort": metrics_port(svc), "protocol": "TCP"})
    template: dict[str, t.Any] = {
        "metadata": {"labels": pod_labels(ctx, tenant, svc)},
        "spec": {
            "serviceAccountName": WORKLOAD_SERVICE_ACCOUNT,
            "securityContext": dict(POD_SECURITY_CONTEXT),
            "containers": [c],
        },
    }
    if svc.volumes:
        template["spec"]["volumes"] = pod_volumes(svc)
    obj = tenant_object(
        tenant,
        "apps/v1",
        "Deployment",
        svc.name,
        svc.origin,
        spec={"selector": {"matchLabels": selector(svc)}, "template": template},
    )
    obj.obj["metadata"]["labels"] = workload_labels(tenant, svc)
    return obj


def service(tenant: TenantTarget, svc: Service) -> RenderedObject:
    obj = tenant_object(
        tenant,
        "v1",
        "Service",
        svc.name,
        svc.origins["port"],
        spec={
            "type": "ClusterIP",
            "selector": selector(svc),
            "ports": [{"name": PORT_NAME, "port": SERVICE_PORT, "targetPort": PORT_NAME, "protocol": "TCP"}]
            + (
                [
                    {
                        "name": METRICS_PORT_NAME,
                        "port": metrics_port(svc),
                        "targetPort": METRICS_PORT_NAME,
                        "protocol": "TCP",
                    }
                ]
                if separate_metrics_port(svc)
                else []
            ),
        },
    )
    obj.obj["metadata"]["labels"] = workload_labels(tenant, svc)
    return obj


def autoscaler(tenant: TenantTarget, svc: Service) -> RenderedObject:
    s = svc.scaling
    metric = s.get("metric") or DEFAULT_METRIC
    spec: dict[str, t.Any] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": svc.name},
        "minReplicas": max(1, int(s.get("min", 1))),
        "maxReplicas": int(s.get("max", tenant.tier.get("maxReplicas", 1))),
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": metric,
                    "target": {"type": "Utilization", "averageUtilization": int(s.get("target", DEFAULT_UTILIZATION))},
                },
            }
        ],
    }
    obj = tenant_object(
        tenant, "autoscaling/v2", "HorizontalPodAutoscaler", svc.name, svc.origins["scaling"], spec=spec
    )
    obj.obj["metadata"]["labels"] = workload_labels(tenant, svc)
    return obj


def disruption_budget(tenant: TenantTarget, svc: Service) -> RenderedObject:
    obj = tenant_object(
        tenant,
        "policy/v1",
        "PodDisruptionBudget",
        svc.name,
        svc.origins["scaling"],
        spec={"maxUnavailable": 1, "selector": {"matchLabels": selector(svc)}},
    )
    obj.obj["metadata"]["labels"] = workload_labels(tenant, svc)
    return obj


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    out: list[RenderedObject] = []
    for svc in tenant.services:
        if svc.workload == WORKLOAD:
            out += [
                deployment(ctx, tenant, svc),
                service(tenant, svc),
                autoscaler(tenant, svc),
                disruption_budget(tenant, svc),
            ]
    return out
