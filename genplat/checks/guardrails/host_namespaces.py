"""No pod shares the host's network, PID or IPC namespace.

``hostNetwork``, ``hostPID`` and ``hostIPC`` let a pod see and reach the node's processes and traffic.
Checked in every pod template (see ``guardrail/privileged`` for the kinds covered).
"""

from __future__ import annotations

import typing as t

from ..._diagnostics import Severity
from ._context import Finding, View
from ._pods import pod_specs

ID = "guardrail/host-namespaces"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def check(view: View) -> t.Iterator[Finding]:
    for ro in view.objects:
        if not isinstance(ro.obj, dict) or not isinstance(ro.obj.get("spec"), dict):
            continue
        for path, spec in pod_specs(ro):
            for field in ("hostNetwork", "hostPID", "hostIPC"):
                if spec.get(field) is True:
                    yield Finding(ro, f"pod uses {field}", path + (field,), f"remove {field}: true")
