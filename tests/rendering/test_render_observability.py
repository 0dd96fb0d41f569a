"""Observability by default: monitors and the scrape opening for services with metrics, standard pod
labels and the OpenTelemetry collector for every workload."""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.rendering import observability, telemetry
from genplat.rendering._base import BundleContext

from .conftest import Rendered

WORKLOADS = {
    ("Service", "serving.knative.dev/v1"),
    ("Deployment", "apps/v1"),
    ("CronJob", "batch/v1"),
    ("Job", "batch/v1"),
}
SCRAPER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
}


def _pod(obj: dict[str, t.Any]) -> dict[str, t.Any]:
    spec = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
    return t.cast("dict[str, t.Any]", spec["template"])


def test_knative_service_gets_a_pod_monitor_and_the_scrape_opening(examples: Rendered) -> None:
    for bundle in ("dev/dev-eu", "prod/prod-eu", "prod/prod-us"):
        ns = f"globex-{bundle.split('/')[0]}"
        monitor = examples.one(bundle, "PodMonitor", "checkout", ns)
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"  # the Prometheus's selector
        assert monitor["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "checkout"}}
        assert monitor["spec"]["podMetricsEndpoints"] == [
            {
                "portNumber": 8080,
                "path": "/metrics",
                "interval": "30s",
                "relabelings": [{"action": "replace", "targetLabel": "service", "replacement": "checkout"}],
            }
        ]
        policy = examples.one(bundle, "NetworkPolicy", "ingress-checkout-metrics", ns)
        assert policy["spec"] == {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "checkout"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [SCRAPER], "ports": [{"protocol": "TCP", "port": 8080}]}],
        }
        # The revision's pods carry the label the monitor selects.
        template = examples.one(bundle, "Service", "checkout", ns)["spec"]["template"]
        assert template["metadata"]["labels"]["app.kubernetes.io/name"] == "checkout"


def test_deployment_gets_a_service_monitor_on_its_metrics_port(examples: Rendered) -> None:
    bundle, ns = "prod/prod-eu", "initech-prod"
    monitor = examples.one(bundle, "ServiceMonitor", "report-worker", ns)
    assert monitor["spec"] == {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "report-worker"}},
        "endpoints": [{"port": "metrics", "path": "/metrics"}],
    }
    service = examples.one(bundle, "Service", "report-worker", ns)
    assert service["metadata"]["labels"]["app.kubernetes.io/name"] == "report-worker"
    assert {"name": "metrics", "port": 9102, "targetPort": "metrics", "protocol": "TCP"} in service["spec"]["ports"]
    (c,) = _pod(examples.one(bundle, "Deployment", "report-worker", ns))["spec"]["containers"]
    assert {"name": "metrics", "containerPort": 9102, "protocol": "TCP"} in c["ports"]
    policy = examples.one(bundle, "NetworkPolicy", "ingress-report-worker-metrics", ns)
    assert policy["spec"]["ingress"] == [{"from": [SCRAPER], "ports": [{"protocol": "TCP", "port": 9102}]}]


def test_only_services_with_metrics_are_monitored(examples: Rendered) -> None:
    monitored = {
        (o.namespace, o.name)
        for objects in examples.objects.values()
        for o in objects
        if o.kind in ("ServiceMonitor", "PodMonitor")
    }
    assert monitored == {
        ("globex-dev", "checkout"),
        ("globex-prod", "checkout"),
        ("initech-dev", "report-worker"),
        ("initech-prod", "report-worker"),
    }


def test_every_workload_gets_standard_labels_and_the_collector(examples: Rendered) -> None:
    seen = 0
    for bundle, objects in examples.objects.items():
        namespaces = {
            o.namespace for o in objects if o.kind == "ResourceQuota" and not (o.namespace or "").endswith("-build")
        }
        for ns in namespaces:
            policy = next(o for o in objects if o.name == "allow-telemetry" and o.namespace == ns)
            assert policy.obj["spec"]["egress"] == [
                {
                    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}],
                    "ports": [{"protocol": "TCP", "port": 4317}],
                }
            ]
        for o in objects:
            if (o.kind, o.api_version) not in WORKLOADS:
                continue
            template = _pod(o.obj)
            labels = template["metadata"]["labels"]
            name = labels["app.kubernetes.io/name"]
            env_name = bundle.split("/")[0]
            assert labels["app.kubernetes.io/instance"] == f"{name}-{env_name}"
            assert labels["app.kubernetes.io/part-of"] == o.tenant
            assert labels["app.kubernetes.io/component"] == ("job" if o.kind in ("CronJob", "Job") else "service")
            (c,) = template["spec"]["containers"]
            tag = c["image"].split("@")[0].rsplit(":", 1)[1]
            assert labels["app.kubernetes.io/version"] == tag
            env = {e["name"]: e.get("value") for e in c["env"]}
            assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability.svc.cluster.local:4317"
            assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc" and env["OTEL_SERVICE_NAME"] == name
            assert env["OTEL_RESOURCE_ATTRIBUTES"] == (
                f"service.namespace={o.tenant},deployment.environment.name={env_name},"
                f"k8s.namespace.name={o.namespace},k8s.cluster.name={bundle.split('/')[1]}"
            )
            seen += 1
    assert seen >= 15


def test_a_service_setting_an_otel_variable_keeps_its_value(examples: Rendered) -> None:
    tenant = next(tt for tt in examples.bundles["prod/prod-eu"] if tt.name == "globex")
    svc = dataclasses.replace(tenant.services[0], env={**tenant.services[0].env, "OTEL_SERVICE_NAME": "shop"})
    ctx = BundleContext(examples.platform, tenant.cluster, [tenant])
    names = [e["name"] for e in telemetry.otel_env(ctx, tenant, svc)]
    assert "OTEL_SERVICE_NAME" not in names and len(names) == 3


def test_no_monitors_without_the_prometheus_operator(examples: Rendered) -> None:
    tenant = next(tt for tt in examples.bundles["prod/prod-eu"] if tt.name == "globex")
    cluster = dataclasses.replace(tenant.cluster, capabilities=tenant.cluster.capabilities - {"prometheus-operator"})
    tenant = dataclasses.replace(tenant, cluster=cluster)
    assert observability.render(BundleContext(examples.platform, cluster, [tenant]), tenant) == []
    with_it = dataclasses.replace(tenant, cluster=next(c for c in examples.platform.clusters if c.name == "prod-eu"))
    ctx = BundleContext(examples.platform, with_it.cluster, [with_it])
    assert [o.kind for o in observability.render(ctx, with_it)] == ["PodMonitor", "NetworkPolicy"]
