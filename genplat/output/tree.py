"""Write a planned output tree into ``out/``: atomically, incrementally, and never outside it.

A plan maps relative POSIX paths to bytes: ``{"dev/c1/tenants/a.yaml": b"...", ...}``.

:func:`write_tree` makes ``out_dir`` hold exactly the plan (plus what it does not manage):

1. **Check** every path first (relative, ``/``-separated, no ``..``/``.``/empty parts, no backslash,
   NUL or control characters, no file that is also a folder of another). A bad path raises
   :class:`UnsafePathError` before anything is touched, so nothing outside ``out_dir`` is written.
2. **Compare** each planned file with what is on disk: one ``open``/``fstat``/``read`` per file (a
   size mismatch skips the read), without following symlinks. A folder on the way that is a symlink or
   a file does not count as a folder, so no write ever goes through a symlink.
3. **Scan** ``out_dir`` for entries the plan no longer has. The writer manages everything except
   top-level entries whose name starts with ``.`` (``out/.oci/`` belongs to other commands); pass
   ``managed`` to change that. Unmanaged folders are not entered.
4. **Own** the folder: it must not be a symlink, and must be new, empty, or marked as genplat's
   (``genplat.lock.json`` or ``.genplat/``); see :mod:`genplat.output.owned`. The build lock in
   ``out/.genplat/build.lock`` is held from here to the end, and an interrupted commit of an earlier
   run is completed first (:mod:`genplat.output.journal`).
5. **Stage** every new or changed file into ``out/.genplat/tmp-*/`` (same filesystem) with a
   journal of the commit. If anything fails here, the tree is untouched and the staging folder is
   removed.
6. **Commit**: rename the staging folder to ``out/.genplat/commit/`` (the commit point), move the
   extra entries aside, create folders, ``os.replace`` each staged file into place (keeping a hard
   link to the file it replaces), remove folders left empty, with polite signals held back. If a
   step fails, the undo list is played back so ``out_dir`` returns to its previous bytes; if the
   process dies, the next run plays the journal forward.

A file whose bytes did not change is not rewritten, so its inode and mtime stay. Files get mode 0644
and folders 0755 whatever the umask (an unchanged file with another mode is ``chmod``-ed in place).
With nothing changed the cost is the compare plus the scan: no temporary folder is made.

:func:`diff_tree` runs steps 1 to 3 only and reports stale, missing and extra files (content only,
not modes); ``genplat build --check`` uses it.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import stat
import tempfile
import typing as t
from pathlib import Path

from genplat.core.errors import GenplatError, UsageError
from genplat.output.build_lock import BuildLock, LockWait
from genplat.output.journal import (
    COMMIT_DIR,
    LEGACY_PREFIX,
    STAGING_PREFIX,
    marker_dir,
    recover,
    signals_deferred,
    sync_fs,
    write_journal,
)
from genplat.output.owned import MARKER_DIR, check_output_folder
from genplat.output.paths import UnsafePathError, check_relpath

__all__ = ["TreeDiff", "UnsafePathError", "WriteResult", "check_relpath", "diff_tree", "recover_output", "write_tree"]

FILE_MODE = 0o644
DIR_MODE = 0o755


@dataclasses.dataclass(frozen=True, slots=True)
class WriteResult:
    """Relative paths, sorted: files written (new or changed), left as they were, and removed."""

    written: list[str]
    unchanged: list[str]
    removed: list[str]


@dataclasses.dataclass(frozen=True, slots=True)
class TreeDiff:
    """How ``out_dir`` differs from a plan: ``stale`` files have other bytes (or are not regular
    files), ``missing`` ones are absent, ``extra`` ones exist but are no longer produced."""

    stale: list[str]
    missing: list[str]
    extra: list[str]

    @property
    def clean(self) -> bool:
        return not (self.stale or self.missing or self.extra)


ManagedFn = t.Callable[[str], bool]


def owned_by_build(rel: str) -> bool:
    """What ``genplat build`` owns in out/: everything but hidden top-level entries and what is below them
    (``out/.oci/`` is ``genplat package``'s, ``out/.genplat/`` the build's own state)."""
    return not rel.split("/", 1)[0].startswith(".")


def default_managed(rel: str) -> bool:
    """Everything except top-level entries named ``.*`` (other commands' state, e.g. ``.oci/``)."""
    return not rel.startswith(".") or "/" in rel


def _check_plan(files: t.Mapping[str, bytes]) -> set[str]:
    """Validate paths and contents; return every folder the plan needs (relative, no '')."""
    needed_dirs: set[str] = set()
    for rel, data in files.items():
        check_relpath(rel)
        if not isinstance(data, bytes):
            raise TypeError(f"content for {rel!r} is a {type(data).__name__}, expected bytes")
        parent, sep, _ = rel.rpartition("/")
        while sep and parent not in needed_dirs:
            needed_dirs.add(parent)
            parent, sep, _ = parent.rpartition("/")
    clash = sorted(needed_dirs.intersection(files))
    if clash:
        raise UnsafePathError(f"output path {clash[0]!r} is both a file and a folder in the plan")
    return needed_dirs


# States of a planned folder on disk.
_DIR, _ABSENT, _BLOCKED = "dir", "absent", "blocked"


@dataclasses.dataclass(slots=True)
class _Plan:
    root: str  # real path of out_dir
    unchanged: list[str]
    wrong_mode: list[tuple[str, int]]  # unchanged files whose mode is not FILE_MODE
    stale: list[str]  # exists, but other bytes or not a regular file
    missing: list[str]
    extra_files: list[str]  # managed non-folder entries not in the plan
    remove_dirs: list[str]  # managed folders to remove, deepest first
    make_dirs: list[str]  # folders to create, parents first
    root_exists: bool


def _dir_state(root: str, rel: str, memo: dict[str, str]) -> str:
    """Whether ``root/rel`` is a real folder all the way down (no symlink or file on the way)."""
    state = memo.get(rel)
    if state is not None:
        return state
    parent = rel.rpartition("/")[0]
    pstate = _dir_state(root, parent, memo) if parent else _DIR
    if pstate != _DIR:
        state = _ABSENT
    else:
        try:
            mode = os.lstat(os.path.join(root, rel)).st_mode
        except FileNotFoundError:
            state = _ABSENT
        else:
            state = _DIR if stat.S_ISDIR(mode) else _BLOCKED
    memo[rel] = state
    return state


def _compare(path: str, data: bytes) -> tuple[str, int]:
    """``("same"|"stale"|"dir"|"missing", mode)`` for one planned file; never follows a final
    symlink."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return "missing", 0
    except OSError as e:
        if e.errno == errno.ELOOP:  # a symlink where a file belongs
            return "stale", 0
        raise GenplatError(f"cannot read {path}: {e.strerror}") from e
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return "dir", 0
        if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
            return "stale", 0
        chunks = []
        remaining = len(data)
        while remaining > 0:
            chunk = os.read(fd, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        same = (chunks[0] if len(chunks) == 1 else b"".join(chunks)) == data if chunks else not data
        return ("same" if same else "stale"), stat.S_IMODE(st.st_mode)
    except OSError as e:
        raise GenplatError(f"cannot read {path}: {e.strerror}") from e
    finally:
        os.close(fd)


def _scan(root: str, managed: ManagedFn) -> tuple[list[str], dict[str, list[str]]]:
    """Managed non-folder entries, and each managed folder with all its children (managed or not)."""
    files: list[str] = []
    dirs: dict[str, list[str]] = {}

    def walk(abs_dir: str, rel_dir: str) -> None:
        children: list[str] = []
        with os.scandir(abs_dir) as it:
            entries = list(it)
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            children.append(rel)
            if not managed(rel):
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path, rel)
            else:
                files.append(rel)
        dirs[rel_dir] = children

    try:
        walk(root, "")
    except OSError as e:
        raise GenplatError(f"cannot read output folder {root}: {e.strerror}") from e
    return files, dirs


def _plan(out_dir: Path, files: t.Mapping[str, bytes], given: ManagedFn | None) -> _Plan:
    needed_dirs = _check_plan(files)
    chosen = given or default_managed

    def managed(rel: str) -> bool:  # out/.genplat/ (lock, journal, state) is never the plan's to remove
        return rel.split("/", 1)[0] != MARKER_DIR and chosen(rel)

    # The folder itself is never resolved: a symlinked out/ is refused by check_output_folder.
    root = os.path.join(os.path.realpath(out_dir.parent), out_dir.name) if out_dir.name else os.path.realpath(out_dir)
    try:
        root_mode = os.lstat(root).st_mode
    except FileNotFoundError:
        root_mode = None
    if root_mode is not None and not stat.S_ISDIR(root_mode):
        raise UsageError(f"output folder {out_dir} exists and is not a folder")
    root_exists = root_mode is not None

    memo: dict[str, str] = {}
    unchanged: list[str] = []
    wrong_mode: list[tuple[str, int]] = []
    stale: list[str] = []
    missing: list[str] = []
    dir_in_the_way: list[str] = []
    for rel in sorted(files):
        parent = rel.rpartition("/")[0]
        if root_exists and (not parent or _dir_state(root, parent, memo) == _DIR):
            state, mode = _compare(os.path.join(root, rel), files[rel])
        else:
            state, mode = "missing", 0
        if state == "same":
            unchanged.append(rel)
            if mode != FILE_MODE:
                wrong_mode.append((rel, mode))
        elif state == "stale":
            stale.append(rel)
        elif state == "dir":
            stale.append(rel)
            dir_in_the_way.append(rel)
        else:
            missing.append(rel)

    extra_files: list[str] = []
    remove_dirs: list[str] = []
    if root_exists:
        found_files, found_dirs = _scan(root, managed)
        extra_files = [rel for rel in found_files if rel not in files]
        removed = set(extra_files)
        # Deepest first, so a folder is judged after its subfolders.
        for rel in sorted(found_dirs, key=lambda d: d.count("/"), reverse=True):
            if rel and rel not in needed_dirs and all(c in removed for c in found_dirs[rel]):
                remove_dirs.append(rel)
                removed.add(rel)
        for rel in dir_in_the_way:
            if rel not in removed:
                raise UsageError(f"cannot write {rel}: a folder of that name holds entries genplat does not manage")
        for rel, state in memo.items():
            if state == _BLOCKED and rel not in removed:
                raise UsageError(f"cannot create folder {rel}: a file or symlink of that name is in the way")
        extra_files.sort()
    make_dirs = sorted((d for d in needed_dirs if memo.get(d) != _DIR), key=lambda d: (d.count("/"), d))
    return _Plan(root, unchanged, wrong_mode, stale, missing, extra_files, remove_dirs, make_dirs, root_exists)


def diff_tree(out_dir: Path, files: t.Mapping[str, bytes], *, managed: ManagedFn | None = None) -> TreeDiff:
    """Compare ``out_dir`` with the plan ``files``; writes nothing."""
    _check_plan(files)
    check_output_folder(Path(out_dir), writing=False)
    plan = _plan(Path(out_dir), files, managed)
    return TreeDiff(stale=plan.stale, missing=plan.missing, extra=plan.extra_files)


def _write_file(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away
    finally:
        os.close(fd)


def _stage(tmp: str, files: t.Mapping[str, bytes], todo: list[str]) -> list[str]:
    """Write each file of ``todo`` to ``tmp/<n>``; return the staged paths in the same order."""
    staged = []
    for n, rel in enumerate(todo):
        path = os.path.join(tmp, str(n))
        _write_file(path, files[rel])
        staged.append(path)
    return staged


def _make_dir(path: str) -> None:
    os.mkdir(path, DIR_MODE)
    os.chmod(path, DIR_MODE)


class _Journal:
    """Undo steps for the commit, played back in reverse if a later step fails."""

    def __init__(self) -> None:
        self.undo: list[tuple[str, str, str | int]] = []

    def rollback(self) -> list[str]:
        problems = []
        for action, path, arg in reversed(self.undo):
            try:
                if action == "rename":  # move an entry back from the side
                    os.replace(t.cast(str, arg), path)
                elif action == "unlink":
                    os.unlink(path)
                elif action == "rmdir":
                    os.rmdir(path)
                elif action == "mkdir":
                    os.mkdir(path)
                    os.chmod(path, t.cast(int, arg))
                elif action == "chmod":
                    os.chmod(path, t.cast(int, arg))
            except OSError as e:
                problems.append(f"{path}: {e.strerror}")
        return problems


def _commit(plan: _Plan, todo: list[str], staged: list[str], tmp: str) -> None:
    """Commit point, then the renames; signals wait (see :mod:`genplat.output.journal`)."""
    root = plan.root
    write_journal(
        tmp,
        {
            "version": 1,
            "extra": plan.extra_files,
            "rmdir": plan.remove_dirs,
            "mkdir": plan.make_dirs,
            "put": [[rel, os.path.basename(src)] for rel, src in zip(todo, staged, strict=True)],
            "chmod": [rel for rel, _ in plan.wrong_mode],
        },
    )
    sync_fs(root)  # staged bytes and the journal are on disk before the commit point
    commit = os.path.join(os.path.dirname(tmp), COMMIT_DIR)
    with signals_deferred():
        os.rename(tmp, commit)
        try:
            _apply(plan, todo, [os.path.join(commit, os.path.basename(s)) for s in staged], commit)
            sync_fs(root)
        finally:
            shutil.rmtree(commit, ignore_errors=True)


def _apply(plan: _Plan, todo: list[str], staged: list[str], tmp: str) -> None:
    root = plan.root
    journal = _Journal()
    side = 0

    def move_aside(path: str) -> None:
        nonlocal side
        dest = os.path.join(tmp, f"old-{side}")
        side += 1
        os.rename(path, dest)
        journal.undo.append(("rename", path, dest))

    try:
        if not plan.root_exists:
            _make_dir(root)
            journal.undo.append(("rmdir", root, ""))
        for rel in plan.extra_files:
            move_aside(os.path.join(root, rel))
        for rel in plan.remove_dirs:  # emptied above; moved aside, so an undo brings back the same folder
            move_aside(os.path.join(root, rel))
        for rel in plan.make_dirs:
            path = os.path.join(root, rel)
            _make_dir(path)
            journal.undo.append(("rmdir", path, ""))
        missing = set(plan.missing)
        for rel, src in zip(todo, staged, strict=True):
            path = os.path.join(root, rel)
            if rel in missing:
                os.replace(src, path)
                journal.undo.append(("unlink", path, ""))
                continue
            # Keep the previous file under another name until the whole commit has worked. A hard
            # link keeps readers of ``path`` from ever seeing it missing; a symlink or a special file
            # (or a filesystem without hard links) is moved aside instead.
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:  # a folder that stood here was removed above
                os.replace(src, path)
                journal.undo.append(("unlink", path, ""))
                continue
            backup = os.path.join(tmp, f"old-{side}")
            side += 1
            try:
                if not stat.S_ISREG(mode):
                    raise OSError(errno.EPERM, "not a regular file")
                os.link(path, backup, follow_symlinks=False)
            except OSError:
                os.rename(path, backup)
            journal.undo.append(("rename", path, backup))
            os.replace(src, path)
        for rel, mode in plan.wrong_mode:
            path = os.path.join(root, rel)
            os.chmod(path, FILE_MODE)
            journal.undo.append(("chmod", path, mode))
    except BaseException as e:
        problems = journal.rollback()
        if problems:
            raise GenplatError(
                f"updating {root} failed ({e}) and could not be fully undone: " + "; ".join(problems),
                hint="run the build again to rewrite the output folder",
            ) from e
        if isinstance(e, OSError):
            raise GenplatError(f"could not update {root}: {e}; it was left as it was") from e
        raise


def write_tree(
    out_dir: Path,
    files: t.Mapping[str, bytes],
    *,
    managed: ManagedFn | None = None,
    on_wait: LockWait | None = None,
    after_commit: t.Callable[[], None] | None = None,
) -> WriteResult:
    """Make ``out_dir`` hold exactly ``files`` (see the module docstring); return what changed.

    ``managed(rel)`` says whether an existing entry (file or folder, relative path) belongs to the
    writer and may be removed when the plan no longer has it; default: :func:`default_managed`.
    ``on_wait`` hears once when another build holds the folder's lock; ``after_commit`` runs while
    the lock is still held (the build records its state there).
    """
    out_dir = Path(out_dir)
    _check_plan(files)
    exists = check_output_folder(out_dir, writing=True)
    root = os.path.join(os.path.realpath(out_dir.parent), out_dir.name) if out_dir.name else os.path.realpath(out_dir)
    if not exists:
        try:
            os.makedirs(os.path.dirname(root), exist_ok=True)
            os.mkdir(root, DIR_MODE)
            os.chmod(root, DIR_MODE)
        except FileExistsError:  # another build made it meanwhile: check it again
            check_output_folder(out_dir, writing=True)
        except OSError as e:
            raise GenplatError(f"cannot create output folder {out_dir}: {e.strerror}") from e
    try:
        marker = marker_dir(root)
    except OSError as e:
        raise GenplatError(f"cannot create {out_dir}/.genplat: {e.strerror}") from e
    with BuildLock(Path(marker), out_dir=out_dir, on_wait=on_wait):
        recover(root, marker)
        plan = _plan(out_dir, files, managed)
        todo = sorted(plan.stale + plan.missing)
        if not (todo or plan.extra_files or plan.remove_dirs or plan.wrong_mode):
            if after_commit is not None:
                after_commit()
            return WriteResult(written=[], unchanged=plan.unchanged, removed=[])
        try:
            tmp = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=marker)
            os.chmod(tmp, DIR_MODE)
        except OSError as e:
            raise GenplatError(f"cannot create a staging folder in {marker}: {e.strerror}") from e
        try:
            try:
                staged = _stage(tmp, files, todo)
            except OSError as e:
                raise GenplatError(f"could not write output files ({e}); {out_dir} was left as it was") from e
            _commit(plan, todo, staged, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if after_commit is not None:
            after_commit()
    return WriteResult(written=todo, unchanged=plan.unchanged, removed=plan.extra_files)


def recover_output(out_dir: Path, *, on_wait: LockWait | None = None) -> bool:
    """Before a build reads ``out_dir``: finish a commit an earlier run could not (kill -9, power
    loss) and delete stale staging folders. True when a commit was completed."""
    out_dir = Path(out_dir)
    root = os.path.join(os.path.realpath(out_dir.parent), out_dir.name) if out_dir.name else os.path.realpath(out_dir)
    marker = os.path.join(root, MARKER_DIR)
    try:
        if not stat.S_ISDIR(os.lstat(marker).st_mode) or stat.S_ISLNK(os.lstat(root).st_mode):
            return False
        with os.scandir(marker) as it:  # nothing to do (the usual case): no lock taken, nothing written
            pending = any(e.name == COMMIT_DIR or e.name.startswith(STAGING_PREFIX) for e in it)
        with os.scandir(os.path.dirname(root)) as it:
            pending = pending or any(e.name.startswith(LEGACY_PREFIX) for e in it)
        if not pending:
            return False
    except OSError:
        return False
    with BuildLock(Path(marker), out_dir=out_dir, on_wait=on_wait):
        return recover(root, marker)
