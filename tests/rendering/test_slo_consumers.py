"""The SLO rules genplat renders, judged by the real consumers: promtool (Prometheus v3.16, pinned) and
Sloth v0.16.0 (pinned), both from the tool cache.

* Every PrometheusRule of the example bundles passes ``promtool check rules`` (its lints fatal), and a generated
  ``promtool test rules`` suite: each alert fires at its burn rate (10 % above it) and not below it (10 %
  under it), and the multiwindow condition resets a page within minutes once errors stop. A suite with a
  wrong expectation fails, so the suite can fail.
* For the same SLO, Sloth's generated rules equal genplat's up to label names (``sloth_*`` for
  ``genplat_*``): every SLI recording rule, the period and meta rules, and each of Sloth's page and
  ticket conditions equals one of genplat's four alerts.
"""

from __future__ import annotations

import re
import subprocess
import typing as t
from pathlib import Path

import pytest
import yaml

from genplat.core.promql import go_float
from genplat.rendering import slo
from tests.upstream_parts import tool

from .conftest import Rendered

pytestmark = pytest.mark.tools

REQUESTS = "http_server_request_duration_seconds_count"
BUCKETS = "http_server_request_duration_seconds_bucket"
PER_MINUTE = 6000  # requests a minute in the synthetic traffic


def _rules(examples: Rendered) -> list[tuple[str, t.Any]]:
    return [
        (f"{bundle}:{o.namespace}/{o.name}", o)
        for bundle, objects in sorted(examples.objects.items())
        for o in objects
        if o.kind == "PrometheusRule"
    ]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300, check=False)


def test_examples_have_slo_rules(examples: Rendered) -> None:
    assert sorted(name.split(":", 1)[1] for name, _ in _rules(examples)) == [
        "globex-dev/checkout-slo",
        "globex-prod/checkout-slo",
        "globex-prod/checkout-slo",
        "initech-dev/report-worker-slo",
        "initech-prod/report-worker-slo",
    ]


def test_promtool_checks_every_rule_file(examples: Rendered, tmp_path: Path) -> None:
    promtool = tool("promtool")
    for name, rule in _rules(examples):
        path = tmp_path / "rules.yaml"
        path.write_text(yaml.safe_dump({"groups": rule.obj["spec"]["groups"]}, sort_keys=False), "utf-8")
        proc = _run(promtool, "check", "rules", "--lint=all", "--lint-fatal", str(path))
        count = sum(len(g["rules"]) for g in rule.obj["spec"]["groups"])
        assert proc.returncode == 0, (name, proc.stdout, proc.stderr)
        assert f"SUCCESS: {count} rules found" in proc.stdout, (name, proc.stdout)


# --- promtool test rules ---------------------------------------------------------------------------


def _objective(rule: t.Any, name: str) -> tuple[str, float, dict[str, str]]:
    """(slo kind, objective percent, the series labels) of one SLO id in a rule object."""
    for group in rule.obj["spec"]["groups"]:
        for r in group["rules"]:
            if r.get("record") == "genplat_slo_info" and r["labels"]["genplat_id"] == name:
                labels = {k: v for k, v in r["labels"].items() if k != "genplat_objective"}
                return r["labels"]["genplat_slo"], float(r["labels"]["genplat_objective"]), labels
    raise AssertionError(name)


def _series(
    kind: str, labels: dict[str, str], ratio: float, minutes: int, stop_after: int | None = None
) -> list[dict[str, str]]:
    """Counters with a constant error ratio (errors stop after ``stop_after`` minutes, if given)."""
    sel = f'namespace="{labels["namespace"]}",service="{labels["service"]}"'
    bad, good = PER_MINUTE * ratio, PER_MINUTE * (1 - ratio)

    def values(per_minute: float, other: float | None = None) -> str:
        if stop_after is None:
            return f"0+{go_float(per_minute)}x{minutes}"
        second = per_minute if other is None else other
        return f"0+{go_float(per_minute)}x{stop_after} {go_float(per_minute * stop_after + second)}+{go_float(second)}x{minutes - stop_after - 1}"

    if kind == "availability":
        return [
            {"series": f'{REQUESTS}{{{sel},http_response_status_code="500"}}', "values": values(bad, 0)},
            {"series": f'{REQUESTS}{{{sel},http_response_status_code="200"}}', "values": values(good, PER_MINUTE)},
        ]
    # latency: the threshold's bucket counts the fast requests, +Inf all of them
    return [
        {"series": f'{BUCKETS}{{{sel},le="0.3"}}', "values": values(good, PER_MINUTE)},
        {"series": f'{BUCKETS}{{{sel},le="+Inf"}}', "values": values(PER_MINUTE)},
    ]


def _expected(alert: dict[str, t.Any], labels: dict[str, str]) -> dict[str, t.Any]:
    return {"exp_labels": {**labels, **alert["labels"]}, "exp_annotations": alert["annotations"]}


def _suite(rule: t.Any) -> tuple[list[dict[str, t.Any]], int]:
    """One test per alert and side of its threshold (and a reset test per SLO); and how many alerts."""
    tests: list[dict[str, t.Any]] = []
    alerts = 0
    for group in rule.obj["spec"]["groups"]:
        if not group["name"].startswith("genplat-slo-alerts-"):
            continue
        ident = group["name"].removeprefix("genplat-slo-alerts-")
        kind, percent, labels = _objective(rule, ident)
        budget = (100 - percent) / 100
        for alert in group["rules"]:
            alerts += 1
            factor = next(f for long, _, f, _ in slo.ALERTS if alert["alert"] == f"ErrorBudgetBurn{long}")
            for side, fires in ((1.1, True), (0.9, False)):
                tests.append(
                    {
                        "name": f"{ident} {alert['alert']} at {side} x {go_float(factor)}x",
                        "interval": "1m",
                        "input_series": _series(kind, labels, min(1.0, factor * budget * side), 90),
                        "alert_rule_test": [
                            {
                                "eval_time": "90m",
                                "alertname": alert["alert"],
                                "exp_alerts": [_expected(alert, labels)] if fires else [],
                            }
                        ],
                    }
                )
        # The short window resets a page soon after the errors stop: 20x for 80 minutes, then none.
        page = next(a for a in group["rules"] if a["alert"] == "ErrorBudgetBurn1h")
        tests.append(
            {
                "name": f"{ident} the 5m window resets the 1h page",
                "interval": "1m",
                "input_series": _series(kind, labels, min(1.0, 20 * budget), 100, stop_after=80),
                "alert_rule_test": [
                    {"eval_time": "79m", "alertname": "ErrorBudgetBurn1h", "exp_alerts": [_expected(page, labels)]},
                    {"eval_time": "95m", "alertname": "ErrorBudgetBurn1h", "exp_alerts": []},
                ],
            }
        )
    return tests, alerts


def test_promtool_tests_each_alert_at_its_burn_rate(examples: Rendered, tmp_path: Path) -> None:
    promtool = tool("promtool")
    total = 0
    for name, rule in _rules(examples):
        rules = tmp_path / "rules.yaml"
        rules.write_text(yaml.safe_dump({"groups": rule.obj["spec"]["groups"]}, sort_keys=False), "utf-8")
        tests, alerts = _suite(rule)
        assert alerts >= 4 and len(tests) == 2 * alerts + alerts // 4
        suite = tmp_path / "tests.yaml"
        doc = {"rule_files": [rules.name], "evaluation_interval": "1m", "tests": tests}
        suite.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
        proc = _run(promtool, "test", "rules", str(suite))
        assert proc.returncode == 0, (name, proc.stdout[-3000:], proc.stderr[-3000:])
        assert "SUCCESS" in proc.stdout
        total += len(tests)
        # The suite can fail: expecting the 6h page where the burn is 10 % below its rate.
        wrong = [dict(tc) for tc in tests]
        below = next(tc for tc in wrong if "ErrorBudgetBurn6h at 0.9" in tc["name"])
        page = next(a for g in rule.obj["spec"]["groups"] for a in g["rules"] if a.get("alert") == "ErrorBudgetBurn6h")
        labels = _objective(rule, below["name"].split(" ")[0])[2]
        below["alert_rule_test"] = [{**below["alert_rule_test"][0], "exp_alerts": [_expected(page, labels)]}]
        suite.write_text(yaml.safe_dump({**doc, "tests": [below]}, sort_keys=False), "utf-8")
        assert _run(promtool, "test", "rules", str(suite)).returncode != 0
    assert total >= 60


# --- Sloth ------------------------------------------------------------------------------------------

RENAMES = {"sloth_id": "genplat_id", "sloth_service": "genplat_service", "sloth_slo": "genplat_slo"}
RENAMES |= {"sloth_window": "genplat_window", "sloth_severity": "genplat_severity"}


def _normal(text: str) -> str:
    """An expression with Sloth's label names as genplat's, whitespace collapsed."""
    for old, new in RENAMES.items():
        text = text.replace(old, new)
    return re.sub(r"\s+", " ", text).strip()


def _sloth(tmp_path: Path, o: slo.Objective, ident: dict[str, str], labels: dict[str, str]) -> list[dict[str, t.Any]]:
    spec = {
        "version": "prometheus/v1",
        "service": ident["genplat_service"],
        "labels": labels,
        "slos": [
            {
                "name": o.slo,
                "objective": o.percent,
                "sli": {
                    "events": {
                        "error_query": o.query("errors", "{{.window}}"),
                        "total_query": o.query("total", "{{.window}}"),
                    }
                },
                "alerting": {
                    "name": "ErrorBudgetBurn",
                    "page_alert": {"labels": {"severity": "critical"}},
                    "ticket_alert": {"labels": {"severity": "warning"}},
                },
            }
        ],
    }
    source, out = tmp_path / "sloth.yaml", tmp_path / "sloth-rules.yaml"
    source.write_text(yaml.safe_dump(spec, sort_keys=False), "utf-8")
    proc = _run(tool("sloth"), "generate", "-i", str(source), "-o", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return t.cast("list[dict[str, t.Any]]", yaml.safe_load(out.read_text("utf-8"))["groups"])


def test_burn_rate_expressions_match_sloths(examples: Rendered, tmp_path: Path) -> None:
    compared = 0
    for name, rule in _rules(examples):
        groups = {g["name"]: g["rules"] for g in rule.obj["spec"]["groups"]}
        for gname, sli in groups.items():
            if not gname.startswith("genplat-slo-sli-recordings-"):
                continue
            ident_value = gname.removeprefix("genplat-slo-sli-recordings-")
            kind, percent, labels = _objective(rule, ident_value)
            plain = {k: labels[k] for k in ("namespace", "service", "tenant")}
            ident = {k: labels[k] for k in ("genplat_id", "genplat_service", "genplat_slo")}
            # The queries genplat measured with, read back from its own 5m rule: Sloth gets the same.
            first = sli[0]["expr"]
            errors, total = (part.strip()[1:-1].replace("[5m]", "[{window}]") for part in first.split("\n/\n"))
            o = slo.Objective(kind, percent, errors, total, "")
            theirs = _sloth(tmp_path, o, ident, plain)
            by_name = {g["name"].split("-")[2]: g["rules"] for g in theirs}  # sli, meta, alerts
            # SLI recordings: the same rules, expressions and labels.
            assert [(r["record"], _normal(r["expr"])) for r in by_name["sli"]] == [
                (r["record"], _normal(r["expr"])) for r in sli
            ], name
            assert [{RENAMES.get(k, k): v for k, v in r["labels"].items()} for r in by_name["sli"]] == [
                r["labels"] for r in sli
            ]
            # Meta recordings, but Sloth's own info series.
            ours = [(r["record"], _normal(r["expr"])) for r in groups[f"genplat-slo-meta-recordings-{ident_value}"]]
            assert [(r["record"], _normal(r["expr"])) for r in by_name["meta"] if r["record"] != "sloth_slo_info"] == [
                x for x in ours if x[0] != "genplat_slo_info"
            ], name
            # Each of Sloth's page and ticket alerts is two of genplat's alerts, or-ed.
            alerts = {a["alert"]: _normal(a["expr"]) for a in groups[f"genplat-slo-alerts-{ident_value}"]}
            clauses = []
            for alert in by_name["alerts"]:
                parts = re.findall(
                    r"\(\s*(max\(.*?without \(sloth_window\)\s*and\s*max\(.*?without \(sloth_window\))\s*\)",
                    alert["expr"],
                    flags=re.S,
                )
                assert len(parts) == 2, alert["expr"]
                clauses += [_normal(p) for p in parts]
            assert clauses == [alerts[f"ErrorBudgetBurn{long}"] for long, *_ in slo.ALERTS], name
            compared += 1
    assert compared == 8  # checkout: 2 SLOs in each of 3 bundles; report-worker: 1 in dev/dev-eu and prod/prod-eu
