"""Names genplat derives from blueprint values, shared by validation (collisions, the server's name
rules) and rendering, so both always compute the same name.

Each is either valid by construction or checked by ``genplat validate`` with the API server's own
rules (``validation/server_rules.py``), at the blueprint line of the value it comes from:

- ``secret_object_name``: the ExternalSecret and its target Secret of a service's secret reference
  (a DNS subdomain; checked: a variable of only ``_`` leaves nothing after the service's name);
- ``instance_label``: the ``app.kubernetes.io/instance`` label of a service's objects (a label value;
  checked: a long service and environment name exceed 63 characters);
- ``connection_secret_name``: a resource's connection Secret (valid by construction: a DNS label of at
  most 63 characters plus ``-connection`` is a DNS subdomain).
"""

from __future__ import annotations

import re

CONNECTION_SUFFIX = "-connection"
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def secret_object_name(service: str, env_var: str) -> str:
    """The ExternalSecret (and Secret) of one secret reference: ``<service>-<env var, lower-case, runs of
    other characters as '-'>``, so ``DB_PASS`` and ``DB__PASS`` of service ``api`` both give ``api-db-pass``.
    Cut to 253 characters without a trailing '-'. A variable without a letter or digit (``_``) leaves
    ``<service>-``, which the API server refuses: validate reports it (``derived-name-invalid``)."""
    suffix = _NOT_NAME.sub("-", env_var.lower()).strip("-")
    return f"{service}-{suffix}"[:253].rstrip("-") if suffix else f"{service}-"


def instance_label(service: str, environment: str) -> str:
    """``app.kubernetes.io/instance`` of a service's objects in one environment."""
    return f"{service}-{environment}"


def connection_secret_name(resource: str) -> str:
    """The Secret a resource's connection details land in: ``<resource>-connection``."""
    return f"{resource}{CONNECTION_SUFFIX}"
