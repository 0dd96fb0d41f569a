"""Every tenant namespace has a ``LimitRange``.

It gives containers without requests and limits sane defaults, so the quota can be enforced. Needs the
blueprints.
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails._context import Finding, View
from genplat.checks.guardrails._namespaces import missing
from genplat.core.diagnostics import Severity

ID = "guardrail/namespace-limitrange"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def check(view: View) -> t.Iterator[Finding]:
    yield from missing(
        view,
        "LimitRange",
        "LimitRange",
        "give the tenant default limits in the platform's tenancy defaults",
        lambda ro: ro.api_version == "v1",
    )
