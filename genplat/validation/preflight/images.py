"""Tenant service images, as the gate's ``guardrail/image-tag`` and ``guardrail/image-registry`` judge them."""

from __future__ import annotations

import typing as t

from genplat.core.diagnostics import Diagnostic
from genplat.core.readers import as_list
from genplat.policy.rules import IMAGE_REGISTRY, IMAGE_TAG, from_allowed_registry, unpinned

if t.TYPE_CHECKING:
    from genplat.loader.project import Blueprint, Project

_SWITCHES = {IMAGE_TAG: "forbidLatest"}


def disabled(platform: Blueprint) -> set[str]:
    """The gate rules the platform switches off (``forbidLatest: false``, ``policies.guardrails.disabled``)."""
    policies = platform.spec.get("policies")
    policies = policies if isinstance(policies, dict) else {}
    off = {rule for rule, switch in _SWITCHES.items() if policies.get(switch) is False}
    guardrails = policies.get("guardrails")
    for entry in (guardrails.get("disabled") if isinstance(guardrails, dict) else None) or []:
        if isinstance(entry, dict) and isinstance(entry.get("rule"), str):
            off.add(entry["rule"])
    return off


def _images(bp: Blueprint) -> t.Iterator[tuple[str, tuple[str | int, ...]]]:
    """Every image value of a tenant: its services' and the environments' overrides, with their paths."""
    for i, svc in enumerate(as_list(bp.spec.get("services"))):
        if isinstance(svc, dict) and isinstance(svc.get("image"), str) and svc["image"]:
            yield svc["image"], ("spec", "services", i, "image")
    for j, env in enumerate(as_list(bp.spec.get("environments"))):  # a wrong type: the schema says so
        overrides = env.get("services") if isinstance(env, dict) else None
        for name, svc in overrides.items() if isinstance(overrides, dict) else ():
            if isinstance(svc, dict) and isinstance(svc.get("image"), str) and svc["image"]:
                yield svc["image"], ("spec", "environments", j, "services", name, "image")


def check(project: Project) -> list[Diagnostic]:
    assert project.platform is not None
    off = disabled(project.platform)
    policies = project.platform.spec.get("policies")
    raw = policies.get("allowedRegistries") if isinstance(policies, dict) else None
    registries = [r for r in raw if isinstance(r, str)] if isinstance(raw, list) else []
    out: list[Diagnostic] = []
    for bp in project.tenants:
        for image, path in _images(bp):
            problem = unpinned(image) if IMAGE_TAG not in off else None
            if problem:
                out.append(
                    bp.diagnostic(
                        IMAGE_TAG,
                        f"image {image!r} {problem}",
                        path,
                        hint="pin a version tag or a digest (image@sha256:…)",
                    )
                )
            if registries and IMAGE_REGISTRY not in off and not from_allowed_registry(image, registries):
                out.append(
                    bp.diagnostic(
                        IMAGE_REGISTRY,
                        f"image {image!r} is not from an allowed registry",
                        path,
                        hint=f"allowed: {', '.join(registries)} (policies.allowedRegistries)",
                    )
                )
    return out
