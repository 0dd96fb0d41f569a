"""Every tenant namespace carries the Pod Security labels the platform requires.

For each mode the platform sets (``enforce``, ``audit``, ``warn``) the Namespace must have
``pod-security.kubernetes.io/<mode>: <level>`` at that level or a stricter one
(privileged < baseline < restricted); a namespace the platform set apart (a tenant's build
namespace, at its pipeline template's level) is held to the levels chosen for it. A tenant namespace with no ``Namespace`` object in the output
is reported too: its labels cannot be checked. Needs the blueprints.
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails._context import POD_SECURITY_LEVELS, Finding, View
from genplat.core.diagnostics import Severity

ID = "guardrail/namespace-pod-security"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def check(view: View) -> t.Iterator[Finding]:
    ctx = view.context
    if ctx is None:
        return
    for tenant, ns in view.tenant_namespaces():
        obj = view.namespace_object(ns)
        if obj is None:
            yield Finding(
                view.anchor(ns),
                f"tenant {tenant!r} namespace {ns!r} has no Namespace object in the output, "
                "so its Pod Security labels cannot be checked",
                (),
                "let genplat render the tenant's Namespace",
                f"Namespace/{ns}",
            )
            continue
        labels = (obj.obj.get("metadata") or {}).get("labels") or {}
        for mode, level in sorted((ctx.namespace_pod_security.get(ns) or ctx.pod_security).items()):
            key = f"pod-security.kubernetes.io/{mode}"
            have = labels.get(key) if isinstance(labels, dict) else None
            if have is None:
                yield Finding(obj, f"namespace {ns!r} lacks label {key}", ("metadata", "labels"), f"set {key}: {level}")
            elif have not in POD_SECURITY_LEVELS or (
                level in POD_SECURITY_LEVELS and POD_SECURITY_LEVELS.index(have) < POD_SECURITY_LEVELS.index(level)
            ):
                yield Finding(
                    obj,
                    f"namespace {ns!r} has {key}: {have}, weaker than the required {level}",
                    ("metadata", "labels", key),
                    f"set {key}: {level}",
                )
