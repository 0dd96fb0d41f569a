"""Load stage: read an input file as bytes, only if it is a regular file, never past a bound.

``open`` with ``O_NONBLOCK`` so a FIFO cannot block the open itself, then ``fstat`` on the open
descriptor (no race between check and read): anything but a regular file (FIFO, device, socket,
folder) is refused. At most ``max_bytes + 1`` bytes are read, so ``/dev/zero`` behind a symlink or a
file growing while read cannot exhaust memory. ``within`` confines the real path (symlinks
resolved) to a folder: a blueprint that links to a file outside the project is refused.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from genplat.core.errors import GenplatError


class InputError(GenplatError):
    """An input file that cannot be read safely; ``rule`` names the finding it becomes."""

    def __init__(self, rule: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.rule = rule


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_input(
    path: str | os.PathLike[str], *, max_bytes: int, within: Path | None = None, follow: bool = True
) -> bytes:
    """The bytes of ``path``; raises :class:`InputError` (rule ``file-too-large`` or
    ``file-unreadable``: a special file, a link out of ``within``) instead of hanging or reading
    without end. ``follow=False`` refuses a symlink itself."""
    if within is not None:
        real, root = os.path.realpath(path), os.path.realpath(within)
        if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
            raise InputError(
                "file-unreadable",
                f"file is a symlink to {real}, outside the project folder",
                hint="copy the file into the project instead of linking to it",
            )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY | (0 if follow else os.O_NOFOLLOW))
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise InputError("file-unreadable", "file is a symlink; refusing to follow it") from None
        raise InputError("file-unreadable", f"cannot read file: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(
                "file-unreadable",
                f"file is {_kind(st.st_mode)}, not a regular file; refusing to read it",
                hint="blueprints and templates must be regular files",
            )
        if st.st_size > max_bytes:
            raise InputError(
                "file-too-large",
                f"file is {st.st_size:,} bytes, over the limit of {max_bytes:,} bytes",
                hint="split it into smaller files, or raise the limit with --max-file-size",
            )
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise InputError(
                "file-too-large",
                f"file grew past the limit of {max_bytes:,} bytes while read",
                hint="split it into smaller files, or raise the limit with --max-file-size",
            )
        return b"".join(chunks)
    except OSError as exc:
        raise InputError("file-unreadable", f"cannot read file: {exc.strerror}") from None
    finally:
        os.close(fd)
