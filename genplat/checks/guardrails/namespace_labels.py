"""Every tenant namespace carries the labels the platform requires (``required_labels``).

A required label with a value must have exactly that value; one without a value must just be present.
Namespaces without a ``Namespace`` object are left to ``guardrail/namespace-pod-security``. Needs the
blueprints.
"""

from __future__ import annotations

import typing as t

from ..._diagnostics import Severity
from ._context import Finding, View

ID = "guardrail/namespace-labels"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def check(view: View) -> t.Iterator[Finding]:
    ctx = view.context
    if ctx is None or not ctx.required_labels:
        return
    for _tenant, ns in view.tenant_namespaces():
        obj = view.namespace_object(ns)
        if obj is None:
            continue
        labels = (obj.obj.get("metadata") or {}).get("labels") or {}
        for key, value in sorted(ctx.required_labels.items()):
            have = labels.get(key) if isinstance(labels, dict) else None
            if have is None:
                yield Finding(obj, f"namespace {ns!r} lacks required label {key}", ("metadata", "labels"),
                              f"set {key}" + (f": {value}" if value is not None else ""))
            elif value is not None and have != value:
                yield Finding(obj, f"namespace {ns!r} has {key}: {have}, expected {value}", ("metadata", "labels", key))
