"""Run a rule of the guardrail rule model (:mod:`genplat.policy`) as a gate rule.

The admission policies match the kinds listed in :mod:`genplat.policy.workloads`; the gate is broader:
any other kind with a pod template at ``spec.template.spec`` (Argo Rollouts, …) or a job template at
``spec.jobTemplate.spec.template.spec`` (KEDA ScaledJobs, …) is checked as a Deployment or CronJob.
"""

from __future__ import annotations

import typing as t

from genplat.policy import RULES, PolicySettings
from genplat.policy.workloads import PathT, is_target
from genplat.checks.guardrails._context import Finding, View

_SHIMS: tuple[tuple[PathT, str, str], ...] = (
    (("spec", "template", "spec"), "apps/v1", "Deployment"),
    (("spec", "jobTemplate", "spec", "template", "spec"), "batch/v1", "CronJob"),
)


def as_model(obj: dict[str, t.Any]) -> dict[str, t.Any] | None:
    """The object as the rule model walks it: itself, a stand-in of a known kind, or None (no pods)."""
    if is_target(obj):
        return obj
    for path, api, kind in _SHIMS:
        node: t.Any = obj
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get("containers"), list):
            return {**obj, "apiVersion": api, "kind": kind}
    return None


def settings(view: View) -> PolicySettings:
    ctx = view.context
    if ctx is None:
        return PolicySettings()
    return PolicySettings(allowed_registries=ctx.allowed_registries, platform_images=ctx.platform_images,
                          required_labels=ctx.required_labels)


def run(view: View, rule_id: str, hint: str, *, tenants_only: bool) -> t.Iterator[Finding]:
    rule = RULES[rule_id]
    s = settings(view)
    build = view.context.build_namespaces if view.context is not None else frozenset()
    for ro in view.objects:
        if not isinstance(ro.obj, dict) or (tenants_only and not view.tenant_owned(ro)):
            continue
        obj = as_model(ro.obj)
        if obj is None:
            continue
        for path, message in rule.check(obj, s, ro.namespace in build):
            yield Finding(ro, message, path, hint)
