"""Names genplat derives from blueprint values, shared by validation (collisions) and rendering."""

from __future__ import annotations

import re


def secret_object_name(service: str, env_var: str) -> str:
    """The ExternalSecret (and Secret) of one secret reference: ``<service>-<env var, lower-case, runs of
    other characters as '-'>``, so ``DB_PASS`` and ``DB__PASS`` of service ``api`` both give ``api-db-pass``."""
    return f"{service}-{re.sub(r'[^a-z0-9]+', '-', env_var.lower()).strip('-')}"[:253]
