"""No privileged containers.

``securityContext.privileged: true`` gives a container every capability and the host's devices. Checked
in every pod template: Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs,
PodTemplates, Knative Services/Configurations/Revisions, Tekton Task steps and any other kind with a
``spec.template.spec`` pod spec. Applies to every object (platform components that truly need it can
have the rule switched off with a reason).
"""

from __future__ import annotations

import typing as t

from ..._diagnostics import Severity
from ._context import Finding, View

ID = "guardrail/privileged"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def check(view: View) -> t.Iterator[Finding]:
    for w in view.workloads:
        ro = w.ro
        for path, c, _pod_sc in w.containers:
            sc = c.get("securityContext")
            if isinstance(sc, dict) and sc.get("privileged") is True:
                yield Finding(ro, f"container {c.get('name')!r} runs privileged", path + ("securityContext", "privileged"),
                              "drop privileged; grant only the capabilities the container needs")
