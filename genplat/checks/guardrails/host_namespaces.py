"""No pod shares the host's network, PID or IPC namespace.

``hostNetwork``, ``hostPID`` and ``hostIPC`` let a pod see and reach the node's processes and traffic.
Checked in every pod template (see ``guardrail/privileged`` for the kinds covered).
"""

from __future__ import annotations

import typing as t

from ..._diagnostics import Severity
from ._context import Finding, View

ID = "guardrail/host-namespaces"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def check(view: View) -> t.Iterator[Finding]:
    for w in view.workloads:
        ro = w.ro
        for path, spec in w.pod_specs:
            for field in ("hostNetwork", "hostPID", "hostIPC"):
                if spec.get(field) is True:
                    yield Finding(ro, f"pod uses {field}", path + (field,), f"remove {field}: true")
