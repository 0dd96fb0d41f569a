"""Validate stage: metrics and SLOs a service declares (genplat.rendering.observability, slo).

* ``monitoring-missing`` (a warning): a service declares metrics on a cluster without the
  ``prometheus-operator`` capability (nothing scrapes them there), or the platform names no
  ``observability.prometheus`` (no one may scrape them through default-deny networking).
* ``slo-invalid``: an SLO the platform cannot measure: without ``metrics`` on the service, without the
  platform's ``observability.slo`` conventions for it (``requests`` and ``errors`` for availability,
  ``latency`` for latency), a latency threshold that is none of the platform's ``buckets``; on the
  platform, a runbook or dashboard URL with a placeholder genplat does not fill in.
"""

from __future__ import annotations

import re
import typing as t

from genplat.core.diagnostics import Diagnostic, as_warning
from genplat.core.promql import SLO_PLACEHOLDERS as PLACEHOLDERS
from genplat.core.promql import duration_seconds, go_float
from genplat.core.readers import as_dict, as_list, as_str
from genplat.validation.variants import Variant, placements, service_variants

if t.TYPE_CHECKING:
    from genplat.loader.project import Blueprint


def check_tenant_observability(
    bp: Blueprint, platform: Blueprint, environments: t.Mapping[str, t.Mapping[str, dict[str, t.Any]]]
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    prometheus = as_dict(as_dict(platform.spec.get("observability")).get("prometheus"))
    for v, cname, cluster in placements(bp, environments):
        if not as_dict(v.effective.get("metrics")) and "metrics" not in v.effective:
            continue
        if as_str(v.effective.get("workload")) in ("cronjob", "job"):
            continue  # a workload-field finding says why
        at = (*v.at("metrics"), "metrics")
        caps = {c for c in as_list(cluster.get("capabilities")) if isinstance(c, str)}
        if "prometheus-operator" not in caps:
            out.append(
                as_warning(
                    bp.diagnostic(
                        "monitoring-missing",
                        f"metrics of service {v.name!r} are not scraped on cluster {cname!r}: it has no prometheus-operator",
                        at,
                        hint="add prometheus-operator to the cluster's capabilities",
                    )
                )
            )
        elif not prometheus.get("namespace"):
            out.append(
                as_warning(
                    bp.diagnostic(
                        "monitoring-missing",
                        f"metrics of service {v.name!r}: the platform names no observability.prometheus, so nothing "
                        "may scrape them through default-deny networking",
                        at,
                        hint="the platform team sets observability.prometheus.namespace",
                    )
                )
            )
    return out


def _slo(bp: Blueprint, v: Variant, settings: dict[str, t.Any]) -> list[Diagnostic]:
    slo = as_dict(v.effective.get("slo"))
    if not slo or as_str(v.effective.get("workload")) in ("cronjob", "job"):
        return []
    at = (*v.at("slo"), "slo")
    out = []
    if "metrics" not in v.effective:
        out.append(
            bp.diagnostic(
                "slo-invalid",
                f"service {v.name!r} has SLOs but declares no metrics to measure them on",
                at,
                hint="add metrics: {} (the service serves the platform's request metrics at /metrics)",
            )
        )
    needs = {"availability": ("requests", "errors"), "latency": ("latency",)}
    for name, keys in needs.items():
        if name not in slo:
            continue
        missing = [k for k in keys if not settings.get(k)]
        if missing:
            out.append(
                bp.diagnostic(
                    "slo-invalid",
                    f"the platform does not say how to measure {name} SLOs (observability.slo.{', '.join(missing)})",
                    (*at, name),
                    hint="the platform team sets observability.slo in the platform blueprint",
                )
            )
    threshold = as_str(as_dict(slo.get("latency")).get("threshold"))
    buckets = [b for b in as_list(settings.get("buckets")) if isinstance(b, (int, float)) and not isinstance(b, bool)]
    if threshold is not None and buckets:
        try:
            seconds = duration_seconds(threshold)
        except ValueError:
            return out  # the schema's pattern says so
        if not any(abs(seconds - b) < 1e-12 for b in buckets):
            shown = ", ".join(f"{go_float(b * 1000)}ms" if b < 1 else f"{go_float(b)}s" for b in sorted(buckets))
            out.append(
                bp.diagnostic(
                    "slo-invalid",
                    f"latency threshold {threshold} is none of the platform's histogram buckets: requests faster "
                    "than it cannot be counted",
                    (*at, "latency", "threshold"),
                    hint=f"use one of {shown}",
                )
            )
    return out


def check_tenant_slos(bp: Blueprint, platform: Blueprint) -> list[Diagnostic]:
    settings = as_dict(as_dict(platform.spec.get("observability")).get("slo"))
    out: list[Diagnostic] = []
    for v in service_variants(bp):
        out += _slo(bp, v, settings)
    return out


def check_platform_observability(bp: Blueprint) -> list[Diagnostic]:
    settings = as_dict(as_dict(bp.spec.get("observability")).get("slo"))
    out = []
    for key in ("runbook", "dashboard"):
        value = as_str(settings.get(key))
        for name in re.findall(r"\{(\w*)\}", value or ""):
            if name not in PLACEHOLDERS:
                out.append(
                    bp.diagnostic(
                        "slo-invalid",
                        f"{key} URL has a placeholder {{{name}}} genplat does not fill in",
                        ("spec", "observability", "slo", key),
                        hint=f"placeholders: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
                    )
                )
    return out
