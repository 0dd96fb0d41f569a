"""Names genplat derives from blueprint values, shared by validation (collisions) and rendering."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import typing as t


def secret_object_name(service: str, env_var: str) -> str:
    """The ExternalSecret (and Secret) of one secret reference: ``<service>-<env var, lower-case, runs of
    other characters as '-'>``, so ``DB_PASS`` and ``DB__PASS`` of service ``api`` both give ``api-db-pass``."""
    return f"{service}-{re.sub(r'[^a-z0-9]+', '-', env_var.lower()).strip('-')}"[:253]


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
