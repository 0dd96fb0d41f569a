"""Render stage: the platform's OpenTelemetry collector, for every workload (``observability.openTelemetry``).

Each container gets ``OTEL_EXPORTER_OTLP_ENDPOINT`` and ``OTEL_EXPORTER_OTLP_PROTOCOL`` (where to send),
``OTEL_SERVICE_NAME`` (the service's name) and ``OTEL_RESOURCE_ATTRIBUTES`` (``service.namespace`` = the
tenant, ``deployment.environment.name``, ``k8s.namespace.name``, ``k8s.cluster.name``), so traces,
metrics and logs carry the same names as the pods' labels; a variable the service sets itself wins.
With default-deny networking, each tenant namespace gets ``allow-telemetry``: egress to the collector's
namespace (and pods) on the endpoint's port, nothing else.
"""

from __future__ import annotations

import typing as t
import urllib.parse

from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext, tenant_object
from genplat.resolver.model import Service, TenantTarget

OTLP_PORTS = {"grpc": 4317, "http/protobuf": 4318}


def _collector(ctx: BundleContext) -> dict[str, t.Any] | None:
    found = (ctx.platform.observability or {}).get("openTelemetry")
    return t.cast("dict[str, t.Any]", found) if found else None


def otel_env(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> list[dict[str, str]]:
    collector = _collector(ctx)
    if collector is None:
        return []
    attributes = ",".join(
        f"{k}={v}"
        for k, v in (
            ("service.namespace", tenant.name),
            ("deployment.environment.name", tenant.environment),
            ("k8s.namespace.name", tenant.namespace),
            ("k8s.cluster.name", ctx.cluster.name),
        )
    )
    values = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector["endpoint"],
        "OTEL_EXPORTER_OTLP_PROTOCOL": collector.get("protocol", "grpc"),
        "OTEL_SERVICE_NAME": svc.name,
        "OTEL_RESOURCE_ATTRIBUTES": attributes,
    }
    return [{"name": k, "value": v} for k, v in values.items() if k not in svc.env]


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    collector = _collector(ctx)
    if collector is None or not collector.get("namespace") or not ctx.platform.policies.get("defaultDenyNetwork", True):
        return []
    url = urllib.parse.urlsplit(collector["endpoint"])
    port = url.port or OTLP_PORTS.get(collector.get("protocol", "grpc"), 4317)
    peer: dict[str, t.Any] = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": collector["namespace"]}}
    }
    if collector.get("podLabels"):
        peer["podSelector"] = {"matchLabels": dict(sorted(collector["podLabels"].items()))}
    return [
        tenant_object(
            tenant,
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "allow-telemetry",
            ctx.platform.origin(("spec", "observability", "openTelemetry")),
            spec={
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{"to": [peer], "ports": [{"protocol": "TCP", "port": port}]}],
            },
        )
    ]
