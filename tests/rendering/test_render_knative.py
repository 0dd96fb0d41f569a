"""Knative Serving Services (canary, scale to zero, security) and Eventing Brokers and Triggers."""

from __future__ import annotations

import copy

from genplat.rendering import knative

from .conftest import Rendered

DEV, PROD = "dev/dev-eu", "prod/prod-eu"
ANN = "autoscaling.knative.dev"


def test_canary_split_with_tags(examples: Rendered) -> None:
    svc = examples.one(PROD, "Service", "checkout", "globex-prod")
    assert svc["apiVersion"] == "serving.knative.dev/v1"
    assert svc["spec"]["traffic"] == [
        {"revisionName": "checkout-v1", "percent": 80, "tag": "stable"},
        {"latestRevision": True, "percent": 20, "tag": "canary"},
    ]
    # dev overrides the split: everything to the latest revision.
    dev = examples.one(DEV, "Service", "checkout", "globex-dev")
    assert dev["spec"]["traffic"] == [{"latestRevision": True, "percent": 100}]


def test_scale_to_zero_and_autoscaling(examples: Rendered) -> None:
    dev = examples.one(DEV, "Service", "checkout", "globex-dev")["spec"]["template"]["metadata"]["annotations"]
    assert dev[f"{ANN}/min-scale"] == "0"
    assert dev[f"{ANN}/max-scale"] == "3"
    assert dev[f"{ANN}/target"] == "100"
    assert dev[f"{ANN}/metric"] == "concurrency"
    assert dev[f"{ANN}/class"] == "kpa.autoscaling.knative.dev"
    reports = examples.one(DEV, "Service", "reports", "initech-dev")["spec"]["template"]["metadata"]["annotations"]
    assert (reports[f"{ANN}/min-scale"], reports[f"{ANN}/metric"], reports[f"{ANN}/target"]) == ("2", "rps", "70")


def test_hpa_metrics_and_tier_max(examples: Rendered) -> None:
    tenant = examples.bundles[DEV][0]
    svc = copy.deepcopy(tenant.services[0])
    svc.scaling = {"min": 0, "metric": "cpu", "target": 80}
    ann = knative.autoscaling(tenant, svc)
    assert ann[f"{ANN}/class"] == "hpa.autoscaling.knative.dev"
    assert ann[f"{ANN}/min-scale"] == "1"  # the HPA cannot scale to zero
    assert ann[f"{ANN}/max-scale"] == str(tenant.tier["maxReplicas"])


def test_container_env_secrets_resources_security(examples: Rendered) -> None:
    svc = examples.one(DEV, "Service", "reports", "initech-dev")
    template = svc["spec"]["template"]
    assert template["spec"]["serviceAccountName"] == "workload"
    (c,) = template["spec"]["containers"]
    assert c["image"].startswith("registry.acme.example/initech/reports:3.0.2@sha256:")
    assert c["ports"] == [{"containerPort": 9000}]
    # The tenant's variables first, then the platform's (the OpenTelemetry collector, tests/rendering/test_render_observability.py).
    assert [e["name"] for e in c["env"][3:]] == [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
    ]
    assert c["env"][:3] == [
        {"name": "REPORTS_MODE", "value": "batch"},
        {
            "name": "DATABASE_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "reports-database-password", "key": "DATABASE_PASSWORD"}},
        },
        {
            "name": "DATABASE_USER",
            "valueFrom": {"secretKeyRef": {"name": "reports-database-user", "key": "DATABASE_USER"}},
        },
    ]
    # The Secret named is the one the ExternalSecret writes, under the same key.
    es = examples.one(DEV, "ExternalSecret", "reports-database-password", "initech-dev")
    assert es["spec"]["target"]["name"] == "reports-database-password"
    assert es["spec"]["data"][0]["secretKey"] == "DATABASE_PASSWORD"
    assert c["resources"] == {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    assert c["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert template["metadata"]["labels"]["app.kubernetes.io/name"] == "reports"


def test_env_numbers_become_strings(examples: Rendered) -> None:
    (c,) = examples.one(DEV, "Service", "notifier", "umbrella-dev")["spec"]["template"]["spec"]["containers"]
    assert c["env"][:2] == [{"name": "CHANNEL", "value": "email"}, {"name": "RETRIES", "value": "3"}]


def test_visibility_label(examples: Rendered) -> None:
    docs = examples.one(DEV, "Service", "docs", "tools-dev")
    assert docs["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    checkout = examples.one(DEV, "Service", "checkout", "globex-dev")
    assert "networking.knative.dev/visibility" not in checkout["metadata"]["labels"]


def test_revision_name_follows_content(examples: Rendered) -> None:
    dev = examples.one(DEV, "Service", "checkout", "globex-dev")["spec"]["template"]
    prod = examples.one(PROD, "Service", "checkout", "globex-prod")["spec"]["template"]
    name = dev["metadata"]["name"]
    assert name.startswith("checkout-") and len(name) == len("checkout-") + 5
    assert name != prod["metadata"]["name"]  # different scaling → different revision
    body = {k: v for k, v in dev.items()}
    body["metadata"] = {k: v for k, v in dev["metadata"].items() if k != "name"}
    assert knative.revision_name("checkout", body) == name  # same content → same name
    body["spec"] = copy.deepcopy(body["spec"])
    body["spec"]["containers"][0]["image"] = "ghcr.io/acme/globex-checkout:1.6.0"
    assert knative.revision_name("checkout", body) != name


def test_broker_and_triggers(examples: Rendered) -> None:
    brokers = examples.find(DEV, "Broker", namespace="umbrella-dev")
    assert [b.name for b in brokers] == ["default"]  # two subscriptions, one broker
    order = examples.one(DEV, "Trigger", "order-created", "umbrella-dev")
    assert order["spec"] == {
        "broker": "default",
        "filter": {"attributes": {"type": "com.globex.order.created"}},
        "subscriber": {"ref": {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "notifier"}},
    }
    ready = examples.one(DEV, "Trigger", "report-ready", "umbrella-dev")
    assert ready["spec"]["filter"]["attributes"] == {"type": "com.initech.report.ready", "source": "reports"}
    assert not examples.find(DEV, "Broker", namespace="globex-dev")


def test_quota_counts_knative_services(examples: Rendered) -> None:
    hard = examples.one(DEV, "ResourceQuota", "tenant-quota", "globex-dev")["spec"]["hard"]
    # globex runs the small tier in dev: 10 services.
    assert hard["count/services.serving.knative.dev"] == "10"
    assert hard["services"] == str(10 * 45)  # room for Knative's route, tag and revision Services
