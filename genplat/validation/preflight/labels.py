"""Tenant labels, as the gate's ``guardrail/pod-labels`` judges them: genplat copies a tenant's
``metadata.labels`` onto its pods, so a required label written there with an empty value reaches
every pod empty, and the gate (and the cluster's policies) refuse pods whose required label has no value."""

from __future__ import annotations

import typing as t

from genplat.core.diagnostics import Diagnostic
from genplat.validation.preflight.images import disabled

if t.TYPE_CHECKING:
    from genplat.loader.project import Project

RULE = "guardrail/pod-labels"


def check(project: Project) -> list[Diagnostic]:
    assert project.platform is not None
    policies = project.platform.spec.get("policies")
    raw = policies.get("requiredLabels") if isinstance(policies, dict) else None
    required = {k for k in raw if isinstance(k, str)} if isinstance(raw, list) else set()
    if not required or RULE in disabled(project.platform):
        return []
    out: list[Diagnostic] = []
    for bp in project.tenants:
        labels = bp.data.get("metadata", {}).get("labels") if isinstance(bp.data.get("metadata"), dict) else None
        for key, value in labels.items() if isinstance(labels, dict) else ():
            if key in required and value == "":
                out.append(
                    bp.diagnostic(
                        RULE,
                        f"label {key!r} is required on every pod (policies.requiredLabels) and has no value here",
                        ("metadata", "labels", key),
                        hint="give it a value, or leave it out so genplat sets it where it can",
                    )
                )
    return out
