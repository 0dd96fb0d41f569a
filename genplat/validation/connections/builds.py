"""Builds: sizes within the platform's ceiling, and push credentials of the tenant's own."""

from __future__ import annotations

import re
import typing as t

from genplat.core.diagnostics import Diagnostic
from genplat.core.quantity import parse_quantity
from genplat.core.readers import as_dict, as_list, as_str, by_name
from genplat.loader.project import Blueprint

Path = tuple[str | int, ...]
PARTS = ("defaultRequest", "default", "max")


def pushes(template: dict[str, t.Any]) -> bool:
    """Whether a template has a workspace for registry push credentials (see genplat.rendering.builds)."""
    for w in as_list(template.get("workspaces")):
        w = as_dict(w)
        purpose = as_str(w.get("purpose")) or (
            "push-credentials" if re.search(r"docker|registry", as_str(w.get("name")) or "") else "shared"
        )
        if purpose == "push-credentials":
            return True
    return False


def _over(value: t.Any, ceiling: t.Any) -> bool:
    v, c = parse_quantity(value), parse_quantity(ceiling)
    return v is not None and c is not None and v > c


def _within(
    bp: Blueprint, res: dict[str, t.Any], ceiling: dict[str, t.Any], where: Path, what: str, hint: str
) -> list[Diagnostic]:
    out = []
    cquota = as_dict(ceiling.get("quota"))
    for key, value in as_dict(res.get("quota")).items():
        if key in cquota and _over(value, cquota[key]):
            out.append(
                bp.diagnostic(
                    "build-bounds",
                    f"{what} build quota {key} {value} is above the platform's ceiling of {cquota[key]}",
                    (*where, "quota", key),
                    hint=hint,
                )
            )
    ccont = as_dict(ceiling.get("container"))
    for part in PARTS:
        for key, value in as_dict(as_dict(res.get("container")).get(part)).items():
            if key in ccont and _over(value, ccont[key]):
                out.append(
                    bp.diagnostic(
                        "build-bounds",
                        f"{what} build container {part} {key} {value} is above the platform's ceiling of {ccont[key]}",
                        (*where, "container", part, key),
                        hint=hint,
                    )
                )
    if "workspace" in res and "workspace" in ceiling and _over(res["workspace"], ceiling["workspace"]):
        out.append(
            bp.diagnostic(
                "build-bounds",
                f"{what} workspace size {res['workspace']} is above the platform's ceiling of {ceiling['workspace']}",
                (*where, "workspace"),
                hint=hint,
            )
        )
    return out


def _ordered(bp: Blueprint, container: dict[str, t.Any], where: Path) -> list[Diagnostic]:
    out = []
    for low, high in (("defaultRequest", "default"), ("default", "max")):
        for key, value in as_dict(container.get(low)).items():
            top = as_dict(container.get(high)).get(key)
            if top is not None and _over(value, top):
                out.append(
                    bp.diagnostic(
                        "build-bounds",
                        f"build container {low} {key} {value} is above its {high} of {top}",
                        (*where, "container", low, key),
                        hint=f"keep {low} ≤ {high}",
                    )
                )
    return out


def check_platform_builds(bp: Blueprint) -> list[Diagnostic]:
    ceiling = as_dict(as_dict(bp.spec.get("builds")).get("ceiling"))
    out: list[Diagnostic] = []
    for pi, pipe in enumerate(as_list(bp.spec.get("pipelines"))):
        res = as_dict(as_dict(pipe).get("resources"))
        where: Path = ("spec", "pipelines", pi, "resources")
        out += _ordered(bp, as_dict(res.get("container")), where)
        out += _within(
            bp,
            res,
            ceiling,
            where,
            f"template {as_dict(pipe).get('name')!r}:",
            "lower it, or raise spec.builds.ceiling",
        )
    return out


def check_tenant_builds(bp: Blueprint, platform: Blueprint) -> list[Diagnostic]:
    spec = bp.spec
    builds = as_dict(spec.get("builds"))
    ceiling = as_dict(as_dict(platform.spec.get("builds")).get("ceiling"))
    pipelines = by_name(platform.spec.get("pipelines"))
    out = _within(
        bp, builds, ceiling, ("spec", "builds"), "the tenant's", "stay within the platform's spec.builds.ceiling"
    )
    tenant_push = bool(as_dict(builds.get("pushSecret")))
    for si, svc in enumerate(as_list(spec.get("services"))):
        build = as_dict(as_dict(svc).get("build"))
        template = pipelines.get(as_str(build.get("pipeline")) or "")
        if template is None or not pushes(template):
            continue
        if not tenant_push and not as_dict(build.get("pushSecret")):
            out.append(
                bp.diagnostic(
                    "build-push-secret",
                    f"pipeline {template.get('name')!r} pushes an image, but service {as_dict(svc).get('name')!r} has no push credentials",
                    ("spec", "services", si, "build"),
                    hint="name the tenant's registry push secret in the secret store: spec.builds.pushSecret: {key: …} "
                    "(or build.pushSecret for this service); the platform's pull secret is not for pushing",
                )
            )
    return out
