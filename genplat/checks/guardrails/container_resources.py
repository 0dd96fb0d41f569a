"""Every tenant container has CPU and memory requests and limits (``policies.requireLimits``).

Checked on the containers and init containers of tenant pod templates (the kinds listed under
``guardrail/privileged``; ephemeral containers cannot have resources) and on an EventListener's sink
(Tekton Triggers sizes it only from ``spec.resources.kubernetesResource.spec.template.spec.containers[0]``).
The tenant namespace's LimitRange fills in Pods that lack them, but not the templates of Deployments
and other controllers, which admission checks as well; Tekton task steps are left to the LimitRange
(Tekton applies it to every step). Needs the blueprints.
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails import _admission
from genplat.checks.guardrails._context import Finding, View
from genplat.core.diagnostics import Severity

ID = "guardrail/container-resources"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def check(view: View) -> t.Iterator[Finding]:
    yield from _admission.run(
        view, ID, "set resources.requests and resources.limits for cpu and memory", tenants_only=True
    )
