"""No tenant RoleBinding or ClusterRoleBinding grants ``cluster-admin``.

A binding to the ``cluster-admin`` ClusterRole hands a tenant the whole cluster. With blueprints this
applies to objects from tenant blueprints and objects in tenant namespaces; in plain ``genplat check``
(no way to tell tenant from platform) it applies to every binding.
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails._context import Finding, View
from genplat.core.diagnostics import Severity

ID = "guardrail/rbac-cluster-admin"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def check(view: View) -> t.Iterator[Finding]:
    for ro in view.kinds("RoleBinding", "ClusterRoleBinding"):
        if not ro.api_version.startswith("rbac.authorization.k8s.io/") or not view.tenant_owned(ro):
            continue
        ref = ro.obj.get("roleRef")
        if isinstance(ref, dict) and ref.get("kind") == "ClusterRole" and ref.get("name") == "cluster-admin":
            yield Finding(
                ro,
                f"{ro.kind} grants cluster-admin",
                ("roleRef", "name"),
                "bind a namespaced Role (or the built-in 'edit'/'view' ClusterRole) instead",
            )
