"""Fingerprint of everything a build reads, so a rebuild with nothing changed can skip the work.

The fingerprint covers genplat's own source files, the build options that change output, every
blueprint and template file (path relative to the project and bytes) and the CRD files the checks
read. A build records it, with the sha256 of every file it wrote, in ``out/.genplat/state.json``
(local state, not committed). When the next build's fingerprint matches and every file in ``out/``
still has its recorded sha256 (none missing, none extra), the output is exactly what a full build
would write again, so the build stops there; ``genplat build --full`` renders anyway. It is the same on every machine for the same inputs (no absolute paths,
times or users enter it).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import typing as t
from pathlib import Path

from genplat.core.digests import sha256_digest
from genplat.core.errors import GenplatError
from genplat.loader.project import PLATFORM_FILE
from genplat.loader.read import read_input
from genplat.loader.safe_yaml import load_documents

_PACKAGE = Path(__file__).resolve().parent
MAX_CRD_BYTES = 256 << 20


@functools.cache
def code_fingerprint() -> str:
    """sha256 over genplat's Python sources and shipped data (schemas, templates)."""
    h = hashlib.sha256()
    for root in [_PACKAGE]:
        for path in sorted(root.rglob("*")):
            if (
                path.is_file()
                and path.suffix in (".py", ".json", ".j2", ".yaml", ".toml")
                and "__pycache__" not in path.parts
            ):
                h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _walk(root: Path) -> t.Iterator[Path]:
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def input_fingerprint(
    project_root: Path, *, crds: t.Sequence[Path], options: t.Mapping[str, t.Any], max_file_size: int = 1 << 20
) -> str:
    """sha256 of code, options, blueprint/template files (relative path + bytes) and CRD files.

    Files are read as the load stage reads them (regular files only, bounded): a FIFO or device
    raises :class:`~genplat.loader.read.InputError` and the caller falls back to a full build, which
    reports it."""
    h = hashlib.sha256()
    h.update(code_fingerprint().encode())
    h.update(json.dumps(dict(options), sort_keys=True, default=str).encode())
    for path in _walk(project_root):
        rel = path.relative_to(project_root).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts):
            continue
        h.update(
            b"B" + os.fsencode(rel) + b"\0" + read_input(path, max_bytes=max(max_file_size, MAX_CRD_BYTES)) + b"\0"
        )
    for crd_root in crds:
        for path in _walk(crd_root):
            if path.suffix in (".yaml", ".yml", ".json"):
                rel = path.relative_to(crd_root).as_posix() if crd_root.is_dir() else path.name
                h.update(b"C" + os.fsencode(rel) + b"\0" + read_input(path, max_bytes=MAX_CRD_BYTES) + b"\0")
    return "sha256:" + h.hexdigest()


# Local build state inside out/ (hidden, so the writer and --check leave it alone; not committed).
STATE_FILE = ".genplat/state.json"


def read_state(out_dir: Path, fingerprint: str) -> dict[str, str] | None:
    """The files (path → sha256) the last build wrote, if it read exactly these inputs."""
    try:
        state = json.loads((out_dir / STATE_FILE).read_bytes())
        if state.get("inputs") != fingerprint or not isinstance(state.get("files"), dict):
            return None
        return {str(k): str(v) for k, v in state["files"].items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def save_state(out_dir: Path, fingerprint: str, files: t.Mapping[str, bytes]) -> None:
    """Record what this build read and wrote (atomic replace; left alone when unchanged)."""
    state = {"inputs": fingerprint, "files": {p: sha256_digest(files[p]) for p in sorted(files)}}
    path = out_dir / STATE_FILE
    text = json.dumps(state, sort_keys=True) + "\n"
    try:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return
        path.parent.mkdir(mode=0o755, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a cache: failing to write it costs the next build time, nothing else
        pass


def output_matches(out_dir: Path, known: t.Mapping[str, str], managed: t.Callable[[str], bool]) -> bool:
    """Every managed file in out/ is a known one with its recorded sha256, and none is missing."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(out_dir):
        rel_dir = os.path.relpath(dirpath, out_dir)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if managed(d)]
        for name in filenames:
            rel = name if rel_dir == "." else f"{Path(rel_dir).as_posix()}/{name}"
            if not managed(rel):
                continue
            digest = known.get(rel)
            if digest is None:
                return False
            try:  # a symlink (even to identical bytes) or special file is not what the build wrote
                data = read_input(os.path.join(dirpath, name), max_bytes=1 << 40, follow=False)
            except GenplatError:
                return False
            if sha256_digest(data) != digest:
                return False
            seen += 1
    return seen == len(known)


def project_fingerprint(
    blueprints: Path, *, crds: t.Sequence[Path], options: t.Mapping[str, t.Any], max_file_size: int
) -> str | None:
    """The fingerprint of a project's inputs without loading the project: its blueprint folder, the CRDs
    given and those the platform blueprint lists (``spec.crds``). None when a file cannot be read
    safely: the full build then reports it."""
    found = list(crds)
    platform_file = blueprints / PLATFORM_FILE
    try:
        docs, _ = load_documents(read_input(platform_file, max_bytes=max_file_size), str(platform_file))
        spec = docs[0].data.get("spec") if docs and isinstance(docs[0].data, dict) else None
        listed = spec.get("crds") if isinstance(spec, dict) else None
        found += [platform_file.parent / str(p) for p in listed or [] if isinstance(p, str)]
    except (OSError, GenplatError):  # the load stage reports it
        pass
    try:
        return input_fingerprint(
            blueprints, crds=[c for c in found if c.exists()], options=options, max_file_size=max_file_size
        )
    except (OSError, GenplatError):
        return None
