"""Shared walk for the rules that demand something of every tenant namespace."""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails._context import Finding, View


def missing(
    view: View, kind: str, what: str, hint: str, ok: t.Callable[[t.Any], bool] = lambda ro: True
) -> t.Iterator[Finding]:
    """One finding per tenant namespace that has no object of ``kind`` passing ``ok``."""
    for tenant, ns in view.tenant_namespaces():
        if any(ok(ro) for ro in view.in_namespace(kind, ns)):
            continue
        anchor = view.anchor(ns)
        yield Finding(anchor, f"tenant {tenant!r} namespace {ns!r} has no {what}", (), hint, f"Namespace/{ns}")
