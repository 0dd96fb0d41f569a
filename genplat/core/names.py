"""Names genplat derives from blueprint values, shared by validation (collisions, the server's name
rules) and rendering, so both always compute the same name.

Each is either valid by construction or checked by ``genplat validate`` with the API server's own
rules (``validation/server_rules.py``), at the blueprint line of the value it comes from:

- ``secret_object_name``: the ExternalSecret and its target Secret of a service's secret reference
  (a DNS subdomain; checked: a variable of only ``_`` leaves nothing after the service's name);
- ``instance_label``: the ``app.kubernetes.io/instance`` label of a service's objects (a label value;
  checked: a long service and environment name exceed 63 characters);
- ``connection_secret_name``: a resource's connection Secret (valid by construction: a DNS label of at
  most 63 characters plus ``-connection`` is a DNS subdomain);
- ``config_map_name``: a config volume's ConfigMap, ``<service>-<volume>-<hash>`` (valid by construction:
  two DNS labels and 10 base-32 characters are a DNS subdomain);
- ``secret_volume_name``: a secret volume's ExternalSecret and Secret, ``<service>-<volume>`` (valid by
  construction; checked: it must not collide with a secret reference's, ``secret-name-collision``);
- ``label_value``: a label value from free text (the image tag as ``app.kubernetes.io/version``): the text
  when valid, cut with a hash when only too long, else none.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import typing as t

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


# --- volumes (genplat.rendering.volumes) ---------------------------------------------------------------

CONFIG_HASH_CHARS = 10


def content_hash(data: t.Any, chars: int) -> str:
    """``chars`` lower-case base-32 characters of the SHA-256 of ``data`` as canonical JSON: names that
    change exactly when the content does."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).digest()
    return base64.b32encode(digest).decode().lower()[:chars]


def config_map_name(service: str, volume: str, files: t.Mapping[str, str]) -> str:
    """The ConfigMap of a config volume: ``<service>-<volume>-<hash of the files>`` (at most 63 + 63 + 11
    characters, well within a DNS subdomain), so changing a file gives a new name and rolls the pods."""
    return f"{service}-{volume}-{content_hash(dict(files), CONFIG_HASH_CHARS)}"


def secret_volume_name(service: str, volume: str) -> str:
    """The ExternalSecret (and Secret) of a secret-file volume: ``<service>-<volume>``."""
    return f"{service}-{volume}"


# --- label values ------------------------------------------------------------------------------------

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def label_value(text: str) -> str | None:
    """``text`` as a label value: itself when valid; when only too long, its first characters and a short
    hash of the whole (at most 63 characters, unique by construction); None when it cannot be one."""
    if len(text) <= 63 and _LABEL_VALUE.match(text):
        return text
    if not _LABEL_VALUE.match(text):
        return None
    head = text[:57].rstrip("-_.")
    return f"{head}-{content_hash(text, 5)}"
