"""No pod shares the host's network, PID or IPC namespace.

``hostNetwork``, ``hostPID`` and ``hostIPC`` let a pod see and reach the node's processes and traffic.
Checked in every pod template (see ``guardrail/privileged`` for the kinds covered) and in the pod
templates of Tekton TaskRuns and PipelineRuns (``hostNetwork``).
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails import _admission
from genplat.checks.guardrails._context import Finding, View
from genplat.core.diagnostics import Severity

ID = "guardrail/host-namespaces"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def check(view: View) -> t.Iterator[Finding]:
    yield from _admission.run(view, ID, "remove it (or set it to false)", tenants_only=False)
