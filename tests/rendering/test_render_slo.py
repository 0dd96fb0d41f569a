"""SLOs from the blueprint: a PrometheusRule per service, recording rules and four burn-rate alerts per
objective (the real consumers, promtool and Sloth, judge them in test_slo_consumers.py)."""

from __future__ import annotations

import typing as t

import pytest

from genplat.core.promql import duration_seconds, go_float, le_value
from genplat.rendering import slo

from .conftest import Rendered


def _groups(examples: Rendered, bundle: str, ns: str, name: str) -> dict[str, list[dict[str, t.Any]]]:
    rule = examples.one(bundle, "PrometheusRule", name, ns)
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    return {g["name"]: g["rules"] for g in rule["spec"]["groups"]}


def test_checkout_has_an_availability_and_a_latency_objective(examples: Rendered) -> None:
    groups = _groups(examples, "prod/prod-eu", "globex-prod", "checkout-slo")
    ids = ("globex-prod-checkout-availability", "globex-prod-checkout-latency")
    assert list(groups) == [
        f"genplat-slo-{part}-{i}" for i in ids for part in ("sli-recordings", "meta-recordings", "alerts")
    ]
    sli = groups[f"genplat-slo-sli-recordings-{ids[0]}"]
    assert [r["record"] for r in sli] == [f"slo:sli_error:ratio_rate{w}" for w in (*slo.WINDOWS, "30d")]
    assert sli[0]["expr"] == (
        '(sum(rate(http_server_request_duration_seconds_count{namespace="globex-prod",service="checkout",'
        'http_response_status_code=~"5.."}[5m])))\n/\n'
        '(sum(rate(http_server_request_duration_seconds_count{namespace="globex-prod",service="checkout"}[5m])))\n'
    )
    assert sli[0]["labels"] == {
        "genplat_id": ids[0],
        "genplat_service": "globex-prod-checkout",
        "genplat_slo": "availability",
        "genplat_window": "5m",
        "namespace": "globex-prod",
        "service": "checkout",
        "tenant": "globex",
    }
    latency = groups[f"genplat-slo-sli-recordings-{ids[1]}"][2]
    assert 'le="0.3"' in latency["expr"] and 'le="+Inf"' in latency["expr"] and "[1h]" in latency["expr"]
    meta = {r["record"]: r["expr"] for r in groups[f"genplat-slo-meta-recordings-{ids[0]}"]}
    assert meta["slo:objective:ratio"] == "vector(0.9990000000000001)"
    assert meta["slo:time_period:days"] == "vector(30)"


def test_four_alerts_per_objective_with_the_workbooks_windows(examples: Rendered) -> None:
    groups = _groups(examples, "prod/prod-eu", "initech-prod", "report-worker-slo")
    (alerts,) = [rules for name, rules in groups.items() if name.startswith("genplat-slo-alerts-")]
    assert [(a["alert"], a["labels"]["severity"], a["labels"]["genplat_severity"]) for a in alerts] == [
        ("ErrorBudgetBurn1h", "critical", "page"),
        ("ErrorBudgetBurn6h", "critical", "page"),
        ("ErrorBudgetBurn1d", "warning", "ticket"),
        ("ErrorBudgetBurn3d", "warning", "ticket"),
    ]
    budget = go_float((100 - 99.5) / 100)
    for alert, (long, short, factor, _) in zip(alerts, slo.ALERTS, strict=True):
        expr = alert["expr"]
        assert f"slo:sli_error:ratio_rate{short}{{" in expr.splitlines()[0]
        assert f"slo:sli_error:ratio_rate{long}{{" in expr.splitlines()[2]
        assert expr.count(f"> ({go_float(factor)} * {budget})") == 2
        annotations = alert["annotations"]
        assert annotations["runbook_url"] == "https://runbooks.acme.example/slo/initech/report-worker/availability"
        assert annotations["dashboard_url"] == (
            "https://grafana.acme.example/d/slo?var-namespace=initech-prod&var-service=report-worker&var-slo=availability"
        )
        assert f"{go_float(factor)}x too fast" in annotations["summary"]


def test_no_rules_without_metrics_or_the_prometheus_operator(examples: Rendered) -> None:
    rules = {
        (o.namespace, o.name) for objects in examples.objects.values() for o in objects if o.kind == "PrometheusRule"
    }
    assert rules == {
        ("globex-dev", "checkout-slo"),
        ("globex-prod", "checkout-slo"),
        ("initech-dev", "report-worker-slo"),
        ("initech-prod", "report-worker-slo"),
    }


@pytest.mark.parametrize(
    ("value", "go"),
    [
        (0.0009999999999999432, "0.0009999999999999432"),
        (99.9 / 100, "0.9990000000000001"),
        (6.0, "6"),
        (14.4, "14.4"),
        (1e-5, "0.00001"),
    ],
)
def test_numbers_as_go_writes_them(value: float, go: str) -> None:
    assert go_float(value) == go


def test_bucket_bounds_and_durations() -> None:
    assert (le_value(0.3), le_value(1.0), le_value(2.5)) == ("0.3", "1.0", "2.5")
    assert (duration_seconds("300ms"), duration_seconds("1s"), duration_seconds("1.5s")) == (0.3, 1.0, 1.5)
    with pytest.raises(ValueError):
        duration_seconds("1m")
