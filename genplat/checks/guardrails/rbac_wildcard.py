"""No tenant Role or ClusterRole uses wildcard verbs or resources, and no tenant binding points at one.

``verbs: ["*"]`` or ``resources: ["*"]`` grants whatever exists now and whatever a future CRD adds.
Roles are checked where they are tenant objects; bindings are checked where they are tenant objects and
point at a Role or ClusterRole (from anywhere in the output) with such a rule. Without blueprints every
Role, ClusterRole and binding counts.
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails._context import Finding, PathT, View
from genplat.core.diagnostics import Severity
from genplat.core.objects import RenderedObject

ID = "guardrail/rbac-wildcard"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False

_RBAC = "rbac.authorization.k8s.io/"


def _wildcard(role: RenderedObject) -> PathT | None:
    for i, rule in enumerate(role.obj.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        for field in ("verbs", "resources"):
            values = rule.get(field)
            if isinstance(values, list) and "*" in values:
                return ("rules", i, field)
    return None


def check(view: View) -> t.Iterator[Finding]:
    roles: dict[tuple[str, str | None, str], RenderedObject] = {}
    for ro in view.kinds("Role", "ClusterRole"):
        if not ro.api_version.startswith(_RBAC):
            continue
        roles[(ro.kind, ro.namespace if ro.kind == "Role" else None, ro.name)] = ro
        path = _wildcard(ro)
        if path is not None and view.tenant_owned(ro):
            yield Finding(
                ro, f"{ro.kind} grants '*' in {path[-1]}", path, "list the verbs and resources the tenant needs"
            )
    for ro in view.kinds("RoleBinding", "ClusterRoleBinding"):
        if not ro.api_version.startswith(_RBAC) or not view.tenant_owned(ro):
            continue
        ref = ro.obj.get("roleRef")
        if not isinstance(ref, dict):
            continue
        kind, name = ref.get("kind"), ref.get("name")
        target = roles.get((str(kind), ro.namespace if kind == "Role" else None, str(name)))
        if target is not None and (path := _wildcard(target)) is not None:
            yield Finding(
                ro,
                f"{ro.kind} binds {kind} {name!r}, which grants '*' in {path[-1]}",
                ("roleRef", "name"),
                "bind a role that lists the verbs and resources the tenant needs",
            )
