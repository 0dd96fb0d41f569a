"""Write stage: one build at a time per output folder (``out/.genplat/build.lock``, ``flock``).

The lock is advisory and held by the open file: it goes away with the process, however it ends
(kill -9 included), so a crashed build never leaves a stale lock behind. A second build waits for
the first and says so once ("another genplat build is writing …; waiting for it to finish").
"""

from __future__ import annotations

import fcntl
import os
import typing as t
from pathlib import Path

from genplat.core.errors import GenplatError

BUILD_LOCK_NAME = "build.lock"
LockWait = t.Callable[[str], None]


class BuildLock:
    """``with BuildLock(marker_dir, on_wait=...):`` holds the folder's build lock."""

    def __init__(self, marker_dir: Path, *, out_dir: Path, on_wait: LockWait | None = None) -> None:
        self.path = marker_dir / BUILD_LOCK_NAME
        self.out_dir = out_dir
        self.on_wait = on_wait
        self.fd = -1

    def __enter__(self) -> BuildLock:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise GenplatError(f"cannot open the build lock {self.path}: {exc.strerror}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if self.on_wait is not None:
                    self.on_wait(f"another genplat build is writing {self.out_dir}; waiting for it to finish")
                fcntl.flock(fd, fcntl.LOCK_EX)
            # Whatever the umask. The file stays empty and its mtime never changes: out/ looks the
            # same after a build that changed nothing.
            os.fchmod(fd, 0o644)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing releases the flock
            self.fd = -1
