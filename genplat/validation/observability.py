"""Validate stage: metrics and SLOs a service declares (genplat.rendering.observability, slo).

* ``monitoring-missing`` (a warning): a service declares metrics on a cluster without the
  ``prometheus-operator`` capability (nothing scrapes them there), or the platform names no
  ``observability.prometheus`` (no one may scrape them through default-deny networking).
"""

from __future__ import annotations

import typing as t

from genplat.core.diagnostics import Diagnostic, Severity
from genplat.core.readers import as_dict, as_list, as_str
from genplat.validation.variants import placements

if t.TYPE_CHECKING:
    from genplat.loader.project import Blueprint


def _warning(d: Diagnostic) -> Diagnostic:
    return Diagnostic(
        rule=d.rule,
        message=d.message,
        file=d.file,
        line=d.line,
        column=d.column,
        path=d.path,
        hint=d.hint,
        severity=Severity.WARNING,
    )


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
                _warning(
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
                _warning(
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
