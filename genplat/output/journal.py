"""Write stage: a commit journal, so a new ``out/`` is the old tree or the new one under any signal.

The writer stages every new file in ``out/.genplat/tmp-*/`` and writes ``journal.json`` beside them:
the extra files to delete, folders to remove and create, each staged file's destination, the
modes to fix. Then (data flushed with ``syncfs``) one ``rename`` turns the staging folder into
``out/.genplat/commit/``: from that instant the commit has happened. The renames that follow put
the files in place; SIGINT, SIGTERM, SIGHUP and SIGQUIT wait until they are done. If the process
dies anyway (kill -9, power loss), the next build finds ``commit/`` and plays the journal forward
before it reads anything (every step can run twice); a leftover ``tmp-*`` only ever held staged
copies and is deleted. So after the next run ``out/`` is always exactly the old tree or the new one.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import stat
import threading
import typing as t

from genplat.core.errors import GenplatError
from genplat.output.owned import MARKER_DIR
from genplat.output.paths import check_relpath

COMMIT_DIR = "commit"
STAGING_PREFIX = "tmp-"
JOURNAL = "journal.json"
# Staging folders of genplat versions before the journal, beside the output folder.
LEGACY_PREFIX = ".genplat-tmp-"
_DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
FILE_MODE, DIR_MODE = 0o644, 0o755


@contextlib.contextmanager
def signals_deferred() -> t.Iterator[None]:
    """Hold back the signals that end a process politely until the block is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def sync_fs(path: str) -> None:
    """Flush the file system holding ``path`` (``syncfs``; ``sync`` where it is missing).

    ``GENPLAT_FSYNC=0`` skips it: still safe when genplat itself is killed (the kernel keeps what
    was written), not when the machine loses power."""
    if os.environ.get("GENPLAT_FSYNC") == "0":
        return
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = getattr(libc, "syncfs", None)
        if fn is None or fn(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def write_journal(folder: str, journal: t.Mapping[str, t.Any]) -> None:
    path = os.path.join(folder, JOURNAL)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        os.write(fd, json.dumps(journal, sort_keys=True).encode())
    finally:
        os.close(fd)


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _inside(root: str, rel: str) -> str:
    """``root/rel`` when every folder on the way is a real folder (never through a symlink)."""
    check_relpath(rel)
    parts = rel.split("/")
    path = root
    for part in parts[:-1]:
        path = os.path.join(path, part)
        st = _lstat(path)
        if st is None or not stat.S_ISDIR(st.st_mode):
            raise GenplatError(
                f"cannot complete the interrupted commit of {root}: {rel} is not below real folders",
                hint=f"remove {root} and build again",
            )
    return os.path.join(root, rel)


def replay(root: str, commit: str) -> None:
    """Play the journal in ``commit`` forward; every step is a no-op when already done."""
    try:
        with open(os.path.join(commit, JOURNAL), "rb") as fh:
            journal = json.loads(fh.read())
    except (OSError, ValueError) as exc:
        raise GenplatError(
            f"the commit journal in {commit} is unreadable ({exc}); cannot finish the interrupted build",
            hint=f"remove {root} and build again",
        ) from None
    for rel in journal["extra"]:
        st = _lstat(os.path.join(root, rel))
        if st is not None and not stat.S_ISDIR(st.st_mode):
            os.unlink(_inside(root, rel))
    for rel in journal["rmdir"]:
        path = os.path.join(root, rel)
        st = _lstat(path)
        if st is not None and stat.S_ISDIR(st.st_mode):
            with contextlib.suppress(OSError):
                os.rmdir(path)
    for rel in journal["mkdir"]:
        path = _inside(root, rel)
        st = _lstat(path)
        if st is None:
            os.mkdir(path, DIR_MODE)
            os.chmod(path, DIR_MODE)
    for rel, name in journal["put"]:
        src = os.path.join(commit, name)
        if _lstat(src) is not None:
            os.replace(src, _inside(root, rel))
    for rel in journal["chmod"]:
        path = _inside(root, rel)
        st = _lstat(path)
        if st is not None and stat.S_ISREG(st.st_mode):
            os.chmod(path, FILE_MODE)


def recover(root: str, marker: str) -> bool:
    """Finish an interrupted commit and delete stale staging folders (call with the build lock held).
    True when a commit was completed."""
    commit = os.path.join(marker, COMMIT_DIR)
    done = False
    if _lstat(commit) is not None:
        with signals_deferred():
            replay(root, commit)
            sync_fs(root)
            shutil.rmtree(commit)
        done = True
    with contextlib.suppress(OSError), os.scandir(marker) as it:
        for entry in list(it):
            if entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
    parent = os.path.dirname(root)
    with contextlib.suppress(OSError), os.scandir(parent) as it:
        for entry in list(it):
            if entry.name.startswith(LEGACY_PREFIX) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
    return done


def marker_dir(root: str) -> str:
    """``root/.genplat``, created as a real folder (a symlink or file there is refused)."""
    path = os.path.join(root, MARKER_DIR)
    try:
        os.mkdir(path, DIR_MODE)
        os.chmod(path, DIR_MODE)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise GenplatError(
            f"{path} is not a folder; genplat keeps its build lock and journal there", hint=f"remove {path}"
        )
    return path


__all__ = ["COMMIT_DIR", "marker_dir", "recover", "replay", "signals_deferred", "sync_fs", "write_journal"]
