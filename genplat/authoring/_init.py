"""``genplat init [DIR]``: write the starter project (see :mod:`._starter`) into a new or existing folder.

It starts where people start: a fresh ``git init`` with a README, a repository with files. Files that
are there already are kept: init refuses only to *overwrite*, and lists every file it would have to
(exit 2) before writing anything. A README.md of the user's is kept as it is and an existing .gitignore
gets genplat's lines added; neither is a conflict. ``--force`` replaces genplat's own files (those that
carry its "written by genplat init" mark, its JSON Schemas, its wheel), never a file it did not write.

``--pin-only`` moves a project to the running genplat: it writes this genplat's wheel to ``.genplat/``
(removing the one genplat put there before) and sets the two pin lines of the CI workflow, changing
nothing else.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from genplat.authoring._edit import Assignment, edit_text
from genplat.authoring._files import write_file
from genplat.authoring._paths import Key
from genplat.authoring._roundtrip import needs_quotes
from genplat.authoring._starter import FILES, KEEP_USERS, MARKER, MERGE_LINES
from genplat.authoring._wheel import constraints, own_wheel, sha256
from genplat.core.errors import UsageError
from genplat.validation.schema import schema_text

WHEEL_DIR = ".genplat"
WORKFLOW = ".github/workflows/genplat.yaml"


@dataclasses.dataclass(slots=True)
class InitResult:
    written: list[str] = dataclasses.field(default_factory=list)
    kept: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (path, why it was left alone)
    appended: list[tuple[str, list[str]]] = dataclasses.field(default_factory=list)  # (path, lines added)
    removed: list[str] = dataclasses.field(default_factory=list)


def starter_files(name: str) -> dict[str, bytes]:
    """Every file of the starter project, by path, as init would write it into a folder called ``name``."""
    wheel_name, wheel = own_wheel()
    wheel_path = f"{WHEEL_DIR}/{wheel_name}"
    files: dict[str, bytes] = {}
    for path, text in FILES.items():
        if path == "README.md":
            text = text.replace("{name}", name)
        elif path == WORKFLOW:
            text = text.replace("{wheel}", wheel_path).replace("{sha256}", sha256(wheel))
        files[path] = text.encode("utf-8")
    files["schemas/platform.schema.json"] = schema_text("platform").encode("utf-8")
    files["schemas/tenant.schema.json"] = schema_text("tenant").encode("utf-8")
    files[wheel_path] = wheel
    files[f"{WHEEL_DIR}/constraints.txt"] = (
        f"# {MARKER[0].upper()}{MARKER[1:]}: the versions of genplat's dependencies it ran with.\n" + constraints()
    ).encode("utf-8")
    return dict(sorted(files.items()))


def genplats(path: str, data: bytes) -> bool:
    """Whether genplat wrote the file now at ``path`` (so --force may replace it)."""
    if path.startswith(f"{WHEEL_DIR}/genplat-") and path.endswith(".whl"):
        return True
    if path.startswith("schemas/") and path.endswith(".schema.json"):
        try:
            doc = json.loads(data)
        except ValueError:
            return False
        return isinstance(doc, dict) and str(doc.get("$id", "")).startswith("https://genplat.dev/schemas/")
    head = data[:2000].decode("utf-8", "replace").lower().splitlines()[:5]
    return any(MARKER in line for line in head)


def _missing_lines(existing: bytes, wanted: bytes) -> list[str]:
    have = {line.strip() for line in existing.decode("utf-8", "replace").splitlines()}
    return [
        line
        for line in wanted.decode("utf-8").splitlines()
        if line.strip() and not line.startswith("#") and line.strip() not in have
    ]


def init_project(directory: Path, *, force: bool = False) -> InitResult:
    """Write the starter project into ``directory`` (created if missing), keeping what is there.

    Raises :class:`UsageError` listing every file it would overwrite (nothing written) unless ``force``;
    with ``force`` genplat's own files are replaced and any other file is kept (and said so).
    """
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: exists and is not a folder")
    files = starter_files(directory.resolve().name or "platform")
    result = InitResult()
    plan: dict[str, bytes] = {}
    conflicts: list[str] = []
    for rel, data in files.items():
        path = directory / rel
        if path.is_dir() or (path.exists() and not path.is_file()):
            conflicts.append(f"{rel} (a folder or special file is there)")
            continue
        if not path.exists():
            plan[rel] = data
            continue
        current = path.read_bytes()
        ours = genplats(rel, current)
        if rel in MERGE_LINES:
            lines = _missing_lines(current, data)
            if lines:
                sep = b"" if current.endswith(b"\n") or not current else b"\n"
                plan[rel] = current + sep + ("\n".join(["# genplat", *lines]) + "\n").encode("utf-8")
                result.appended.append((rel, lines))
            continue
        if rel in KEEP_USERS and not ours:
            result.kept.append((rel, "yours"))
            continue
        if force and ours:
            plan[rel] = data
        elif force:
            result.kept.append((rel, "genplat did not write it, so --force leaves it"))
        else:
            conflicts.append(
                f"{rel} ({'written by genplat init: --force replaces it' if ours else 'not written by genplat: kept even with --force'})"
            )
    if conflicts:
        raise UsageError(
            f"genplat init would overwrite {len(conflicts)} file(s) in {display(directory)}, so it wrote nothing:\n"
            + "\n".join(f"  {c}" for c in conflicts),
            hint="move or rename them, pass --force to replace genplat's own files, or run init in another folder",
        )
    for rel, data in plan.items():
        write_file(directory / rel, data)
        if (rel, "yours") not in result.kept and rel not in dict(result.appended):
            result.written.append(rel)
    result.removed = _old_wheels(directory, files) if force else []
    return result


def _old_wheels(directory: Path, files: dict[str, bytes]) -> list[str]:
    """Remove wheels genplat put in .genplat/ before that are not this genplat's."""
    removed = []
    folder = directory / WHEEL_DIR
    for old in sorted(folder.glob("genplat-*.whl")) if folder.is_dir() else []:
        rel = f"{WHEEL_DIR}/{old.name}"
        if rel not in files:
            old.unlink()
            removed.append(rel)
    return removed


def pin_project(directory: Path) -> InitResult:
    """``genplat init --pin-only``: this genplat's wheel and constraints in .genplat/, and the workflow's pin
    lines set to it (the workflow otherwise as it is); blueprints and everything else untouched."""
    files = starter_files(directory.resolve().name or "platform")
    result = InitResult()
    for rel, data in files.items():
        if rel.startswith(f"{WHEEL_DIR}/"):
            path = directory / rel
            if not path.exists() or path.read_bytes() != data:
                write_file(path, data)
                result.written.append(rel)
    result.removed = _old_wheels(directory, files)
    workflow = directory / WORKFLOW
    wheel = next(rel for rel in files if rel.endswith(".whl"))
    if not workflow.exists():
        write_file(workflow, files[WORKFLOW])
        result.written.append(WORKFLOW)
        return result
    original = workflow.read_text(encoding="utf-8")
    if "GENPLAT_WHEEL:" not in original:
        result.kept.append((WORKFLOW, "it has no GENPLAT_WHEEL pin to update; install the wheel in it yourself"))
        return result
    pins = [
        Assignment((Key("env"), Key("GENPLAT_WHEEL")), _text(wheel)),
        Assignment((Key("env"), Key("GENPLAT_WHEEL_SHA256")), _text(sha256(files[wheel]))),
    ]
    text = edit_text(original, pins)
    if text != original:
        write_file(workflow, text.encode("utf-8"))
        result.written.append(WORKFLOW)
    return result


def _text(value: str) -> str:
    """VALUE text that reads back as the string ``value`` (quoted only where YAML would read another type)."""
    return json.dumps(value) if needs_quotes(value) else value


def display(path: Path) -> str:
    """A folder as the user can find it: relative to the working folder where that is shorter."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
