"""No privileged containers.

``securityContext.privileged: true`` gives a container every capability and the host's devices. Checked
on ``containers``, ``initContainers`` and ``ephemeralContainers`` of every pod template: Pods,
Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs,
PodTemplates, Knative Services/Configurations/Revisions, Tekton Triggers EventListeners, any other kind
with a ``spec.template.spec`` pod spec; and on the steps, sidecars and step templates of Tekton Tasks,
TaskRuns, Pipelines, PipelineRuns (embedded task specs) and StepActions. Applies to every object
(platform components that truly need it can have the rule switched off with a reason).
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails import _admission
from genplat.checks.guardrails._context import Finding, View
from genplat.core.diagnostics import Severity

ID = "guardrail/privileged"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def check(view: View) -> t.Iterator[Finding]:
    yield from _admission.run(
        view, ID, "drop privileged; grant only the capabilities the container needs", tenants_only=False
    )
