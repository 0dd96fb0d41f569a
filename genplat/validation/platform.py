"""Validate stage: the platform blueprint's own cross-field checks (environments and clusters, tiers,
offerings' parameter schemas and defaults, pipeline templates, the signing key)."""

from __future__ import annotations

import re
from pathlib import Path

from genplat.core.diagnostics import Diagnostic
from genplat.core.pem import signing_public_key
from genplat.core.quantity import parse_quantity
from genplat.core.readers import as_dict, as_list, as_str
from genplat.core.suggest import did_you_mean
from genplat.loader.project import Blueprint
from genplat.validation.catalog import duplicates, param_problems


def check_signing(bp: Blueprint, root: Path) -> list[Diagnostic]:
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


def check_platform(bp: Blueprint) -> list[Diagnostic]:
    spec = bp.spec
    out: list[Diagnostic] = []
    envs = as_list(spec.get("environments"))
    out += duplicates(bp, envs, ("spec", "environments"), "environment")
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
    out += duplicates(bp, offerings, ("spec", "offerings"), "offering")
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
                for msg in param_problems(pschema["default"], pschema):
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
            out += duplicates(bp, res, ("spec", "offerings", oi, "compositions", ci, "resources"), "composed resource")
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
    out += duplicates(bp, pipelines, ("spec", "pipelines"), "pipeline")
    for pi, pipe in enumerate(pipelines):
        pipe = as_dict(pipe)
        tasks = as_list(pipe.get("tasks"))
        out += duplicates(bp, tasks, ("spec", "pipelines", pi, "tasks"), "task")
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
