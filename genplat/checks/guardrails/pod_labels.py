"""Every tenant pod carries the labels the platform requires (``policies.requiredLabels``).

Checked on the pod template's ``metadata.labels`` of every tenant workload (a Pod's own labels), for the
kinds listed under ``guardrail/privileged``. Needs the blueprints (the list lives there).
"""

from __future__ import annotations

import typing as t

from ..._diagnostics import Severity
from ._context import Finding, View

ID = "guardrail/pod-labels"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def _get(obj: t.Any, path: tuple[t.Any, ...]) -> t.Any:
    for p in path:
        obj = obj.get(p) if isinstance(obj, dict) else None
    return obj


def check(view: View) -> t.Iterator[Finding]:
    ctx = view.context
    if ctx is None or not ctx.required_labels:
        return
    for w in view.workloads:
        ro = w.ro
        if not view.tenant_owned(ro):
            continue
        for path, _spec in w.pod_specs:
            meta_path = ("metadata",) if ro.kind == "Pod" or path == ("spec",) else path[:-1] + ("metadata",)
            labels = _get(ro.obj, meta_path + ("labels",))
            labels = labels if isinstance(labels, dict) else {}
            missing = [k for k in ctx.required_labels if k not in labels]
            if missing:
                yield Finding(ro, f"pod template lacks required label(s): {', '.join(missing)}", meta_path + ("labels",),
                              "add them to the service's labels, or to the tenant's labels")
