"""The add-on cache: CRD files stored by their sha256, outside any project.

``${GENPLAT_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/genplat}/addons/sha256/<2 hex>/<64 hex>.yaml``. A file's
name is its digest, so two projects (or two add-on versions) that share a CRD file share the entry, an
entry is never changed in place, and a reader checks what it read against its name: a corrupt entry is
a miss, fetched again, never used. Entries are written to a temporary file in the same folder and
renamed into place, so no reader sees half a file and a crash leaves only whole entries.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import typing as t
from pathlib import Path

from genplat.core.cache import cache_dir


def root() -> Path:
    return cache_dir() / "addons"


def path_of(digest: str) -> Path:
    hexa = digest.split(":", 1)[1]
    return root() / "sha256" / hexa[:2] / f"{hexa}.yaml"


def has(digest: str) -> bool:
    """Whether the entry is there and its bytes still have its digest."""
    try:
        data = path_of(digest).read_bytes()
    except OSError:
        return False
    return "sha256:" + hashlib.sha256(data).hexdigest() == digest


def put_all(blobs: t.Mapping[str, bytes]) -> None:
    """Store every blob (digest → bytes); the caller has checked each digest."""
    for digest, data in sorted(blobs.items()):
        target = path_of(digest)
        if has(digest):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".yaml")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
