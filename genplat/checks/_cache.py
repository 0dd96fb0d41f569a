"""A small on-disk cache for derived data (converted CRD schemas), keyed by content hash.

Where: ``$GENPLAT_CACHE_DIR``, else ``$XDG_CACHE_HOME/genplat``, else ``~/.cache/genplat``.
Writes go to a temporary file in the same folder and are renamed into place, so a reader never sees
half a file, and two builds racing each other both end with a whole entry. A corrupt or unreadable
entry counts as a miss: the cache only ever saves time, it is never a source of truth.
"""

from __future__ import annotations

import json
import os
import tempfile
import typing as t
from pathlib import Path

from genplat.core.cache import cache_dir as cache_dir


def read_json(path: Path) -> t.Any | None:
    """The cached value, or None when missing or unreadable (corruption is just a miss)."""
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return None


def write_json(path: Path, value: t.Any) -> None:
    """Write atomically; a cache that cannot be written (read-only home, full disk) is skipped."""
    data = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass
