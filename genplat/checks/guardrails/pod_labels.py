"""Every tenant pod carries the labels the platform requires (``policies.requiredLabels``), each with a
value (an empty value counts as missing, as in Kyverno's require-labels sample).

Checked where a pod's labels come from: a Pod's, Revision's, TaskRun's and PipelineRun's own labels
(Tekton copies them to its pods), the pod template's labels of the other kinds listed under
``guardrail/privileged``, and an EventListener's labels together with its ``kubernetesResource``
template's. Needs the blueprints (the list lives there).
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails import _admission
from genplat.checks.guardrails._context import Finding, View
from genplat.core.diagnostics import Severity

ID = "guardrail/pod-labels"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def check(view: View) -> t.Iterator[Finding]:
    if view.context is None or not view.context.required_labels:
        return
    yield from _admission.run(
        view, ID, "add them to the service's labels, or to the tenant's labels", tenants_only=True
    )
