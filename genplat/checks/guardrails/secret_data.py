"""No ``Secret`` carries ``data`` or ``stringData`` anywhere in the output.

Secrets in Git or in an OCI bundle are readable by everyone who can pull it. Deliver them through
external-secrets (``ExternalSecret``) or a sealed/encrypted form instead. Applies to platform and tenant
objects alike, and in plain ``genplat check``.
"""

from __future__ import annotations

import typing as t

from ..._diagnostics import Severity
from ._context import Finding, View

ID = "guardrail/secret-data"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def check(view: View) -> t.Iterator[Finding]:
    for ro in view.kinds("Secret"):
        if ro.api_version != "v1":
            continue
        for field in ("data", "stringData"):
            if ro.obj.get(field):
                yield Finding(ro, f"Secret carries plaintext {field}", (field,),
                              "deliver the value with an ExternalSecret (external-secrets) instead of a Secret")
