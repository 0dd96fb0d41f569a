"""Run a rule of the guardrail rule model (:mod:`genplat.policy`) as a gate rule.

The admission policies match the kinds listed in :mod:`genplat.policy.workloads`; the gate is broader:
any other kind with a pod or job template is checked as a Deployment or CronJob (``as_model``).
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails._context import Finding, View
from genplat.policy import RULES, PolicySettings
from genplat.policy.workloads import as_model


def settings(view: View) -> PolicySettings:
    ctx = view.context
    if ctx is None:
        return PolicySettings()
    return PolicySettings(
        allowed_registries=ctx.allowed_registries,
        platform_images=ctx.platform_images,
        required_labels=ctx.required_labels,
    )


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
