"""Render stage: offering outputs wired into services.

An offering publishes connection details (``offerings[].connectionDetails``: host, port, username,
password, uri, …). Its compositions write them to one Secret per ordered resource, named
``<resource>-connection``, in the tenant's namespace (see :mod:`genplat.rendering.crossplane`). A service
reads one with ``env: {DB_HOST: {fromResource: reports-db, key: host}}`` and gets a ``secretKeyRef`` to
that Secret: the value never passes through a blueprint or the rendered output.
"""

from __future__ import annotations

import typing as t

from genplat.core.names import CONNECTION_SUFFIX as CONNECTION_SUFFIX
from genplat.core.names import connection_secret_name
from genplat.resolver.model import Service


def connection_env(svc: Service) -> list[dict[str, t.Any]]:
    """``env`` entries for the service's connection references, in blueprint order."""
    return [
        {"name": var, "valueFrom": {"secretKeyRef": {"name": connection_secret_name(resource), "key": key}}}
        for var, resource, key in svc.connections
    ]
