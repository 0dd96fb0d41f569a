"""Tenant images come only from the platform's allowed registries (``policies.allowedRegistries``).

An entry is a registry host (``ghcr.io``) or a host and path prefix (``ghcr.io/acme``); short names
like ``nginx`` mean ``docker.io/library/nginx``, as in Docker. Images the platform itself puts into
tenant pods (Knative's ``queue-proxy``, Tekton's ``prepare``/``place-scripts`` init containers, the
EventListener sink, the pipeline templates' builder steps) are declared apart, each with the container
names and namespaces it may run in (``policies.platformImages``), so they never widen what tenants may
run. Checked on every container, init, ephemeral container, Tekton step, sidecar and step template of
tenant objects (see ``guardrail/privileged`` for the kinds). Needs the platform blueprint's list; with
none given the rule is reported as switched off.
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails import _admission
from genplat.checks.guardrails._context import Finding, View
from genplat.core.diagnostics import Severity
from genplat.policy.rules import IMAGE_REGISTRY

ID = IMAGE_REGISTRY
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def check(view: View) -> t.Iterator[Finding]:
    ctx = view.context
    if ctx is None or not ctx.allowed_registries:  # run_guardrails reports the rule as off
        return
    hint = f"allowed: {', '.join(ctx.allowed_registries)}"
    yield from _admission.run(view, ID, hint, tenants_only=True)
