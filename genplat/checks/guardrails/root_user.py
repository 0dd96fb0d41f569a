"""No container runs as root by declaration: ``runAsUser: 0`` or ``runAsNonRoot: false``.

The container's own ``securityContext`` wins over the pod's, as in Kubernetes. Leaving both unset is not
flagged here (Pod Security ``restricted`` refuses such pods at admission). Checked in every pod template
(see ``guardrail/privileged`` for the kinds covered).
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails._context import Finding, View
from genplat.core.diagnostics import Severity
from genplat.policy.workloads import as_model, entries, pod_security_context

ID = "guardrail/root-user"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def check(view: View) -> t.Iterator[Finding]:
    for ro in view.objects:
        obj = as_model(ro.obj) if isinstance(ro.obj, dict) else None
        if obj is None:
            continue
        pod_sc = pod_security_context(obj)
        for e in entries(obj):
            found = e.container.get("securityContext")
            sc: dict[str, t.Any] = found if isinstance(found, dict) else {}
            name = e.container.get("name")
            for field, bad, text in (
                ("runAsUser", 0, "runs as user 0 (root)"),
                ("runAsNonRoot", False, "allows root (runAsNonRoot: false)"),
            ):
                if field in sc:
                    if sc[field] == bad and type(sc[field]) is type(bad):
                        yield Finding(
                            ro,
                            f"container {name!r} {text}",
                            e.path + ("securityContext", field),
                            "run as a non-root user (runAsNonRoot: true, runAsUser > 0)",
                        )
                elif e.in_pod_spec and pod_sc.get(field) == bad and type(pod_sc.get(field)) is type(bad):
                    yield Finding(
                        ro,
                        f"container {name!r} {text} (from the pod's securityContext)",
                        e.path[:-2] + ("securityContext", field),
                        "run as a non-root user (runAsNonRoot: true, runAsUser > 0)",
                    )
