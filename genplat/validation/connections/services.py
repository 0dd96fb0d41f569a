"""Services: connection references to the tenant's resources, and what a Deployment workload cannot do."""

from __future__ import annotations

import typing as t

from genplat.core.diagnostics import Diagnostic
from genplat.core.merge import deep_merge
from genplat.core.readers import as_dict, as_list, as_str, by_name, listing
from genplat.core.suggest import did_you_mean
from genplat.loader.project import Blueprint
from genplat.validation.connections.offerings import published_keys

Path = tuple[str | int, ...]


def check_services(bp: Blueprint, platform: Blueprint, environments: t.Collection[str]) -> list[Diagnostic]:
    """``environments``: the platform's environment names (unknown ones are reported elsewhere)."""
    spec = bp.spec
    out: list[Diagnostic] = []
    resources = by_name(spec.get("resources"))
    res_index = {
        n: i for i, n in enumerate(as_str(as_dict(r).get("name")) for r in as_list(spec.get("resources"))) if n
    }
    offerings = published_keys(platform)
    tenant_envs = [as_str(as_dict(e).get("name")) for e in as_list(spec.get("environments"))]
    known_envs = [e for e in tenant_envs if e]
    for name, res in resources.items():
        ri = res_index[name]
        for ei, ename in enumerate(as_list(res.get("environments"))):
            if isinstance(ename, str) and ename not in known_envs:
                out.append(
                    bp.diagnostic(
                        "unknown-environment",
                        f"resource {name!r} is ordered in environment {ename!r}, which the tenant does not run in",
                        ("spec", "resources", ri, "environments", ei),
                        hint=did_you_mean(ename, known_envs),
                    )
                )
    for ei, env in enumerate(as_list(spec.get("environments"))):
        env = as_dict(env)
        ename = as_str(env.get("name"))
        if ename is None or ename not in environments:
            continue
        base: Path = ("spec", "environments", ei)
        for rname in as_dict(env.get("resources")):
            ordered = resources.get(rname)
            if ordered is not None and not _ordered_in(ordered, ename):
                out.append(
                    bp.diagnostic(
                        "unknown-resource",
                        f"override for resource {rname!r}, which is not ordered in environment {ename!r}",
                        (*base, "resources", rname),
                        key=True,
                        hint=f"add {ename!r} to the resource's environments, or remove this override",
                    )
                )
        for si, svc in enumerate(as_list(spec.get("services"))):
            svc = as_dict(svc)
            sname = as_str(svc.get("name")) or ""
            override = as_dict(as_dict(env.get("services")).get(sname))
            over: Path = (*base, "services", sname)
            eff = deep_merge(svc, override)
            for var, value in as_dict(eff.get("env")).items():
                if not isinstance(value, dict):
                    continue
                where: Path = (*(over if var in as_dict(override.get("env")) else ("spec", "services", si)), "env", var)
                out += _reference(bp, sname, var, as_dict(value), where, ename, resources, res_index, offerings)
            if eff.get("workload") == "deployment":
                out += _deployment(bp, eff, override, ("spec", "services", si), over)
    return out


def _ordered_in(res: dict[str, t.Any], env: str) -> bool:
    envs = as_list(res.get("environments"))
    return not envs or env in envs


def _reference(
    bp: Blueprint,
    service: str,
    var: str,
    ref: dict[str, t.Any],
    where: Path,
    env: str,
    resources: dict[str, dict[str, t.Any]],
    res_index: dict[str, int],
    offerings: dict[str, set[str]],
) -> list[Diagnostic]:
    rname = as_str(ref.get("fromResource"))
    key = as_str(ref.get("key"))
    if rname is None or key is None:
        return []
    res = resources.get(rname)
    if res is None:
        return [
            bp.diagnostic(
                "unknown-resource",
                f"{var} reads resource {rname!r}, which the tenant does not order",
                (*where, "fromResource"),
                hint=did_you_mean(rname, resources) if resources else "order it under spec.resources first",
            )
        ]
    out = []
    if not _ordered_in(res, env):
        ri = res_index[rname]
        out.append(
            bp.diagnostic(
                "resource-environment",
                f"service {service!r} runs in environment {env!r}, where resource {rname!r} is not ordered "
                f"(resources[{ri}].environments: {listing(str(e) for e in as_list(res.get('environments')))})",
                (*where, "fromResource"),
                hint=f"add {env!r} to the resource's environments, or give {var} another value for {env!r} "
                f"under environments[].services.{service}.env",
            )
        )
    offering = as_str(res.get("offering")) or ""
    keys = offerings.get(offering)
    if keys is not None and key not in keys:
        close = did_you_mean(key, keys) if keys else None
        out.append(
            bp.diagnostic(
                "unknown-connection-key",
                f"offering {offering!r} publishes no connection detail {key!r}",
                (*where, "key"),
                hint=(
                    f"{close} It publishes: {listing(keys)}"
                    if close and close.startswith("did")
                    else f"it publishes: {listing(keys)}"
                    if keys
                    else f"offering {offering!r} publishes no connection details (offerings[].connectionDetails)"
                ),
            )
        )
    return out


def _deployment(
    bp: Blueprint, svc: dict[str, t.Any], override: dict[str, t.Any], base: Path, over: Path
) -> list[Diagnostic]:
    out = []

    def at(field: str) -> Path:
        return over if field in override else base

    if as_list(svc.get("traffic")):
        out.append(
            bp.diagnostic(
                "workload-field",
                "traffic splits revisions of a Knative Service; a Deployment has none",
                (*at("traffic"), "traffic"),
                hint="remove traffic, or use workload: knative",
            )
        )
    scaling = as_dict(svc.get("scaling"))
    if scaling.get("min") == 0:
        out.append(
            bp.diagnostic(
                "workload-field",
                "a Deployment does not scale to zero: scaling.min must be at least 1",
                (*at("scaling"), "scaling", "min"),
                hint="set scaling.min: 1, or use workload: knative to scale to zero",
            )
        )
    metric = as_str(scaling.get("metric"))
    if metric in ("concurrency", "rps"):
        out.append(
            bp.diagnostic(
                "workload-field",
                f"a HorizontalPodAutoscaler does not scale on {metric}",
                (*at("scaling"), "scaling", "metric"),
                hint="use metric: cpu or memory (or workload: knative)",
            )
        )
    if svc.get("visibility") == "public":
        out.append(
            bp.diagnostic(
                "workload-field",
                "a Deployment workload is reachable inside the cluster only (a ClusterIP Service)",
                (*at("visibility"), "visibility"),
                hint="set visibility: cluster-local, or use workload: knative",
            )
        )
    return out
