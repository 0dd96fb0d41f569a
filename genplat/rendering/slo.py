"""Render stage: a service's SLOs (``slo``) as Prometheus rules: recording rules and multiwindow,
multi-burn-rate alerts, in a ``PrometheusRule <service>-slo``.

Each objective over a 30-day period, as the SRE workbook (ch. 5, "Alerting on SLOs") defines it and
Sloth v0.16.0 generates it (genplat's expressions equal Sloth's up to label names: ``genplat_*`` for
``sloth_*``; tests/rendering/test_slo_consumers.py compares them):

* ``availability: 99.9``: the error ratio is failed requests (the platform's ``observability.slo.errors``
  matcher on its ``requests`` counter) over all requests;
* ``latency: {threshold: 300ms, percent: 99}``: the error ratio is requests slower than the threshold
  (the platform's ``latency`` histogram, ``le`` = the threshold in seconds, as Prometheus 3 writes bucket
  bounds) over all requests (``le="+Inf"``).

Series are selected by ``namespace`` and ``service`` (the labels both monitors give them,
genplat.rendering.observability). Rules per objective:

* ``slo:sli_error:ratio_rate<w>`` for w in 5m, 30m, 1h, 2h, 6h, 1d, 3d, and 30d as the mean of the 5m
  ratio over the period;
* ``slo:objective:ratio``, ``slo:error_budget:ratio``, ``slo:time_period:days``,
  ``slo:current_burn_rate:ratio``, ``slo:period_burn_rate:ratio``,
  ``slo:period_error_budget_remaining:ratio``, ``genplat_slo_info``;
* four alerts, one per window pair, each firing while both its windows burn the budget faster than its
  factor: ``ErrorBudgetBurn1h`` (1h and 5m above 14.4x) and ``ErrorBudgetBurn6h`` (6h/30m, 6x) page;
  ``ErrorBudgetBurn1d`` (1d/2h, 3x) and ``ErrorBudgetBurn3d`` (3d/6h, 1x) are tickets (severity labels
  from ``observability.slo.severities``), with ``runbook_url`` and ``dashboard_url`` from the platform.

Every series carries ``genplat_id`` (``<namespace>-<service>-<slo>``, unique in a Prometheus),
``genplat_service`` (``<namespace>-<service>``), ``genplat_slo``, and ``namespace``, ``service`` and
``tenant``.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from genplat.core.objects import RenderedObject
from genplat.core.promql import duration_seconds, go_float, le_value
from genplat.rendering._base import BundleContext, tenant_object
from genplat.rendering.observability import MONITORING_API, monitor_labels, monitored
from genplat.resolver.model import Service, TenantTarget

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
PERIOD, PERIOD_DAYS = "30d", 30
# (long window, short window, burn-rate factor, severity): the SRE workbook's table for a 30-day period.
ALERTS = (("1h", "5m", 14.4, "page"), ("6h", "30m", 6, "page"), ("1d", "2h", 3, "ticket"), ("3d", "6h", 1, "ticket"))
DEFAULT_SEVERITIES = {"page": "critical", "ticket": "warning"}
RECORD = "slo:sli_error:ratio_rate"
ID, SERVICE, SLO, WINDOW = "genplat_id", "genplat_service", "genplat_slo", "genplat_window"


@dataclasses.dataclass(frozen=True, slots=True)
class Objective:
    """One SLO of a service: its name, target in percent, and error and total queries with ``{window}``."""

    slo: str
    percent: float
    errors: str
    total: str
    description: str

    @property
    def budget(self) -> float:
        """The error budget ratio as Sloth computes it: (100 - objective) / 100."""
        return (100 - self.percent) / 100

    def query(self, which: str, window: str) -> str:
        return (self.errors if which == "errors" else self.total).replace("{window}", window)


def objectives(settings: t.Mapping[str, t.Any], namespace: str, svc: Service) -> list[Objective]:
    """The service's objectives, with the platform's metric conventions filled in."""
    slo = svc.slo or {}
    sel = f'namespace="{namespace}",service="{svc.name}"'
    out = []
    if "availability" in slo and settings.get("requests") and settings.get("errors"):
        requests = settings["requests"]
        out.append(
            Objective(
                "availability",
                float(slo["availability"]),
                f"sum(rate({requests}{{{sel},{settings['errors']}}}[{{window}}]))",
                f"sum(rate({requests}{{{sel}}}[{{window}}]))",
                f"{go_float(slo['availability'])}% of requests do not fail",
            )
        )
    latency = slo.get("latency")
    if latency and settings.get("latency"):
        bucket = settings["latency"]
        le = le_value(duration_seconds(latency["threshold"]))
        total = f'sum(rate({bucket}{{{sel},le="+Inf"}}[{{window}}]))'
        out.append(
            Objective(
                "latency",
                float(latency["percent"]),
                f'({total} - sum(rate({bucket}{{{sel},le="{le}"}}[{{window}}])))',
                total,
                f"{go_float(latency['percent'])}% of requests are faster than {latency['threshold']}",
            )
        )
    return out


def _selector(ident: t.Mapping[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{ident[k]}"' for k in (ID, SERVICE, SLO)) + "}"


def recording_rules(o: Objective, ident: dict[str, str], labels: dict[str, str]) -> list[dict[str, t.Any]]:
    """The SLI error ratio per window and over the period (Sloth's ``sli-recordings`` group)."""
    rules = []
    for w in WINDOWS:
        rules.append(
            {
                "record": f"{RECORD}{w}",
                "expr": f"({o.query('errors', w)})\n/\n({o.query('total', w)})\n",
                "labels": {**ident, WINDOW: w, **labels},
            }
        )
    sel = _selector(ident)
    rules.append(
        {
            "record": f"{RECORD}{PERIOD}",
            "expr": f"sum_over_time({RECORD}5m{sel}[{PERIOD}])\n/ ignoring ({WINDOW})\n"
            f"count_over_time({RECORD}5m{sel}[{PERIOD}])\n",
            "labels": {**ident, WINDOW: PERIOD, **labels},
        }
    )
    return rules


def meta_rules(o: Objective, ident: dict[str, str], labels: dict[str, str]) -> list[dict[str, t.Any]]:
    """Objective, budget, period, burn rates and what is left of the budget (Sloth's ``meta-recordings``)."""
    sel = _selector(ident)
    ratio = go_float(o.percent / 100)
    by = f"on({ID}, {SLO}, {SERVICE}) group_left"
    plain = {**ident, **labels}
    return [
        {"record": "slo:objective:ratio", "expr": f"vector({ratio})", "labels": plain},
        {"record": "slo:error_budget:ratio", "expr": f"vector(1-{ratio})", "labels": plain},
        {"record": "slo:time_period:days", "expr": f"vector({PERIOD_DAYS})", "labels": plain},
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": f"{RECORD}5m{sel}\n/ {by}\nslo:error_budget:ratio{sel}\n",
            "labels": plain,
        },
        {
            "record": "slo:period_burn_rate:ratio",
            "expr": f"{RECORD}{PERIOD}{sel}\n/ {by}\nslo:error_budget:ratio{sel}\n",
            "labels": plain,
        },
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": f"1 - slo:period_burn_rate:ratio{sel}",
            "labels": plain,
        },
        {
            "record": "genplat_slo_info",
            "expr": "vector(1)",
            "labels": {**plain, "genplat_objective": go_float(o.percent)},
        },
    ]


def burn_condition(o: Objective, ident: t.Mapping[str, str], long: str, short: str, factor: float) -> str:
    """Both windows burning faster than ``factor`` times the budget (one ``and`` of Sloth's alerts)."""
    sel = _selector(ident)
    threshold = f"({go_float(factor)} * {go_float(o.budget)})"
    return (
        f"max({RECORD}{short}{sel} > {threshold}) without ({WINDOW})\n"
        "and\n"
        f"max({RECORD}{long}{sel} > {threshold}) without ({WINDOW})\n"
    )


def _fill(template: str, values: t.Mapping[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def alert_rules(
    o: Objective, ident: dict[str, str], settings: t.Mapping[str, t.Any], places: t.Mapping[str, str]
) -> list[dict[str, t.Any]]:
    severities = {**DEFAULT_SEVERITIES, **(settings.get("severities") or {})}
    out = []
    for long, short, factor, severity in ALERTS:
        days = go_float(PERIOD_DAYS / factor)
        annotations = {
            "summary": f"{places['service']} ({places['namespace']}): the {o.slo} SLO burns its error budget "
            f"{go_float(factor)}x too fast",
            "description": f"Over the last {long} and {short}, more than {go_float(factor)} times the "
            f"{go_float(100 - o.percent)}% error budget of {places['service']} failed its {o.slo} SLO "
            f"({o.description}, over {PERIOD}): at this rate the budget is spent in {days} days.",
        }
        if settings.get("runbook"):
            annotations["runbook_url"] = _fill(settings["runbook"], places)
        if settings.get("dashboard"):
            annotations["dashboard_url"] = _fill(settings["dashboard"], places)
        # genplat_slo (also on the series) tells a service's availability and latency alerts apart as rules.
        labels = {"severity": severities[severity], "genplat_severity": severity, SLO: o.slo}
        for k, v in sorted((settings.get("labels") or {}).items()):
            labels.setdefault(k, v)
        out.append(
            {
                "alert": f"ErrorBudgetBurn{long}",
                "expr": burn_condition(o, ident, long, short, factor),
                "labels": labels,
                "annotations": annotations,
            }
        )
    return out


def identity(namespace: str, service: str, slo: str) -> dict[str, str]:
    key = f"{namespace}-{service}"
    return {ID: f"{key}-{slo}", SERVICE: key, SLO: slo}


def groups(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> list[dict[str, t.Any]]:
    settings = ctx.platform.observability.get("slo") or {}
    places = {
        "tenant": tenant.name,
        "namespace": tenant.namespace,
        "environment": tenant.environment,
        "cluster": ctx.cluster.name,
        "service": svc.name,
    }
    labels = {"namespace": tenant.namespace, "service": svc.name, "tenant": tenant.name}
    out: list[dict[str, t.Any]] = []
    for o in objectives(settings, tenant.namespace, svc):
        ident = identity(tenant.namespace, svc.name, o.slo)
        out += [
            {"name": f"genplat-slo-sli-recordings-{ident[ID]}", "rules": recording_rules(o, ident, labels)},
            {"name": f"genplat-slo-meta-recordings-{ident[ID]}", "rules": meta_rules(o, ident, labels)},
            {
                "name": f"genplat-slo-alerts-{ident[ID]}",
                "rules": alert_rules(o, ident, settings, {**places, "slo": o.slo}),
            },
        ]
    return out


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    out: list[RenderedObject] = []
    for svc in tenant.services:
        if not svc.slo or not monitored(ctx, svc):
            continue
        found = groups(ctx, tenant, svc)
        if not found:
            continue
        obj = tenant_object(
            tenant, MONITORING_API, "PrometheusRule", f"{svc.name}-slo", svc.origins["slo"], spec={"groups": found}
        )
        obj.obj["metadata"]["labels"] = monitor_labels(ctx, tenant, svc)
        out.append(obj)
    return out
