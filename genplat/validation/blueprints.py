"""Validate stage: each blueprint against its schema, then the checks across files.

Cross-file checks read the data defensively (a value of the wrong type was already reported by the
schema), so one run reports every problem it can find, not just the first.
"""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

from genplat.core.diagnostics import Diagnostic, Severity, sort_diagnostics
from genplat.core.merge import deep_merge
from genplat.core.pem import signing_public_key
from genplat.core.quantity import parse_quantity
from genplat.core.readers import as_dict, as_list, as_str
from genplat.core.suggest import did_you_mean
from genplat.loader.project import Blueprint, Project
from genplat.validation.connections import (
    check_offerings,
    check_platform_builds,
    check_services,
    check_tenant_builds,
)
from genplat.validation.schema import SCHEMA_NAMES, load_schema, validate_blueprint
from genplat.validation.server_rules import check_blueprint as server_rules

RESERVED_NAMES = re.compile(
    r"^(kube-.*|default|flux-system|crossplane-system|tekton-.*|knative-.*|kyverno|cert-manager|genplat-.*)$"
)
MAX_LABEL = 63
# Knative names revisions "<service>-00001" and routes tags as "<tag>-<service>" inside host names.
REVISION_SUFFIX = len("-00001")

# Which capability each tenant feature needs on the clusters it lands on.
CAPABILITY_FOR = {
    "services": "knative-serving",
    "build": "tekton",
    "events": "knative-eventing",
    "resources": "crossplane",
    "secrets": "external-secrets",
}

_SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)", re.I)
# Names that say where a secret is or how it is used, not what it is: TOKEN_URL, SECRET_NAME, API_KEY_HEADER.
_SECRET_POINTER = re.compile(
    r"[_-]?(URL|URI|ENDPOINT|HOST|PATH|FILE|DIR|NAME|HEADER|TTL|TIMEOUT|EXPIRY|LENGTH|TYPE|MODE|ENABLED)$", re.I
)
# A Tekton parameter or context reference, e.g. $(params.token): it names a value, it is not one.
_REFERENCE = re.compile(r"\$\([A-Za-z0-9_.\-\[\]'\"]+\)")
_SECRET_VALUE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}|\bxox[abp]-[A-Za-z0-9-]{10,}"
)


def _by_name(items: list[t.Any]) -> dict[str, dict[str, t.Any]]:
    """Entries by their name; entries without one are left out (a later duplicate wins)."""
    found: dict[str, dict[str, t.Any]] = {}
    for item in items:
        name = as_str(as_dict(item).get("name"))
        if name:
            found[name] = as_dict(item)
    return found


def validate(project: Project) -> list[Diagnostic]:
    """All findings for a loaded project: load, schema and cross-file, sorted by file and line."""
    findings = list(project.diagnostics)
    blueprints = ([project.platform] if project.platform else []) + project.tenants
    for bp in blueprints:
        findings.extend(validate_blueprint(bp))
        schema = SCHEMA_NAMES.get(bp.kind or "")
        if schema:
            findings.extend(server_rules(bp, load_schema(schema), tenant=bp.kind == "Tenant"))
    findings.extend(_inline_secrets_all(blueprints))
    if project.platform is not None:
        findings.extend(_check_platform(project.platform))
        findings.extend(check_offerings(project.platform))
        findings.extend(check_platform_builds(project.platform))
        findings.extend(_check_signing(project.platform, project.root))
        catalog = _Catalog(project.platform)
        names = _tenant_names(project, findings)
        for bp in project.tenants:
            findings.extend(_check_tenant(bp, catalog, names))
            findings.extend(check_services(bp, project.platform, catalog.environments))
            findings.extend(check_tenant_builds(bp, project.platform))
    # An unknown-field finding for a secret value is the same problem as inline-secret: keep the clearer one.
    secret_spots = {(d.file, d.path) for d in findings if d.rule == "inline-secret"}
    findings = [d for d in findings if not (d.rule == "schema-unknown-field" and (d.file, d.path) in secret_spots)]
    # A wrong apiVersion or kind is reported once by the loader (blueprint-*), not again by the schema's const.
    header_spots = {(d.file, d.path) for d in findings if d.rule in ("blueprint-api-version", "blueprint-kind")}
    findings = [d for d in findings if not (d.rule.startswith("schema-") and (d.file, d.path) in header_spots)]
    from genplat.validation import preflight  # guardrails on blueprint values, so validate fails wherever build would

    findings = preflight.tidy(project, [*findings, *preflight.check(project)])
    # A quantity the schema's pattern refuses is reported once, with the server's reading and a hint.
    quantity_spots = {(d.file, d.path) for d in findings if d.rule == "quantity-invalid"}
    findings = [d for d in findings if not (d.rule.startswith("schema-") and (d.file, d.path) in quantity_spots)]
    return sort_diagnostics(_dedupe(findings))


def _dedupe(findings: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[t.Any, ...]] = set()
    out = []
    for d in findings:
        key = (d.file, d.line, d.column, d.rule, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


class _Catalog:
    """What the platform offers, by name."""

    def __init__(self, platform: Blueprint) -> None:
        spec = platform.spec
        self.platform = platform
        self.environments: dict[str, dict[str, dict[str, t.Any]]] = {}
        for env in as_list(spec.get("environments")):
            env = as_dict(env)
            name = as_str(env.get("name"))
            if name:
                self.environments[name] = {
                    as_str(as_dict(c).get("name")) or "": as_dict(c) for c in as_list(env.get("clusters"))
                }
        self.tiers: dict[str, dict[str, t.Any]] = {k: as_dict(v) for k, v in as_dict(spec.get("tiers")).items()}
        self.offerings = _by_name(as_list(spec.get("offerings")))
        self.pipelines = _by_name(as_list(spec.get("pipelines")))
        self.imagepull = bool(as_dict(as_dict(spec.get("secrets")).get("imagePullSecret")))


def _duplicates(bp: Blueprint, items: list[t.Any], base: tuple[str | int, ...], what: str) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    out = []
    for i, item in enumerate(items):
        name = as_str(as_dict(item).get("name"))
        if name is None:
            continue
        if name in seen:
            out.append(
                bp.diagnostic(
                    "duplicate-name",
                    f"{what} {name!r} is defined twice",
                    (*base, i, "name"),
                    hint=f"the first is {base[-1]}[{seen[name]}]; names must be unique",
                )
            )
        else:
            seen[name] = i
    return out


def _check_signing(bp: Blueprint, root: Path) -> list[Diagnostic]:
    """``spec.signing.publicKey`` must be a readable ECDSA P-256 public key (the Flux wiring carries it)."""
    value = as_dict(bp.spec.get("signing")).get("publicKey")
    if not isinstance(value, str) or not value:
        return []
    _, problem = signing_public_key(root, value)
    if problem is None:
        return []
    return [
        bp.diagnostic(
            "signing-key",
            f"signing public key: {problem}",
            ("spec", "signing", "publicKey"),
            hint="make one with `cosign generate-key-pair` and commit cosign.pub (never cosign.key)",
        )
    ]


def _check_platform(bp: Blueprint) -> list[Diagnostic]:
    spec = bp.spec
    out: list[Diagnostic] = []
    envs = as_list(spec.get("environments"))
    out += _duplicates(bp, envs, ("spec", "environments"), "environment")
    cluster_seen: dict[str, tuple[int, int]] = {}
    for ei, env in enumerate(envs):
        clusters = as_list(as_dict(env).get("clusters"))
        for ci, cluster in enumerate(clusters):
            name = as_str(as_dict(cluster).get("name"))
            if name is None:
                continue
            if name in cluster_seen:
                out.append(
                    bp.diagnostic(
                        "duplicate-name",
                        f"cluster {name!r} is defined twice",
                        ("spec", "environments", ei, "clusters", ci, "name"),
                        hint="cluster names are unique across environments: each names a bundle",
                    )
                )
            cluster_seen[name] = (ei, ci)
    offerings = as_list(spec.get("offerings"))
    out += _duplicates(bp, offerings, ("spec", "offerings"), "offering")
    kinds: dict[str, int] = {}
    for oi, off in enumerate(offerings):
        off = as_dict(off)
        key = f"{off.get('kind')}.{off.get('group')}"
        if key in kinds:
            out.append(
                bp.diagnostic(
                    "duplicate-name", f"offering kind {key!r} is used twice", ("spec", "offerings", oi, "kind")
                )
            )
        kinds[key] = oi
        params = as_dict(off.get("parameters"))
        for pname, pschema in params.items():
            pschema = as_dict(pschema)
            if "default" in pschema:
                for msg in _param_problems(pschema["default"], pschema):
                    out.append(
                        bp.diagnostic(
                            "offering-parameter",
                            f"default of parameter {pname!r} {msg}",
                            ("spec", "offerings", oi, "parameters", pname, "default"),
                        )
                    )
        providers: set[str] = set()
        for ci, comp in enumerate(as_list(off.get("compositions"))):
            comp = as_dict(comp)
            prov = as_str(comp.get("provider"))
            if prov in providers:
                out.append(
                    bp.diagnostic(
                        "duplicate-name",
                        f"two compositions for provider {prov!r}",
                        ("spec", "offerings", oi, "compositions", ci, "provider"),
                    )
                )
            providers.add(prov or "")
            res = as_list(comp.get("resources"))
            out += _duplicates(bp, res, ("spec", "offerings", oi, "compositions", ci, "resources"), "composed resource")
            for ri, r in enumerate(res):
                for pi, patch in enumerate(as_list(as_dict(r).get("patches"))):
                    src = as_str(as_dict(patch).get("from"))
                    if src and "." not in src and src not in params:
                        out.append(
                            bp.diagnostic(
                                "unknown-parameter",
                                f"patch reads parameter {src!r}, which the offering does not define",
                                ("spec", "offerings", oi, "compositions", ci, "resources", ri, "patches", pi, "from"),
                                hint=did_you_mean(src, params),
                            )
                        )
    pipelines = as_list(spec.get("pipelines"))
    out += _duplicates(bp, pipelines, ("spec", "pipelines"), "pipeline")
    for pi, pipe in enumerate(pipelines):
        pipe = as_dict(pipe)
        tasks = as_list(pipe.get("tasks"))
        out += _duplicates(bp, tasks, ("spec", "pipelines", pi, "tasks"), "task")
        task_names = [as_str(as_dict(x).get("name")) for x in tasks]
        ws_names = [as_str(as_dict(w).get("name")) for w in as_list(pipe.get("workspaces"))]
        param_names = {"repo-url", "revision", "image"} | {
            as_str(as_dict(p).get("name")) for p in as_list(pipe.get("params"))
        }
        for ti, task in enumerate(tasks):
            task = as_dict(task)
            for ri, after in enumerate(as_list(task.get("runAfter"))):
                if after not in task_names or after == task.get("name"):
                    out.append(
                        bp.diagnostic(
                            "unknown-task",
                            f"runAfter names task {after!r}, which is not an earlier task of this pipeline",
                            ("spec", "pipelines", pi, "tasks", ti, "runAfter", ri),
                            hint=did_you_mean(str(after), [n for n in task_names if n]),
                        )
                    )
            for wk, wv in as_dict(task.get("workspaces")).items():
                if wv not in ws_names:
                    out.append(
                        bp.diagnostic(
                            "unknown-workspace",
                            f"workspace {wv!r} is not a workspace of this pipeline",
                            ("spec", "pipelines", pi, "tasks", ti, "workspaces", wk),
                            hint=did_you_mean(str(wv), [n for n in ws_names if n]),
                        )
                    )
            for pk, pv in as_dict(task.get("params")).items():
                for ref in re.findall(r"\$\(params\.([^)]+)\)", pv if isinstance(pv, str) else ""):
                    if ref not in param_names:
                        out.append(
                            bp.diagnostic(
                                "unknown-parameter",
                                f"$(params.{ref}) is not a parameter of this pipeline",
                                ("spec", "pipelines", pi, "tasks", ti, "params", pk),
                                hint=did_you_mean(ref, [p for p in param_names if p]),
                            )
                        )
    for tname, tier in as_dict(spec.get("tiers")).items():
        tier = as_dict(tier)
        cont = as_dict(tier.get("container"))
        for part in ("cpu", "memory"):
            dr = parse_quantity(as_dict(cont.get("defaultRequest")).get(part))
            df = parse_quantity(as_dict(cont.get("default")).get(part))
            mx = parse_quantity(as_dict(cont.get("max")).get(part))
            if dr is not None and df is not None and dr > df:
                out.append(
                    bp.diagnostic(
                        "tier-bounds",
                        f"tier {tname!r}: default request for {part} is above the default limit",
                        ("spec", "tiers", tname, "container", "defaultRequest", part),
                    )
                )
            if df is not None and mx is not None and df > mx:
                out.append(
                    bp.diagnostic(
                        "tier-bounds",
                        f"tier {tname!r}: default {part} limit is above the maximum",
                        ("spec", "tiers", tname, "container", "default", part),
                    )
                )
    return out


def _param_problems(value: t.Any, schema: dict[str, t.Any]) -> list[str]:
    """Why ``value`` does not fit an offering parameter's schema (empty when it fits)."""
    declared = schema.get("type")
    ptype = declared if isinstance(declared, str) else ""  # a bad type was reported by the schema
    ok_type = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }.get(ptype, True)
    if not ok_type:
        hint = " (put it in quotes)" if ptype == "string" and not isinstance(value, (dict, list)) else ""
        return [f"must be {'an' if ptype == 'integer' else 'a'} {ptype}, got {value!r}{hint}"]
    problems = []
    if "enum" in schema and value not in as_list(schema["enum"]):
        problems.append(f"is {value!r}, expected one of: {', '.join(repr(v) for v in as_list(schema['enum']))}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(schema.get("minimum"), (int, float)) and value < schema["minimum"]:
            problems.append(f"is {value}, below the minimum {schema['minimum']}")
        if isinstance(schema.get("maximum"), (int, float)) and value > schema["maximum"]:
            problems.append(f"is {value}, above the maximum {schema['maximum']}")
    if isinstance(value, str) and isinstance(schema.get("pattern"), str):
        try:
            if not re.search(schema["pattern"], value):
                problems.append(f"is {value!r}, which does not match {schema['pattern']!r}")
        except re.error:
            problems.append(f"cannot be checked: pattern {schema['pattern']!r} is not a valid regular expression")
    return problems


def _tenant_names(project: Project, findings: list[Diagnostic]) -> set[str]:
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


def _check_tenant(bp: Blueprint, cat: _Catalog, tenant_names: set[str]) -> list[Diagnostic]:
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
    out += _duplicates(bp, services, ("spec", "services"), "service")
    out += _duplicates(bp, resources, ("spec", "resources"), "resource")
    out += _duplicates(bp, events, ("spec", "events"), "event subscription")
    svc_by_name = _by_name(services)
    res_by_name = _by_name(resources)

    envs = as_list(spec.get("environments"))
    out += _duplicates(bp, envs, ("spec", "environments"), "environment")
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
                        hint=did_you_mean(str(cname), clusters),
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
        # Services as they are in this environment.
        for si, svc in enumerate(services):
            svc = as_dict(svc)
            sname = as_str(svc.get("name"))
            okey = sname or ""  # the override's key: a nameless service can only match "" (a None in a path crashed)
            override = as_dict(as_dict(env.get("services")).get(okey))
            effective = deep_merge(svc, override)
            where = (*base, "services", okey) if override else ("spec", "services", si)
            out += _check_service_bounds(
                bp, effective, tier_spec, env_tier or tier, ename, ("spec", "services", si), where, override
            )
            out += _check_traffic(
                bp, effective, ("spec", "services", si) if "traffic" not in override else (*base, "services", okey)
            )
            # A Deployment workload needs no Knative: only what its secrets need.
            needs = ([] if effective.get("workload") == "deployment" else ["services"]) + (
                ["secrets"] if svc.get("secrets") else []
            )
            out += _check_capabilities(bp, needs, target_clusters, ("spec", "services", si), f"service {sname!r}")
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
    cat: _Catalog,
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
        for msg in _param_problems(value, as_dict(schema[key])):
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


def _check_service_bounds(
    bp: Blueprint,
    svc: dict[str, t.Any],
    tier: dict[str, t.Any] | None,
    tier_name: str | None,
    env: str,
    base: tuple[str | int, ...],
    where: tuple[str | int, ...],
    override: dict[str, t.Any],
) -> list[Diagnostic]:
    if tier is None:
        return []
    out = []
    res = as_dict(svc.get("resources"))
    maxes = as_dict(as_dict(tier.get("container")).get("max"))
    for part in ("cpu", "memory"):
        limit = parse_quantity(as_dict(res.get("limits")).get(part))
        request = parse_quantity(as_dict(res.get("requests")).get(part))
        ceiling = parse_quantity(maxes.get(part))
        src = where if "resources" in override else base
        if limit is not None and ceiling is not None and limit > ceiling:
            out.append(
                bp.diagnostic(
                    "tier-bounds",
                    f"{part} limit {as_dict(res.get('limits')).get(part)} is above tier {tier_name!r}'s maximum of {maxes.get(part)} in environment {env!r}",
                    (*src, "resources", "limits", part),
                    hint="lower the limit or move the tenant to a larger tier",
                )
            )
        if request is not None and ceiling is not None and request > ceiling:
            out.append(
                bp.diagnostic(
                    "tier-bounds",
                    f"{part} request {as_dict(res.get('requests')).get(part)} is above tier {tier_name!r}'s maximum of {maxes.get(part)} in environment {env!r}",
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
    src = where if "scaling" in override else base
    mx, mn = scaling.get("max"), scaling.get("min")
    max_replicas = tier.get("maxReplicas")
    if isinstance(mx, int) and isinstance(max_replicas, int) and mx > max_replicas:
        out.append(
            bp.diagnostic(
                "tier-bounds",
                f"scaling.max {mx} is above tier {tier_name!r}'s maxReplicas of {max_replicas} in environment {env!r}",
                (*src, "scaling", "max"),
                hint="lower scaling.max or move the tenant to a larger tier",
            )
        )
    if isinstance(mn, int) and isinstance(mx, int) and mn > mx:
        out.append(
            bp.diagnostic("tier-bounds", f"scaling.min {mn} is above scaling.max {mx}", (*src, "scaling", "min"))
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
                        hint=f"add {cap} to the cluster's capabilities, or limit the tenant's environment to clusters that have it",
                    )
                )
    return out


def _inline_secrets_all(blueprints: list[Blueprint]) -> list[Diagnostic]:
    out = []
    for bp in blueprints:
        out += _inline_secrets(bp, bp.data, ())
    return out


def _inline_secrets(bp: Blueprint, node: t.Any, path: tuple[str | int, ...]) -> list[Diagnostic]:
    """Secret values never belong in blueprints: only references do."""
    out: list[Diagnostic] = []
    if isinstance(node, dict):
        in_secret_list = len(path) >= 2 and path[-2] == "secrets" and isinstance(path[-1], int)
        for key, value in node.items():
            here = (*path, key)
            if in_secret_list and key in ("value", "stringData", "data"):
                out.append(
                    bp.diagnostic(
                        "inline-secret",
                        "a secret reference holds a value; only a reference (key, property) is allowed",
                        here,
                        key=True,
                        hint="store the value in the secret store and give its key",
                    )
                )
                continue
            if (
                len(path) >= 1
                and path[-1] in ("env", "parameters", "params")
                and isinstance(key, str)
                and _SECRET_NAME.search(key)
                and not _SECRET_POINTER.search(key)
                and isinstance(value, str)
                and value
                and not _REFERENCE.fullmatch(value)
            ):
                out.append(
                    bp.diagnostic(
                        "inline-secret",
                        f"{key!r} looks like a secret written inline",
                        here,
                        hint="put the value in the secret store and reference it under services[].secrets",
                    )
                )
                continue
            out += _inline_secrets(bp, value, here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out += _inline_secrets(bp, item, (*path, i))
    elif isinstance(node, str) and _SECRET_VALUE.search(node):
        out.append(
            Diagnostic(
                rule="inline-secret",
                message="this value looks like a private key or access token",
                severity=Severity.ERROR,
                **_where(bp, path),
                hint="secret values never belong in blueprints: use a secret reference",
            )
        )
    return out


def _where(bp: Blueprint, path: tuple[str | int, ...]) -> dict[str, t.Any]:
    o = bp.origin(path)
    return {"file": o.file, "line": o.line, "column": o.column, "path": o.path}
