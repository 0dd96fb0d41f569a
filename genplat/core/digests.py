"""sha256 digests as OCI and genplat's lock file write them: ``sha256:<64 lowercase hex>``."""

from __future__ import annotations

import hashlib
import re

DIGEST_PATTERN = r"sha256:[0-9a-f]{64}"
_DIGEST = re.compile(DIGEST_PATTERN)


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def is_digest(value: str) -> bool:
    """Whether ``value`` is exactly one ``sha256:<64 lowercase hex>`` digest."""
    return _DIGEST.fullmatch(value) is not None
