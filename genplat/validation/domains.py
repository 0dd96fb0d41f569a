"""Validate stage: services' public host names (genplat.rendering.domains).

* ``hostname-not-allowed``: a host name outside every domain suffix the platform allows this tenant on a
  cluster the service lands on (``clusters[].domains``; none listed: no custom host names there), or on a
  cluster that has no Gateway for a Deployment's host names.
* ``hostname-taken``: a host name another tenant's service (or another service of the same tenant)
  also asks for; reported at each, naming the other. DNS names are global, so clusters do not matter.
* ``capability-missing``: host names on a cluster without ``cert-manager`` (who would sign them), a
  Deployment's on one without ``gateway-api``, or a Knative service's on one without
  ``knative-domain-claims`` (the ClusterDomainClaim CRD: the ``knative-networking`` add-on).
* ``workload-field``: host names on a cronjob or job, or on a ``cluster-local`` service.
"""

from __future__ import annotations

import typing as t

from genplat.core.addons import capability_addons
from genplat.core.diagnostics import Diagnostic
from genplat.core.domains import allowed, matching
from genplat.core.readers import as_dict, as_list, as_str
from genplat.validation.variants import Variant, placements, service_variants

if t.TYPE_CHECKING:
    from genplat.loader.project import Blueprint

Path = tuple[str | int, ...]


def _hostnames(v: Variant) -> list[tuple[int, str]]:
    return [(i, h) for i, h in enumerate(as_list(v.effective.get("hostnames"))) if isinstance(h, str)]


def _fields(bp: Blueprint, v: Variant) -> list[Diagnostic]:
    if not _hostnames(v):
        return []
    workload = as_str(v.effective.get("workload")) or "knative"
    at = (*v.at("hostnames"), "hostnames")
    if workload in ("cronjob", "job"):
        return [
            bp.diagnostic(
                "workload-field", f"nothing calls a {workload}: it has no host names", at, hint="remove hostnames"
            )
        ]
    if v.effective.get("visibility") == "cluster-local":
        return [
            bp.diagnostic(
                "workload-field",
                f"service {v.name!r} has host names but visibility: cluster-local",
                at,
                hint="host names make a service public: remove visibility: cluster-local, or the host names",
            )
        ]
    return []


def check_tenant_hostnames(
    bp: Blueprint, environments: t.Mapping[str, t.Mapping[str, dict[str, t.Any]]]
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for v in service_variants(bp):
        out += _fields(bp, v)
    tenant = bp.name or ""
    for v, cname, cluster in placements(bp, environments):
        names = _hostnames(v)
        workload = as_str(v.effective.get("workload")) or "knative"
        if not names or workload not in ("knative", "deployment") or v.effective.get("visibility") == "cluster-local":
            continue  # nothing to place (or a workload-field finding already says why not)
        at = (*v.at("hostnames"), "hostnames")
        caps = {c for c in as_list(cluster.get("capabilities")) if isinstance(c, str)}
        domains = [as_dict(d) for d in as_list(cluster.get("domains"))]
        for i, hostname in names:
            if matching(domains, tenant, hostname) is None:
                suffixes = [s for s, _ in allowed(domains, tenant)]
                out.append(
                    bp.diagnostic(
                        "hostname-not-allowed",
                        f"host name {hostname!r} of service {v.name!r} is outside the domains cluster {cname!r} "
                        f"allows tenant {tenant!r}",
                        (*at, i),
                        hint=f"use a name under {', '.join(suffixes)}"
                        if suffixes
                        else f"cluster {cname!r} allows this tenant no host names (clusters[].domains); "
                        "limit the name to other clusters with clusterOverrides",
                    )
                )
        needs = ["cert-manager", "gateway-api" if workload == "deployment" else "knative-domain-claims"]
        for cap in needs:
            if cap not in caps:
                addons = capability_addons().get(cap, (cap,))
                out.append(
                    bp.diagnostic(
                        "capability-missing",
                        f"host names of service {v.name!r} need {cap!r}, which cluster {cname!r} does not have",
                        at,
                        hint=f"add {' or '.join(addons)} to the cluster's addons, or limit the host names to clusters that have it",
                    )
                )
        if workload == "deployment" and "gateway-api" in caps and not as_dict(cluster.get("gateway")):
            out.append(
                bp.diagnostic(
                    "hostname-not-allowed",
                    f"cluster {cname!r} names no Gateway for a Deployment's host names (clusters[].gateway)",
                    at,
                    hint="the platform team sets the cluster's gateway: {name, namespace}",
                )
            )
    return out


def check_hostnames_taken(tenants: t.Sequence[Blueprint]) -> list[Diagnostic]:
    """A host name belongs to one service of one tenant: every other claim is refused, naming the owner."""
    claims: dict[str, list[tuple[Blueprint, str, Path]]] = {}
    for bp in tenants:
        for v in service_variants(bp):
            for i, hostname in _hostnames(v):
                where = (*v.at("hostnames"), "hostnames", i)
                entry = (bp, v.name, where)
                if not any(c[0] is bp and c[1] == v.name and c[2] == where for c in claims.get(hostname, [])):
                    claims.setdefault(hostname, []).append(entry)
    out: list[Diagnostic] = []
    for hostname, holders in sorted(claims.items()):
        owners = {(bp.name, service) for bp, service, _ in holders}
        if len(owners) < 2:
            continue
        for bp, service, where in holders:
            others = sorted(f"service {s!r} of tenant {t_!r}" for t_, s in owners if (t_, s) != (bp.name, service))
            out.append(
                bp.diagnostic(
                    "hostname-taken",
                    f"host name {hostname!r} of service {service!r} of tenant {bp.name!r} is also asked for by "
                    + ", ".join(others),
                    where,
                    hint="a host name belongs to one service of one tenant: choose another, or agree who keeps it",
                )
            )
    return out
