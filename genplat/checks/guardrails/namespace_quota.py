"""Every tenant namespace has a ``ResourceQuota``.

Without one a single tenant can take the cluster's capacity. Needs the blueprints (which namespaces
belong to tenants).
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails._context import Finding, View
from genplat.checks.guardrails._namespaces import missing
from genplat.core.diagnostics import Severity

ID = "guardrail/namespace-quota"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def check(view: View) -> t.Iterator[Finding]:
    yield from missing(
        view,
        "ResourceQuota",
        "ResourceQuota",
        "give the tenant a quota in the platform's tenancy defaults",
        lambda ro: ro.api_version == "v1",
    )
