"""Validate stage: a tenant blueprint against what the platform offers (tiers, environments, clusters,
offerings and their parameters, pipeline templates, peers), and its services within the tier's bounds."""

from __future__ import annotations

import typing as t

from genplat.core.addons import capability_addons
from genplat.core.diagnostics import Diagnostic
from genplat.core.quantity import parse_quantity
from genplat.core.readers import as_dict, as_list, as_str, by_name
from genplat.core.suggest import did_you_mean
from genplat.loader.project import Blueprint, Project
from genplat.validation.catalog import (
    CAPABILITY_FOR,
    CORE_WORKLOADS,
    MAX_LABEL,
    RESERVED_NAMES,
    REVISION_SUFFIX,
    Catalog,
    duplicates,
    param_problems,
)
from genplat.validation.variants import Variant, cluster_layers, in_environment, own


def tenant_names(project: Project, findings: list[Diagnostic]) -> set[str]:
    seen: dict[str, Blueprint] = {}
    for bp in project.tenants:
        name = bp.name
        if not name:
            continue
        if name in seen:
            findings.append(
                bp.diagnostic(
                    "duplicate-tenant",
                    f"tenant {name!r} is also defined in {seen[name].file}",
                    ("metadata", "name"),
                    hint="tenant names must be unique across files",
                )
            )
        else:
            seen[name] = bp
    return set(seen)


def check_tenant(bp: Blueprint, cat: Catalog, tenant_names: set[str]) -> list[Diagnostic]:
    spec = bp.spec
    out: list[Diagnostic] = []
    name = bp.name
    if name and RESERVED_NAMES.match(name):
        out.append(
            bp.diagnostic(
                "name-reserved",
                f"tenant name {name!r} is reserved for system namespaces",
                ("metadata", "name"),
                hint="choose a name that does not start with kube-, tekton-, knative-, genplat- and is not default, kyverno, …",
            )
        )
    tier = as_str(spec.get("tier"))
    if tier is not None and tier not in cat.tiers:
        out.append(
            bp.diagnostic(
                "unknown-tier",
                f"tier {tier!r} is not offered by the platform",
                ("spec", "tier"),
                hint=did_you_mean(tier, cat.tiers),
            )
        )
    services = as_list(spec.get("services"))
    resources = as_list(spec.get("resources"))
    events = as_list(spec.get("events"))
    out += duplicates(bp, services, ("spec", "services"), "service")
    out += duplicates(bp, resources, ("spec", "resources"), "resource")
    out += duplicates(bp, events, ("spec", "events"), "event subscription")
    svc_by_name = by_name(services)
    res_by_name = by_name(resources)

    envs = as_list(spec.get("environments"))
    out += duplicates(bp, envs, ("spec", "environments"), "environment")
    all_targets: dict[str, dict[str, t.Any]] = {}
    for ei, env in enumerate(envs):
        env = as_dict(env)
        ename = as_str(env.get("name"))
        base = ("spec", "environments", ei)
        if ename is None:
            continue
        if ename not in cat.environments:
            out.append(
                bp.diagnostic(
                    "unknown-environment",
                    f"environment {ename!r} is not defined by the platform",
                    (*base, "name"),
                    hint=did_you_mean(ename, cat.environments),
                )
            )
            continue
        namespace = f"{name}-{ename}"
        if name and len(namespace) > MAX_LABEL:
            out.append(
                bp.diagnostic(
                    "name-too-long",
                    f"namespace {namespace!r} would be {len(namespace)} characters, over {MAX_LABEL}",
                    ("metadata", "name"),
                    hint="shorten the tenant name",
                )
            )
        if name and RESERVED_NAMES.match(namespace) and not RESERVED_NAMES.match(name):
            out.append(
                bp.diagnostic(
                    "name-reserved",
                    f"namespace {namespace!r} derived from this tenant is reserved",
                    ("metadata", "name"),
                )
            )
        env_tier = as_str(env.get("tier"))
        if env_tier is not None and env_tier not in cat.tiers:
            out.append(
                bp.diagnostic(
                    "unknown-tier",
                    f"tier {env_tier!r} is not offered by the platform",
                    (*base, "tier"),
                    hint=did_you_mean(env_tier, cat.tiers),
                )
            )
        clusters = cat.environments[ename]
        targets = as_list(env.get("clusters")) or list(clusters)
        for ci, cname in enumerate(as_list(env.get("clusters"))):
            if isinstance(cname, str) and cname not in clusters:
                out.append(
                    bp.diagnostic(
                        "unknown-cluster",
                        f"cluster {cname!r} is not in environment {ename!r}",
                        (*base, "clusters", ci),
                        hint=did_you_mean(str(cname), clusters, listing=f"clusters of {ename!r}"),
                    )
                )
        target_clusters = {c: clusters[c] for c in targets if isinstance(c, str) and c in clusters}
        builds = any(as_dict(s).get("build") for s in services)
        if (
            name
            and builds
            and any("tekton" in as_list(c.get("capabilities")) for c in target_clusters.values())
            and len(namespace) <= MAX_LABEL < len(f"{namespace}-build")
        ):
            out.append(
                bp.diagnostic(
                    "name-too-long",
                    f"build namespace '{namespace}-build' would be {len(namespace) + 6} characters, over {MAX_LABEL}",
                    ("metadata", "name"),
                    hint="shorten the tenant name: builds run in <tenant>-<environment>-build",
                )
            )
        for okey in as_dict(env.get("services")):
            if okey not in svc_by_name:
                out.append(
                    bp.diagnostic(
                        "unknown-service",
                        f"override for service {okey!r}, which the tenant does not define",
                        (*base, "services", okey),
                        key=True,
                        hint=did_you_mean(okey, svc_by_name),
                    )
                )
        for okey in as_dict(env.get("resources")):
            if okey not in res_by_name:
                out.append(
                    bp.diagnostic(
                        "unknown-resource",
                        f"override for resource {okey!r}, which the tenant does not define",
                        (*base, "resources", okey),
                        key=True,
                        hint=did_you_mean(okey, res_by_name),
                    )
                )
        tier_spec = cat.tiers.get(env_tier or tier or "")
        for cname in cluster_layers(env):
            if cname not in target_clusters:
                where_ = (*base, "clusterOverrides", cname)
                out.append(
                    bp.diagnostic(
                        "unknown-cluster",
                        f"override for cluster {cname!r}, where the tenant does not run in environment {ename!r}"
                        if cname in clusters
                        else f"cluster {cname!r} is not in environment {ename!r}",
                        where_,
                        key=True,
                        hint=did_you_mean(cname, target_clusters)
                        or f"the tenant runs on: {', '.join(target_clusters)}",
                    )
                )
                continue
            layer = cluster_layers(env)[cname]
            for okey in as_dict(layer.get("services")):
                if okey not in svc_by_name:
                    out.append(
                        bp.diagnostic(
                            "unknown-service",
                            f"override for service {okey!r}, which the tenant does not define",
                            (*base, "clusterOverrides", cname, "services", okey),
                            key=True,
                            hint=did_you_mean(okey, svc_by_name),
                        )
                    )
            for okey in as_dict(layer.get("resources")):
                if okey not in res_by_name:
                    out.append(
                        bp.diagnostic(
                            "unknown-resource",
                            f"override for resource {okey!r}, which the tenant does not define",
                            (*base, "clusterOverrides", cname, "resources", okey),
                            key=True,
                            hint=did_you_mean(okey, res_by_name),
                        )
                    )
        # Services as they are in this environment, and on each of its clusters that changes them.
        for si, svc in enumerate(services):
            svc = as_dict(svc)
            sname = as_str(svc.get("name"))
            variants = list(in_environment(svc, si, env, ei))
            changed = {v.cluster for v in variants if v.cluster is not None}
            for v in variants:
                found = _check_service_bounds(bp, v, tier_spec, env_tier or tier)
                found += _check_traffic(bp, v.effective, v.at("traffic"))
                if v.cluster is None:
                    here = {c: d for c, d in target_clusters.items() if c not in changed}
                else:
                    here = {v.cluster: target_clusters[v.cluster]} if v.cluster in target_clusters else {}
                # Deployments, cronjobs and jobs need no Knative: only what their secrets need.
                needs = ([] if v.effective.get("workload") in CORE_WORKLOADS else ["services"]) + (
                    ["secrets"] if _uses_secrets(v.effective) else []
                )
                found += _check_capabilities(bp, needs, here, ("spec", "services", si), f"service {sname!r}")
                out += own(v, found)
        if events:
            out += _check_capabilities(bp, ["events"], target_clusters, ("spec", "events"), "an event subscription")
        for ri, res in enumerate(resources):
            res = as_dict(res)
            rname = as_str(res.get("name"))
            if as_list(res.get("environments")) and ename not in as_list(res.get("environments")):
                continue  # not ordered here
            out += _check_capabilities(
                bp, ["resources"], target_clusters, ("spec", "resources", ri), f"resource {rname!r}"
            )
            off = cat.offerings.get(as_str(res.get("offering")) or "")
            if off is not None:
                providers = {as_str(as_dict(c).get("provider")) for c in as_list(off.get("compositions"))}
                for cname, cluster in target_clusters.items():
                    prov = as_str(cluster.get("provider"))
                    if (
                        "crossplane" in as_list(cluster.get("capabilities"))
                        and prov not in providers
                        and "default" not in providers
                    ):
                        out.append(
                            bp.diagnostic(
                                "offering-provider",
                                f"offering {off.get('name')!r} has no composition for provider {prov!r} of cluster {cname!r}",
                                ("spec", "resources", ri, "offering"),
                                hint="add a composition for that provider (or a 'default' one) to the offering, or limit the tenant's clusters",
                            )
                        )
            okey = rname or ""
            override = as_dict(as_dict(as_dict(env.get("resources")).get(okey)).get("parameters"))
            if override:
                out += _check_offering_params(
                    bp, cat, res, override, (*base, "resources", okey, "parameters"), only_keys=set(override)
                )
            for cname, layer in cluster_layers(env).items():
                override = as_dict(as_dict(as_dict(layer.get("resources")).get(okey)).get("parameters"))
                if override and cname in target_clusters:
                    out += _check_offering_params(
                        bp,
                        cat,
                        res,
                        override,
                        (*base, "clusterOverrides", cname, "resources", okey, "parameters"),
                        only_keys=set(override),
                    )
        all_targets.update(target_clusters)
    # Builds run wherever Tekton is: one cluster of the tenant's is enough.
    for si, svc in enumerate(services):
        if (
            as_dict(svc).get("build")
            and all_targets
            and not any("tekton" in as_list(c.get("capabilities")) for c in all_targets.values())
        ):
            out.append(
                bp.diagnostic(
                    "capability-missing",
                    f"service {as_dict(svc).get('name')!r} has a build, but none of the tenant's clusters has 'tekton'",
                    ("spec", "services", si, "build"),
                    hint="add tekton to a cluster the tenant runs in, or remove the build",
                )
            )
    # Services' own fields.
    for si, svc in enumerate(services):
        svc = as_dict(svc)
        sname = as_str(svc.get("name")) or ""
        if len(sname) + REVISION_SUFFIX > MAX_LABEL:
            out.append(
                bp.diagnostic(
                    "name-too-long",
                    f"service name {sname!r} is too long: Knative revision names add {REVISION_SUFFIX} characters",
                    ("spec", "services", si, "name"),
                    hint=f"use at most {MAX_LABEL - REVISION_SUFFIX} characters",
                )
            )
        build = as_dict(svc.get("build"))
        pipe = as_str(build.get("pipeline"))
        if pipe is not None and pipe not in cat.pipelines:
            out.append(
                bp.diagnostic(
                    "unknown-pipeline",
                    f"pipeline template {pipe!r} is not defined by the platform",
                    ("spec", "services", si, "build", "pipeline"),
                    hint=did_you_mean(pipe, cat.pipelines),
                )
            )
        elif pipe is not None:
            known = {as_str(as_dict(p).get("name")) for p in as_list(cat.pipelines[pipe].get("params"))}
            for pk in as_dict(build.get("params")):
                if pk not in known:
                    out.append(
                        bp.diagnostic(
                            "unknown-parameter",
                            f"pipeline {pipe!r} has no parameter {pk!r}",
                            ("spec", "services", si, "build", "params", pk),
                            key=True,
                            hint=did_you_mean(pk, [k for k in known if k]),
                        )
                    )
    for ri, res in enumerate(resources):
        res = as_dict(res)
        offering = as_str(res.get("offering"))
        if offering is not None and offering not in cat.offerings:
            out.append(
                bp.diagnostic(
                    "unknown-offering",
                    f"offering {offering!r} is not offered by the platform",
                    ("spec", "resources", ri, "offering"),
                    hint=did_you_mean(offering, cat.offerings),
                )
            )
        elif offering is not None:
            out += _check_offering_params(
                bp, cat, res, as_dict(res.get("parameters")), ("spec", "resources", ri, "parameters")
            )
    for vi, event in enumerate(events):
        sub = as_str(as_dict(event).get("subscriber"))
        if sub is not None and sub not in svc_by_name:
            out.append(
                bp.diagnostic(
                    "unknown-service",
                    f"subscriber {sub!r} is not a service of this tenant",
                    ("spec", "events", vi, "subscriber"),
                    hint=did_you_mean(sub, svc_by_name),
                )
            )
    for ni, peer in enumerate(as_list(as_dict(spec.get("network")).get("allowFrom"))):
        if isinstance(peer, str) and peer not in tenant_names:
            out.append(
                bp.diagnostic(
                    "unknown-tenant",
                    f"tenant {peer!r} in allowFrom does not exist",
                    ("spec", "network", "allowFrom", ni),
                    hint=did_you_mean(peer, tenant_names),
                )
            )
        elif peer == name:
            out.append(
                bp.diagnostic(
                    "unknown-tenant",
                    "a tenant need not allow itself: traffic within its namespace is always allowed",
                    ("spec", "network", "allowFrom", ni),
                    hint="remove this entry",
                )
            )
    return out


def _check_offering_params(
    bp: Blueprint,
    cat: Catalog,
    res: dict[str, t.Any],
    params: dict[str, t.Any],
    path: tuple[str | int, ...],
    only_keys: set[str] | None = None,
) -> list[Diagnostic]:
    off = cat.offerings.get(as_str(res.get("offering")) or "")
    if off is None:
        return []
    schema = as_dict(off.get("parameters"))
    out = []
    for key, value in params.items():
        if key not in schema:
            out.append(
                bp.diagnostic(
                    "offering-parameter",
                    f"offering {off.get('name')!r} has no parameter {key!r}",
                    (*path, key),
                    key=True,
                    hint=did_you_mean(key, schema),
                )
            )
            continue
        for msg in param_problems(value, as_dict(schema[key])):
            out.append(
                bp.diagnostic(
                    "offering-parameter",
                    f"parameter {key!r} {msg}",
                    (*path, key),
                    hint=as_dict(schema[key]).get("description"),
                )
            )
    if only_keys is None:
        for key, pschema in schema.items():
            pschema = as_dict(pschema)
            if pschema.get("required") and "default" not in pschema and key not in params:
                out.append(
                    bp.diagnostic(
                        "offering-parameter",
                        f"offering {off.get('name')!r} needs parameter {key!r}",
                        path[:-1],
                        hint=pschema.get("description"),
                    )
                )
    return out


def _uses_secrets(svc: dict[str, t.Any]) -> bool:
    """Whether the service fetches anything from the secret store (secret env vars or secret files)."""
    return bool(as_list(svc.get("secrets"))) or any("secret" in as_dict(v) for v in as_list(svc.get("volumes")))


def _check_service_bounds(
    bp: Blueprint, v: Variant, tier: dict[str, t.Any] | None, tier_name: str | None
) -> list[Diagnostic]:
    if tier is None:
        return []
    svc, env = v.effective, v.environment
    place = f"on cluster {v.cluster!r}" if v.cluster is not None else f"in environment {env!r}"
    out = []
    res = as_dict(svc.get("resources"))
    maxes = as_dict(as_dict(tier.get("container")).get("max"))
    src = v.at("resources")
    for part in ("cpu", "memory"):
        limit = parse_quantity(as_dict(res.get("limits")).get(part))
        request = parse_quantity(as_dict(res.get("requests")).get(part))
        ceiling = parse_quantity(maxes.get(part))
        if limit is not None and ceiling is not None and limit > ceiling:
            out.append(
                bp.diagnostic(
                    "tier-bounds",
                    f"{part} limit {as_dict(res.get('limits')).get(part)} is above tier {tier_name!r}'s maximum of {maxes.get(part)} {place}",
                    (*src, "resources", "limits", part),
                    hint="lower the limit or move the tenant to a larger tier",
                )
            )
        if request is not None and ceiling is not None and request > ceiling:
            out.append(
                bp.diagnostic(
                    "tier-bounds",
                    f"{part} request {as_dict(res.get('requests')).get(part)} is above tier {tier_name!r}'s maximum of {maxes.get(part)} {place}",
                    (*src, "resources", "requests", part),
                    hint="lower the request or move the tenant to a larger tier",
                )
            )
        if request is not None and limit is not None and request > limit:
            out.append(
                bp.diagnostic(
                    "tier-bounds", f"{part} request is above its limit", (*src, "resources", "requests", part)
                )
            )
    scaling = as_dict(svc.get("scaling"))
    src = v.at("scaling")
    mx, mn = scaling.get("max"), scaling.get("min")
    max_replicas = tier.get("maxReplicas")
    if isinstance(mx, int) and isinstance(max_replicas, int) and mx > max_replicas:
        out.append(
            bp.diagnostic(
                "tier-bounds",
                f"scaling.max {mx} is above tier {tier_name!r}'s maxReplicas of {max_replicas} {place}",
                (*src, "scaling", "max"),
                hint="lower scaling.max or move the tenant to a larger tier",
            )
        )
    if isinstance(mn, int) and isinstance(mx, int) and mn > mx:
        out.append(
            bp.diagnostic("tier-bounds", f"scaling.min {mn} is above scaling.max {mx}", (*src, "scaling", "min"))
        )
    parallelism = as_dict(svc.get("job")).get("parallelism")
    if isinstance(parallelism, int) and isinstance(max_replicas, int) and parallelism > max_replicas:
        out.append(
            bp.diagnostic(
                "tier-bounds",
                f"job.parallelism {parallelism} is above tier {tier_name!r}'s maxReplicas of {max_replicas} {place}",
                (*v.at("job"), "job", "parallelism"),
                hint="run fewer pods at once or move the tenant to a larger tier",
            )
        )
    out += _check_scratch(bp, v, tier, tier_name, place)
    return out


def _check_scratch(
    bp: Blueprint, v: Variant, tier: dict[str, t.Any], tier_name: str | None, place: str
) -> list[Diagnostic]:
    """Scratch volumes within the tier's maxScratch; memory-backed ones within the memory limit."""
    out = []
    ceiling = tier.get("maxScratch")
    memory_limit = as_dict(as_dict(v.effective.get("resources")).get("limits")).get("memory")
    if memory_limit is None:
        memory_limit = as_dict(as_dict(tier.get("container")).get("default")).get("memory")
    for i, volume in enumerate(as_list(v.effective.get("volumes"))):
        scratch = as_dict(as_dict(volume).get("scratch"))
        size = scratch.get("sizeLimit")
        if size is None or parse_quantity(size) is None:
            continue
        where = (*v.at("volumes"), "volumes", i, "scratch", "sizeLimit")
        if ceiling is not None and (parse_quantity(ceiling) or 0) < (parse_quantity(size) or 0):
            out.append(
                bp.diagnostic(
                    "tier-bounds",
                    f"scratch volume size {size} is above tier {tier_name!r}'s maxScratch of {ceiling} {place}",
                    where,
                    hint="ask for less scratch space or move the tenant to a larger tier",
                )
            )
        memory = parse_quantity(memory_limit) if scratch.get("memory") is True else None
        if memory is not None and memory < (parse_quantity(size) or 0):
            out.append(
                bp.diagnostic(
                    "tier-bounds",
                    f"memory-backed scratch of {size} is above the container's memory limit of {memory_limit} {place}",
                    where,
                    hint="memory-backed scratch counts against the memory limit: make it smaller, or raise the limit",
                )
            )
    return out


def _check_traffic(bp: Blueprint, svc: dict[str, t.Any], base: tuple[str | int, ...]) -> list[Diagnostic]:
    traffic = as_list(svc.get("traffic"))
    if not traffic:
        return []
    out = []
    total = sum(as_dict(x).get("percent", 0) for x in traffic if isinstance(as_dict(x).get("percent", 0), int))
    if total != 100:
        out.append(
            bp.diagnostic(
                "traffic-sum",
                f"traffic percentages add up to {total}, not 100",
                (*base, "traffic"),
                hint="make the percent values add up to exactly 100",
            )
        )
    tags: set[str] = set()
    latest = 0
    for i, target in enumerate(traffic):
        target = as_dict(target)
        tag = as_str(target.get("tag"))
        if tag in tags:
            out.append(
                bp.diagnostic("duplicate-name", f"traffic tag {tag!r} is used twice", (*base, "traffic", i, "tag"))
            )
        if tag:
            tags.add(tag)
            sname_ = as_str(svc.get("name")) or ""
            if len(tag) + 1 + len(sname_) > MAX_LABEL:
                out.append(
                    bp.diagnostic(
                        "name-too-long",
                        f"traffic tag {tag!r} makes the host label {tag}-{sname_!s} longer than {MAX_LABEL} characters",
                        (*base, "traffic", i, "tag"),
                        hint="Knative serves a tag at <tag>-<service>.<namespace>…: shorten the tag or the service name",
                    )
                )
        if target.get("latestRevision") is True:
            latest += 1
            if latest > 1:
                out.append(
                    bp.diagnostic(
                        "traffic-sum",
                        "more than one target for the latest revision",
                        (*base, "traffic", i),
                        hint="merge them into one",
                    )
                )
        rev = as_str(target.get("revision"))
        sname = as_str(svc.get("name")) or ""
        if rev and not rev.startswith(f"{sname}-"):
            out.append(
                bp.diagnostic(
                    "unknown-revision",
                    f"revision {rev!r} does not belong to service {sname!r}",
                    (*base, "traffic", i, "revision"),
                    hint=f"Knative revision names start with the service name: {sname}-…",
                )
            )
    return out


def _check_capabilities(
    bp: Blueprint, needs: list[str], clusters: dict[str, dict[str, t.Any]], path: tuple[str | int, ...], what: str
) -> list[Diagnostic]:
    out = []
    for cname, cluster in clusters.items():
        caps = {c for c in as_list(cluster.get("capabilities")) if isinstance(c, str)}
        for need in needs:
            cap = CAPABILITY_FOR[need]
            if cap not in caps:
                out.append(
                    bp.diagnostic(
                        "capability-missing",
                        f"{what} needs {cap!r}, which cluster {cname!r} does not have",
                        path,
                        hint=f"add {' and '.join(capability_addons().get(cap, (cap,)))} to the cluster's addons, "
                        "or limit the tenant's environment to clusters that have it",
                    )
                )
    return out
