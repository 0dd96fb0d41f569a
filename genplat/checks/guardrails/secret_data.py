"""No ``Secret`` carries ``data`` or ``stringData`` anywhere in the output.

Secrets in Git or in an OCI bundle are readable by everyone who can pull it. Deliver them through
external-secrets (``ExternalSecret``) or a sealed/encrypted form instead. Applies to platform and tenant
objects alike, and in plain ``genplat check``.

A Secret whose every value is a PEM public key (and nothing else) is public material, not a secret:
it passes. That is how the Flux wiring carries the cosign public key ``spec.verify`` needs.
"""

from __future__ import annotations

import base64
import typing as t

from genplat.checks.guardrails._context import Finding, View
from genplat.core.diagnostics import Severity
from genplat.core.pem import is_public_key_pem

ID = "guardrail/secret-data"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def _public_material(obj: t.Mapping[str, t.Any]) -> bool:
    """Every value is a PEM public key (e.g. the cosign key Flux verifies bundles with): nothing secret."""
    values: list[bytes] = []
    for value in (obj.get("data") or {}).values() if isinstance(obj.get("data"), dict) else ():
        try:
            values.append(base64.b64decode(str(value), validate=True))
        except ValueError:
            return False
    string_data = obj.get("stringData")
    values += [str(v).encode() for v in (string_data.values() if isinstance(string_data, dict) else ())]
    return bool(values) and all(is_public_key_pem(v) for v in values)


def check(view: View) -> t.Iterator[Finding]:
    for ro in view.kinds("Secret"):
        if ro.api_version != "v1" or _public_material(ro.obj):
            continue
        for field in ("data", "stringData"):
            if ro.obj.get(field):
                yield Finding(
                    ro,
                    f"Secret carries plaintext {field}",
                    (field,),
                    "deliver the value with an ExternalSecret (external-secrets) instead of a Secret",
                )
