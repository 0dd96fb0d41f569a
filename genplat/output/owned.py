"""Write stage: the output folder must be one genplat owns, and a real folder, not a link.

genplat owns a folder that does not exist yet (it creates it), an empty one, or one that holds its
marks: ``genplat.lock.json`` (what every build writes, committed with ``out/``) or ``.genplat/``
(local state: build lock, journal, incremental-build record, created by the first write). Anything
else is someone's data: genplat refuses with one line instead of replacing it. A symlinked output
folder is refused too, so a build never writes to, or deletes in, the folder the link points at.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from genplat.core.errors import UsageError
from genplat.output.lockfile import LOCKFILE_NAME

MARKER_DIR = ".genplat"


def check_output_folder(out_dir: Path, *, writing: bool) -> bool:
    """Whether ``out_dir`` exists; raises :class:`UsageError` when genplat must not write into it.

    ``writing=False`` (``build --check``) only refuses a symlink: reading a foreign folder is harmless.
    """
    try:
        st = os.lstat(out_dir)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise UsageError(
            f"output folder {out_dir} is a symlink (to {os.readlink(out_dir)}); genplat writes only "
            "into a real folder, so it never changes or deletes what the link points at",
            hint="remove the link, or pass -o with the real folder",
        )
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"output folder {out_dir} exists and is not a folder")
    if writing and not owned(out_dir):
        raise UsageError(
            f"refusing to write into {out_dir}: it is not empty and genplat did not create it "
            f"(no {LOCKFILE_NAME} or {MARKER_DIR}/ in it), so its files would be replaced or deleted",
            hint="pass -o with a new or empty folder",
        )
    return True


def owned(out_dir: Path) -> bool:
    """Empty, or holding a regular ``genplat.lock.json`` or a real ``.genplat/`` folder."""
    try:
        with os.scandir(out_dir) as it:
            names = {e.name: e for e in it}
    except OSError as exc:
        raise UsageError(f"cannot read output folder {out_dir}: {exc.strerror}") from None
    if not names:
        return True
    lock, marker = names.get(LOCKFILE_NAME), names.get(MARKER_DIR)
    return bool(
        (lock is not None and lock.is_file(follow_symlinks=False))
        or (marker is not None and marker.is_dir(follow_symlinks=False))
    )
