"""Services: connection references to the tenant's resources, and what a Deployment workload cannot do."""

from __future__ import annotations

import typing as t

from genplat.core.diagnostics import Diagnostic
from genplat.core.readers import as_dict, as_list, as_str, by_name, listing
from genplat.core.suggest import did_you_mean
from genplat.loader.project import Blueprint
from genplat.validation.connections.offerings import published_keys
from genplat.validation.variants import Variant, cluster_layers, in_environment, own

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
        layers = [(base, env)] + [((*base, "clusterOverrides", c), layer) for c, layer in cluster_layers(env).items()]
        for at, layer in layers:
            for rname in as_dict(layer.get("resources")):
                ordered = resources.get(rname)
                if ordered is not None and not _ordered_in(ordered, ename):
                    out.append(
                        bp.diagnostic(
                            "unknown-resource",
                            f"override for resource {rname!r}, which is not ordered in environment {ename!r}",
                            (*at, "resources", rname),
                            key=True,
                            hint=f"add {ename!r} to the resource's environments, or remove this override",
                        )
                    )
        for si, svc in enumerate(as_list(spec.get("services"))):
            for v in in_environment(as_dict(svc), si, env, ei):
                found: list[Diagnostic] = []
                for var, value in as_dict(v.effective.get("env")).items():
                    if not isinstance(value, dict):
                        continue
                    where: Path = (*_env_at(v, var), "env", var)
                    found += _reference(bp, v.name, var, as_dict(value), where, ename, resources, res_index, offerings)
                found += workload_fields(bp, v)
                out += own(v, found)
    return out


def _env_at(v: Variant, var: str) -> Path:
    """Where one variable's value was written: the most specific layer whose env sets it."""
    return next((path for path, values in v.layers if var in as_dict(values.get("env"))), v.base)


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


def workload_fields(bp: Blueprint, v: Variant) -> list[Diagnostic]:
    """Fields that do not fit the service's workload kind."""
    svc = v.effective
    workload = as_str(svc.get("workload")) or "knative"
    out = []

    def refuse(field: str, sub: Path, message: str, hint: str) -> None:
        out.append(bp.diagnostic("workload-field", message, (*v.at(field), field, *sub), hint=hint))

    runs = workload in ("cronjob", "job")
    if as_list(svc.get("traffic")) and workload != "knative":
        refuse(
            "traffic",
            (),
            f"traffic splits revisions of a Knative Service; a {workload} has none",
            "remove traffic, or use workload: knative",
        )
    if "schedule" in svc and workload != "cronjob":
        refuse(
            "schedule",
            (),
            f"a schedule is for workload: cronjob, not {workload}",
            "remove schedule, or use workload: cronjob",
        )
    if workload == "cronjob" and "schedule" not in svc:
        refuse("workload", (), "a cronjob needs a schedule", "add schedule: {cron: '0 3 * * *'}")
    if "job" in svc and not runs:
        refuse(
            "job",
            (),
            f"job settings are for workload: cronjob or job, not {workload}",
            "remove job, or use workload: cronjob or job",
        )
    if runs:
        for field in ("scaling", "probes", "metrics", "slo"):
            if field in svc:
                refuse(field, (), f"a {workload} runs to completion: it has no {field}", f"remove {field}")
        if "visibility" in svc:
            refuse("visibility", (), f"nothing calls a {workload}: it has no visibility", "remove visibility")
        return out
    scaling = as_dict(svc.get("scaling"))
    if workload == "deployment":
        if scaling.get("min") == 0:
            refuse(
                "scaling",
                ("min",),
                "a Deployment does not scale to zero: scaling.min must be at least 1",
                "set scaling.min: 1, or use workload: knative to scale to zero",
            )
        metric = as_str(scaling.get("metric"))
        if metric in ("concurrency", "rps"):
            refuse(
                "scaling",
                ("metric",),
                f"a HorizontalPodAutoscaler does not scale on {metric}",
                "use metric: cpu or memory (or workload: knative)",
            )
        if svc.get("visibility") == "public" and not as_list(svc.get("hostnames")):
            refuse(
                "visibility",
                (),
                "a Deployment is public only at the host names it asks for, and it asks for none",
                "add hostnames (routed by the cluster's Gateway), or set visibility: cluster-local",
            )
    return out
