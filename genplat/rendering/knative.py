"""Knative Serving Services per tenant service, and Knative Eventing Brokers and Triggers per subscription.

Revision names: every revision template is named ``<service>-<hash>`` where ``<hash>`` is five base-32
characters of the SHA-256 of the rendered template. Knative refuses a template change without a new
name once a name is set, and a content hash gives a new name exactly when the content changes (and the
same name, so no new revision, when it does not). The names are in ``out/`` — that is what a tenant
writes in ``traffic[].revision`` to pin traffic to an earlier rollout.
"""

from __future__ import annotations

import typing as t

from genplat.core.images import parse_image
from genplat.core.names import content_hash, instance_label, label_value
from genplat.core.objects import RenderedObject
from genplat.rendering._base import APP_NAME_LABEL, BundleContext, tenant_labels, tenant_object
from genplat.rendering.connections import connection_env
from genplat.rendering.injected import platform_env as injected_env
from genplat.rendering.secrets import secret_name
from genplat.rendering.tenancy import WORKLOAD_SERVICE_ACCOUNT
from genplat.rendering.volumes import pod_volumes, volume_mounts
from genplat.resolver.model import Service, TenantTarget

SERVING_API = "serving.knative.dev/v1"
EVENTING_API = "eventing.knative.dev/v1"
AUTOSCALING = "autoscaling.knative.dev"
VISIBILITY_LABEL = "networking.knative.dev/visibility"
NAME_LABEL = APP_NAME_LABEL
HASH_CHARS = 5  # "-" + 5 = the 6 characters Knative's own "-00001" suffix takes (see _validate.REVISION_SUFFIX)
# Metrics the Knative Pod Autoscaler handles; cpu and memory need the HPA class.
KPA_METRICS = {"concurrency", "rps"}
# The queue-proxy sidecar sits in every pod: sized explicitly so its share of the tenant quota is known
# (left to the LimitRange it would take the tier's default limits, up to 2 CPUs per pod).
QUEUE_PROXY = {
    "cpu-resource-request": "25m",
    "cpu-resource-limit": "250m",
    "memory-resource-request": "50Mi",
    "memory-resource-limit": "200Mi",
}


def security_context() -> dict[str, t.Any]:
    """Restricted Pod Security at container level (Knative does not allow most pod-level fields)."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_labels(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> dict[str, str]:
    """Tenant labels plus the standard ``app.kubernetes.io`` labels every workload's pods carry (log
    collectors and OpenTelemetry's k8sattributes read them): name, instance (``<service>-<environment>``),
    part-of (the tenant), component (service or job) and version (the image's tag, when it is a valid
    label value). A label the tenant sets itself (``metadata.labels``) wins."""
    labels = tenant_labels(tenant)
    labels[NAME_LABEL] = svc.name
    ref = parse_image(svc.image)
    standard = {
        "app.kubernetes.io/instance": instance_label(svc.name, tenant.environment),
        "app.kubernetes.io/part-of": tenant.name,
        "app.kubernetes.io/component": "job" if svc.workload in ("cronjob", "job") else "service",
        "app.kubernetes.io/version": label_value(ref.tag) if ref.tag else None,
    }
    for key, value in standard.items():
        if value is not None:
            labels.setdefault(key, value)
    return labels


def autoscaling(tenant: TenantTarget, svc: Service) -> dict[str, str]:
    s = svc.scaling
    metric = s.get("metric", "concurrency")
    out = {
        f"{AUTOSCALING}/class": f"{'kpa' if metric in KPA_METRICS else 'hpa'}.autoscaling.knative.dev",
        f"{AUTOSCALING}/metric": metric,
        # Only the KPA scales to zero; the HPA class keeps at least one pod.
        f"{AUTOSCALING}/min-scale": str(s.get("min", 0) if metric in KPA_METRICS else max(1, s.get("min", 1))),
        # Without a max, the tier's maxReplicas caps the service.
        f"{AUTOSCALING}/max-scale": str(s.get("max", tenant.tier.get("maxReplicas", 0))),
    }
    if "target" in s:
        out[f"{AUTOSCALING}/target"] = str(s["target"])
    return out


PROBE_FIELDS = ("initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold")


def probes(svc: Service, *, port: bool) -> dict[str, t.Any]:
    """``readinessProbe``/``livenessProbe``/``startupProbe`` as HTTP GETs on the service's port (Knative
    probes the port it routes to and wants it left out; a Deployment's probes name it)."""
    out: dict[str, t.Any] = {}
    for kind in ("readiness", "liveness", "startup"):
        p = svc.probes.get(kind)
        if not p:
            continue
        get: dict[str, t.Any] = {"path": p["path"]}
        if port:
            get["port"] = svc.port
        out[f"{kind}Probe"] = {"httpGet": get, **{k: p[k] for k in PROBE_FIELDS if k in p}}
    return out


def container(
    svc: Service, *, probe_port: bool = False, platform_env: t.Sequence[dict[str, t.Any]] = ()
) -> dict[str, t.Any]:
    """The service's container; ``platform_env``: variables the platform adds (proxy, telemetry)."""
    env: list[dict[str, t.Any]] = [{"name": k, "value": v} for k, v in svc.env.items()]  # blueprint order
    env.extend(connection_env(svc))
    for ref in svc.secrets:
        env.append(
            {
                "name": ref["env"],
                "valueFrom": {"secretKeyRef": {"name": secret_name(svc, ref["env"]), "key": ref["env"]}},
            }
        )
    env.extend(platform_env)
    c: dict[str, t.Any] = {"name": svc.name, "image": svc.image}
    if svc.command is not None:
        c["command"] = list(svc.command)
    if svc.args is not None:
        c["args"] = list(svc.args)
    c["ports"] = [{"containerPort": svc.port}]
    if env:
        c["env"] = env
    resources = {
        part: {k: str(v) for k, v in svc.resources[part].items()}
        for part in ("requests", "limits")
        if svc.resources.get(part)
    }
    if resources:
        c["resources"] = resources
    c.update(probes(svc, port=probe_port))
    if svc.volumes:
        c["volumeMounts"] = volume_mounts(svc)
    c["securityContext"] = security_context()
    return c


def revision_name(service: str, template: dict[str, t.Any]) -> str:
    return f"{service[: 63 - HASH_CHARS - 1]}-{content_hash(template, HASH_CHARS)}"


def traffic(svc: Service) -> list[dict[str, t.Any]]:
    out = []
    for target in svc.traffic:
        item: dict[str, t.Any] = {}
        if target.get("revision"):
            item["revisionName"] = target["revision"]
        else:
            item["latestRevision"] = True
        item["percent"] = target["percent"]
        if target.get("tag"):
            item["tag"] = target["tag"]
        out.append(item)
    return out


def service(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> RenderedObject:
    annotations = autoscaling(tenant, svc)
    annotations.update({f"queue.sidecar.serving.knative.dev/{k}": v for k, v in QUEUE_PROXY.items()})
    template: dict[str, t.Any] = {
        "metadata": {"labels": pod_labels(ctx, tenant, svc), "annotations": dict(sorted(annotations.items()))},
        "spec": {
            "serviceAccountName": WORKLOAD_SERVICE_ACCOUNT,
            "containers": [container(svc, platform_env=injected_env(ctx, tenant, svc))],
        },
    }
    if svc.volumes:
        template["spec"]["volumes"] = pod_volumes(svc)
    template["metadata"] = {"name": revision_name(svc.name, template), **template["metadata"]}
    spec: dict[str, t.Any] = {"template": template}
    if svc.traffic:
        spec["traffic"] = traffic(svc)
    obj = tenant_object(tenant, SERVING_API, "Service", svc.name, svc.origin, spec=spec)
    if svc.visibility == "cluster-local":
        obj.obj["metadata"]["labels"][VISIBILITY_LABEL] = "cluster-local"
    return obj


def render_serving(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    if not ctx.cluster.has("knative-serving"):
        return []
    return [service(ctx, tenant, svc) for svc in tenant.services if svc.workload == "knative"]


def subscriber_ref(tenant: TenantTarget, name: str) -> dict[str, str]:
    """A Trigger's subscriber: the Knative Service, or for a Deployment workload its core Service."""
    workload = next((s.workload for s in tenant.services if s.name == name), "knative")
    if workload == "deployment":
        return {"apiVersion": "v1", "kind": "Service", "name": name}
    return {"apiVersion": SERVING_API, "kind": "Service", "name": name}


def render_eventing(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    # Knative subscribers are Knative Services, so their Triggers need Serving on the cluster as well.
    if not tenant.events or not ctx.cluster.has("knative-eventing"):
        return []
    workloads = {s.name: s.workload for s in tenant.services}
    if not ctx.cluster.has("knative-serving") and any(
        workloads.get(e.subscriber) != "deployment" for e in tenant.events
    ):
        return []
    out: list[RenderedObject] = []
    brokers: set[str] = set()
    for event in tenant.events:
        if event.broker not in brokers:
            brokers.add(event.broker)
            out.append(tenant_object(tenant, EVENTING_API, "Broker", event.broker, event.origin))
        spec: dict[str, t.Any] = {"broker": event.broker}
        if event.filter:
            spec["filter"] = {"attributes": dict(event.filter)}
        spec["subscriber"] = {"ref": subscriber_ref(tenant, event.subscriber)}
        out.append(tenant_object(tenant, EVENTING_API, "Trigger", event.name, event.origin, spec=spec))
    return out
