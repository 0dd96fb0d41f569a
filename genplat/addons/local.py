"""A local source: CRD files vendored in a folder beside the platform blueprint (for air-gapped
platforms, and for add-ons whose CRDs no reachable server publishes).

Regular files only, nothing outside the folder (a symlink out of it is refused), within a size bound.
The folder's digest is :func:`tree_digest` of the files the source's paths select, so the build can
tell, without parsing anything, whether the folder still holds what was locked.
"""

from __future__ import annotations

import hashlib
import os
import typing as t
from pathlib import Path

from genplat.core.addons import Source, glob_match
from genplat.core.digests import sha256_digest
from genplat.core.errors import FetchError
from genplat.loader.read import InputError, read_input

#: Largest local folder read for one add-on.
MAX_LOCAL_BYTES = 256 << 20


def read_local(base: Path, source: Source) -> dict[str, bytes]:
    """The files of a local source's folder (relative to ``base``) that its paths select."""
    rel = source.ref[0]
    folder = (base / rel).resolve()
    if not folder.is_dir():
        raise FetchError(f"local folder {rel} does not exist (relative to the platform blueprint)")
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            relpath = path.relative_to(folder).as_posix()
            if name.startswith(".") or not any(glob_match(g, relpath) for g in source.selected()):
                continue
            try:
                body = read_input(path, max_bytes=MAX_LOCAL_BYTES, within=folder)
            except InputError as exc:
                raise FetchError(f"{rel}/{relpath}: {exc.message}") from None
            total += len(body)
            if total > MAX_LOCAL_BYTES:
                raise FetchError(f"local folder {rel} holds more than {MAX_LOCAL_BYTES:,} bytes of CRD files")
            files[relpath] = body
    return files


def tree_digest(files: t.Mapping[str, bytes]) -> str:
    """The digest of a set of files: sha256 over ``<sha256 hex>  <path>`` lines, sorted by path (what
    ``sha256sum`` prints, so a reviewer can recompute it)."""
    lines = "".join(f"{hashlib.sha256(body).hexdigest()}  {path}\n" for path, body in sorted(files.items()))
    return sha256_digest(lines.encode("utf-8"))
