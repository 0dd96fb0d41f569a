"""Validate stage: egress — offerings' networks and services' endpoints (genplat.rendering.egress).

* ``egress-invalid``: a network that is no CIDR (or has host bits set: the API server wants the
  network address), a host name that is not one, two endpoints of one name in a service, an offering
  entry naming a cluster the platform does not have, two entries of an offering for the same clusters,
  two openings of a tenant that would get the same policy name.
* ``egress-unenforceable``: a service calls hosts on a cluster that can enforce neither names (no
  ``cilium``, no ``calico-enterprise``) nor route them through an egress proxy (no
  ``network.egressProxy``): nothing there could open exactly those hosts.
* ``egress-missing`` (warning): with default-deny networking, an offering that publishes connection
  details declares no egress for a cluster it is ordered on: services reading it there reach nothing.
"""

from __future__ import annotations

import ipaddress
import typing as t

from genplat.core.addons import raw_cluster_capabilities
from genplat.core.diagnostics import Diagnostic, as_warning
from genplat.core.readers import as_dict, as_list, as_str
from genplat.validation.variants import Variant, placements, service_variants

if t.TYPE_CHECKING:
    from genplat.loader.project import Blueprint

Path = tuple[str | int, ...]
HOST_ENFORCING = ("cilium", "calico-enterprise")


def cidr_problem(value: str) -> str | None:
    """Why ``value`` is not a network address in CIDR notation (None when it is)."""
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"{value!r} is not a network in CIDR notation (e.g. 10.80.0.0/20)"
    if str(net) != value:
        return f"{value!r} has host bits set or is not written canonically: did you mean {str(net)!r}?"
    return None


def _cidrs(bp: Blueprint, values: t.Any, where: Path) -> list[Diagnostic]:
    out = []
    for i, value in enumerate(as_list(values)):
        problem = cidr_problem(value) if isinstance(value, str) else None
        if problem:
            out.append(
                bp.diagnostic(
                    "egress-invalid", problem, (*where, i), hint="write the network's address, e.g. 10.80.0.0/20"
                )
            )
    return out


def check_platform_egress(bp: Blueprint) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    clusters: dict[str, dict[str, t.Any]] = {}
    for env in as_list(bp.spec.get("environments")):
        for c in as_list(as_dict(env).get("clusters")):
            name = as_str(as_dict(c).get("name"))
            if name:
                clusters[name] = as_dict(c)
    deny = as_dict(bp.spec.get("policies")).get("defaultDenyNetwork", True) is not False
    for oi, off in enumerate(as_list(bp.spec.get("offerings"))):
        off = as_dict(off)
        base: Path = ("spec", "offerings", oi, "egress")
        seen: dict[tuple[str | None, str | None], int] = {}
        entries = [as_dict(e) for e in as_list(off.get("egress"))]
        for ei, entry in enumerate(entries):
            out += _cidrs(bp, entry.get("cidrs"), (*base, ei, "cidrs"))
            cname = as_str(entry.get("cluster"))
            if cname is not None and cname not in clusters:
                out.append(
                    bp.diagnostic(
                        "egress-invalid",
                        f"offering {off.get('name')!r}: egress for cluster {cname!r}, which the platform does not have",
                        (*base, ei, "cluster"),
                        hint=f"clusters: {', '.join(clusters)}",
                    )
                )
            key = (cname, None if cname else as_str(entry.get("provider")))
            if key in seen:
                out.append(
                    bp.diagnostic(
                        "egress-invalid",
                        f"offering {off.get('name')!r}: egress[{seen[key]}] already covers the same clusters",
                        (*base, ei),
                        hint="one entry per cluster, per provider, and one for the rest",
                    )
                )
            seen.setdefault(key, ei)
        if not deny or not as_dict(off.get("connectionDetails")):
            continue
        missing = [
            name
            for name, c in clusters.items()
            if "crossplane" in raw_cluster_capabilities(c, bp.spec)
            and not any(
                as_str(e.get("cluster")) == name
                or ("cluster" not in e and as_str(e.get("provider")) in (None, as_str(c.get("provider"))))
                for e in entries
            )
        ]
        if missing:
            d = bp.diagnostic(
                "egress-missing",
                f"offering {off.get('name')!r} publishes connection details but declares no egress for "
                f"{', '.join(repr(m) for m in missing)}: services reading its resources there reach nothing",
                ("spec", "offerings", oi, "name"),
                hint="add egress: [{provider: …, cidrs: […], ports: […]}] with the networks its instances use",
            )
            out.append(as_warning(d))
    return out


def _endpoints(bp: Blueprint, v: Variant) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    base = (*v.at("egress"), "egress")
    names: dict[str, int] = {}
    for i, endpoint in enumerate(as_list(v.effective.get("egress"))):
        endpoint = as_dict(endpoint)
        name = as_str(endpoint.get("name"))
        if name is not None:
            if name in names:
                out.append(
                    bp.diagnostic(
                        "egress-invalid",
                        f"endpoint {name!r} is listed twice in service {v.name!r}",
                        (*base, i, "name"),
                        hint=f"the first is egress[{names[name]}]; endpoint names must be unique",
                    )
                )
            names.setdefault(name, i)
        out += _cidrs(bp, endpoint.get("cidrs"), (*base, i, "cidrs"))
    return out


def _policy_names(bp: Blueprint) -> list[Diagnostic]:
    """Openings are ``egress-<service>-<resource | endpoint | proxy>``: two must not share a name."""
    out: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for v in service_variants(bp):
        if v.layers:
            continue
        targets: list[tuple[str, Path, str]] = []
        for var, value in as_dict(v.effective.get("env")).items():
            resource = as_str(as_dict(value).get("fromResource")) if isinstance(value, dict) else None
            if resource:
                targets.append((resource, (*v.base, "env", var, "fromResource"), f"resource {resource!r}"))
        for i, endpoint in enumerate(as_list(v.effective.get("egress"))):
            name = as_str(as_dict(endpoint).get("name"))
            if name:
                targets.append((name, (*v.base, "egress", i, "name"), f"endpoint {name!r}"))
            if as_dict(endpoint).get("hosts"):
                targets.append(("proxy", (*v.base, "egress", i), "the egress proxy"))
        for target, where, what in targets:
            policy = f"egress-{v.name}-{target}"
            mine = f"{what} of service {v.name!r}"
            if seen.get(policy, mine) != mine:
                out.append(
                    bp.diagnostic(
                        "egress-invalid",
                        f"the opening for {mine} would be named {policy!r}, as the one for {seen[policy]}",
                        where,
                        hint="rename the endpoint (or the service)",
                    )
                )
            seen.setdefault(policy, mine)
    return out


def check_tenant_egress(
    bp: Blueprint, platform: Blueprint, environments: t.Mapping[str, t.Mapping[str, dict[str, t.Any]]]
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for v in service_variants(bp):
        out += _endpoints(bp, v)
    out += _policy_names(bp)
    proxy = bool(as_dict(as_dict(platform.spec.get("network")).get("egressProxy")))
    deny = as_dict(platform.spec.get("policies")).get("defaultDenyNetwork", True) is not False
    if not deny:
        return out
    for v, cname, cluster in placements(bp, environments):
        caps = {c for c in as_list(cluster.get("capabilities")) if isinstance(c, str)}
        if proxy or caps & set(HOST_ENFORCING):
            continue
        for i, endpoint in enumerate(as_list(v.effective.get("egress"))):
            if as_dict(endpoint).get("hosts"):
                out.append(
                    bp.diagnostic(
                        "egress-unenforceable",
                        f"service {v.name!r} calls hosts ({', '.join(map(str, as_list(as_dict(endpoint).get('hosts'))))}) "
                        f"on cluster {cname!r}, which can neither enforce host names nor route them through an egress proxy",
                        (*v.at("egress"), "egress", i, "hosts"),
                        hint="give the cluster cilium or calico-enterprise, name a network.egressProxy on the platform, "
                        "or call networks (cidrs) instead",
                    )
                )
    return out
