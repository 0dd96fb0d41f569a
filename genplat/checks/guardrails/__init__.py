"""The tenant guardrail gate: one module per rule, registered in :data:`RULES` by stable id.

Every rule module has ``ID`` (``guardrail/<name>``), ``SEVERITY``, ``NEEDS_BLUEPRINT`` (True when it
needs the platform's tenancy facts and so only runs with blueprints) and ``check(view)`` yielding
:class:`Finding` s; its docstring is the rule's documentation (``docs/checks.md`` is generated from it).
A platform can switch a rule off with a reason (``GuardrailContext.disabled``): the rule does not run and
the report says so as an info diagnostic.
"""

from __future__ import annotations

import types
import typing as t

from genplat.checks.guardrails import (
    container_resources,
    host_namespaces,
    image_registry,
    image_tag,
    namespace_default_deny,
    namespace_limitrange,
    namespace_pod_security,
    namespace_quota,
    pod_labels,
    privileged,
    rbac_cluster_admin,
    rbac_wildcard,
    root_user,
    secret_data,
    tenant_namespace,
)
from genplat.checks.guardrails._context import (
    POD_SECURITY_LEVELS,
    POD_SECURITY_MODES,
    Finding,
    GuardrailContext,
    View,
)
from genplat.core.diagnostics import Severity
from genplat.core.objects import RenderedObject

RULES: dict[str, types.ModuleType] = {
    m.ID: m
    for m in (
        namespace_quota,
        namespace_limitrange,
        namespace_default_deny,
        namespace_pod_security,
        pod_labels,
        rbac_cluster_admin,
        rbac_wildcard,
        privileged,
        host_namespaces,
        root_user,
        image_registry,
        image_tag,
        container_resources,
        secret_data,
        tenant_namespace,
    )
}

__all__ = [
    "POD_SECURITY_LEVELS",
    "POD_SECURITY_MODES",
    "RULES",
    "Finding",
    "GuardrailContext",
    "View",
    "run_guardrails",
]


def run_guardrails(
    objects: t.Sequence[RenderedObject],
    context: GuardrailContext | None,
    *,
    cluster_scoped: t.Callable[[str, str], bool] = lambda api_version, kind: False,
    report_disabled: bool = True,
) -> list[tuple[str, Severity, Finding]]:
    """Run every enabled rule. ``context`` None means plain ``genplat check``: blueprint-free rules only.

    Returns (rule id, severity, finding); a disabled rule yields one info finding carrying its reason, and
    an unknown id in ``disabled`` a warning (a typo there must not silently keep a rule on).
    """
    view = View(objects, context, cluster_scoped)
    out: list[tuple[str, Severity, Finding]] = []
    disabled = dict(context.disabled) if context is not None else {}
    if context is not None and not context.allowed_registries:
        disabled.setdefault(image_registry.ID, "no allowed registries are configured (policies.allowedRegistries)")
    for rule_id in sorted(set(disabled) - set(RULES)) if report_disabled else ():
        out.append(
            (
                "guardrail/unknown-rule",
                Severity.WARNING,
                Finding(
                    None,
                    f"cannot disable unknown guardrail rule {rule_id!r}",
                    (),
                    f"known rules: {', '.join(sorted(RULES))}",
                    "Platform",
                ),
            )
        )
    for rule_id, module in RULES.items():
        if rule_id in disabled:
            if report_disabled:
                out.append(
                    (
                        rule_id,
                        Severity.INFO,
                        Finding(None, f"rule disabled for this platform: {disabled[rule_id]}", (), None, "Platform"),
                    )
                )
            continue
        if module.NEEDS_BLUEPRINT and context is None:
            continue
        for finding in module.check(view):
            out.append((rule_id, finding.severity or module.SEVERITY, finding))
    return out
