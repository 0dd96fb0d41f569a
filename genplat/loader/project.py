"""Load stage: find the blueprint files of a project and read them safely.

A project folder is either the ``blueprints/`` folder itself or a folder holding one. Every
``*.yaml``/``*.yml`` file under it (except ``templates/`` and ``addons/``, which holds vendored add-on
CRDs) is a blueprint; its ``kind`` says which. The add-on lock beside ``platform.yaml``
(``addons.lock.json``) is read too.
"""

from __future__ import annotations

import dataclasses
import os
import typing as t
from pathlib import Path

from genplat.core.addons import LOCK_FILE, AddonLock, parse_lock
from genplat.core.diagnostics import Diagnostic, anchor_path, json_path
from genplat.core.errors import UsageError
from genplat.core.objects import Origin
from genplat.core.parallel import fork_map, state
from genplat.core.suggest import did_you_mean
from genplat.core.text import escape_name
from genplat.loader.read import InputError, read_input
from genplat.loader.safe_yaml import DEFAULT_MAX_BYTES, YamlDocument, load_documents

API_VERSION = "genplat.dev/v1alpha1"
KINDS = ("Platform", "Tenant")


@dataclasses.dataclass(slots=True)
class Blueprint:
    """A blueprint document with the positions of its values."""

    doc: YamlDocument

    @property
    def file(self) -> str:
        return self.doc.file

    @property
    def data(self) -> dict[str, t.Any]:
        return self.doc.data if isinstance(self.doc.data, dict) else {}

    @property
    def kind(self) -> str | None:
        kind = self.data.get("kind")
        return kind if isinstance(kind, str) else None

    @property
    def name(self) -> str:
        meta = self.data.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        return name if isinstance(name, str) else ""

    @property
    def spec(self) -> dict[str, t.Any]:
        spec = self.data.get("spec")
        return spec if isinstance(spec, dict) else {}

    def origin(self, path: t.Sequence[str | int] = (), *, key: bool = False) -> Origin:
        line, column = self.doc.locate(path, key=key)
        return Origin(self.file, line, column, json_path(path), anchor_path(path, self.data))

    def diagnostic(
        self, rule: str, message: str, path: t.Sequence[str | int] = (), *, hint: str | None = None, key: bool = False
    ) -> Diagnostic:
        o = self.origin(path, key=key)
        return Diagnostic(rule=rule, message=message, file=o.file, line=o.line, column=o.column, path=o.path, hint=hint)


@dataclasses.dataclass(slots=True)
class Project:
    root: Path
    platform: Blueprint | None
    tenants: list[Blueprint]
    diagnostics: list[Diagnostic]  # findings of the load stage
    templates_dir: Path | None = None
    # Blueprints whose kind or apiVersion is wrong: kept so validation can report on them.
    others: list[Blueprint] = dataclasses.field(default_factory=list)
    # The add-on lock beside platform.yaml (None: there is none, or it did not parse: see diagnostics).
    addon_lock: AddonLock | None = None
    addon_lock_present: bool = False

    def tenant(self, name: str) -> Blueprint | None:
        return next((b for b in self.tenants if b.name == name), None)


def _display(path: Path) -> str:
    """Paths in messages: relative to the working directory when below it, so editors can open them."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


# --- Where a project keeps things: the one place that decides -------------------------------------
# A project is a folder holding ``blueprints/platform.yaml`` (found upwards from anywhere inside it, as
# git finds a repository), or a blueprint folder itself (one holding ``platform.yaml``). Rendered
# output goes to ``out/`` beside ``blueprints/``.


PLATFORM_FILE = "platform.yaml"
# Folders of the blueprint folder that hold no blueprints: Jinja2 templates, vendored add-on CRDs.
NOT_BLUEPRINTS = ("templates", "addons")
# The largest add-on lock read (a lock of a hundred add-ons is a few hundred KiB).
MAX_LOCK_BYTES = 16 << 20


def blueprint_folder(project: Path) -> Path:
    """The folder holding ``platform.yaml`` and ``tenants/``: ``project/blueprints`` or ``project`` itself."""
    if (project / "blueprints").is_dir() and not (project / PLATFORM_FILE).exists():
        return project / "blueprints"
    return project


def project_folder(blueprints: Path) -> Path:
    """The project a blueprint folder belongs to: its parent when it is named ``blueprints``. Paths in
    rendered output (source comments) and ``out/`` are relative to it."""
    return blueprints.parent if blueprints.name == "blueprints" else blueprints


def output_folder(project: Path) -> Path:
    """``out/`` beside the blueprint folder (inside the project, never inside ``blueprints/``)."""
    return project_folder(blueprint_folder(project)) / "out"


def find_project(start: Path) -> Path | None:
    """The project at or above ``start``: the nearest folder holding ``blueprints/platform.yaml``, or a
    blueprint folder itself (its parent when it is named ``blueprints``)."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / "blueprints" / PLATFORM_FILE).is_file():
            return folder
        if (folder / PLATFORM_FILE).is_file():
            return project_folder(folder)
    return None


def blueprint_folder_of(file: Path) -> Path | None:
    """The blueprint folder a blueprint file belongs to: the nearest folder upwards with ``platform.yaml``."""
    for folder in file.resolve().parents:
        if (folder / PLATFORM_FILE).is_file():
            return folder
    return None


def blueprint_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        # templates/ holds Jinja2, addons/ vendored CRDs, and hidden folders are tooling state.
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not (rel == Path(".") and d in NOT_BLUEPRINTS)
        )
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                files.append(Path(dirpath) / name)
    return files


# Files parsed per worker task when a project is read in parallel.
PARSE_CHUNK = 500


def _read(
    file: Path, max_file_size: int, overrides: t.Mapping[Path, bytes] | None = None, root: Path | None = None
) -> tuple[str, list[YamlDocument] | None, list[Diagnostic]]:

    display = escape_name(_display(file))
    try:
        # Regular files only (a FIFO or /dev/zero is a finding, never a hang), within the size
        # limit, and inside the project folder when it is a symlink.
        raw = (
            overrides[file.resolve()]
            if overrides and file.resolve() in overrides
            else read_input(file, max_bytes=max_file_size, within=root)
        )
    except InputError as exc:
        at = (1, 1) if exc.rule == "file-too-large" else (None, None)  # unreadable: the whole file
        return (
            display,
            None,
            [Diagnostic(rule=exc.rule, message=exc.message, file=display, line=at[0], column=at[1], hint=exc.hint)],
        )
    docs, diags = load_documents(raw, display, max_bytes=max_file_size)
    return display, docs, diags


def _read_chunk(item: tuple[int, int]) -> list[tuple[str, list[YamlDocument] | None, list[Diagnostic]]]:
    shared = state()
    return [_read(f, shared["max"], root=shared["root"]) for f in shared["files"][item[0] : item[1]]]


def _read_all(
    files: list[Path], max_file_size: int, jobs: int, root: Path | None = None
) -> list[tuple[str, list[YamlDocument] | None, list[Diagnostic]]]:
    if jobs <= 1 or len(files) < 2 * PARSE_CHUNK:
        return [_read(f, max_file_size, root=root) for f in files]
    ranges = [(i, min(i + PARSE_CHUNK, len(files))) for i in range(0, len(files), PARSE_CHUNK)]
    parts = fork_map(_read_chunk, ranges, jobs=jobs, shared={"files": files, "max": max_file_size, "root": root})
    return [entry for part in parts for entry in part]


def load_project(
    path: str | os.PathLike[str],
    *,
    max_file_size: int = DEFAULT_MAX_BYTES,
    jobs: int = 1,
    overrides: t.Mapping[Path, bytes] | None = None,
) -> Project:
    """Read every blueprint under ``path``. Never raises for bad input: findings go in ``diagnostics``.

    With ``jobs`` > 1, large projects are parsed by that many forked workers (same result, in order).
    ``overrides`` (resolved path → bytes) are read instead of those files, and count as present when they
    are not on disk yet: authoring commands validate an edit this way before writing it.
    """
    given = Path(path)
    if not given.exists():
        raise UsageError(f"{given}: no such folder", hint="pass the folder that holds platform.yaml")
    root = blueprint_folder(given) if given.is_dir() else given.parent
    files = blueprint_files(root) if given.is_dir() else [given]
    if overrides:
        known = {f.resolve() for f in files}
        base = root.resolve()
        files += sorted(p for p in overrides if p not in known and given.is_dir() and p.is_relative_to(base))
    diagnostics: list[Diagnostic] = []
    platforms: list[Blueprint] = []
    tenants: list[Blueprint] = []
    others: list[Blueprint] = []
    unloaded = 0  # files that could not be read or parsed: one of them may be the platform
    within = root if given.is_dir() else None
    read = (
        [_read(f, max_file_size, overrides, within) for f in files]
        if overrides
        else _read_all(files, max_file_size, jobs, within)
    )
    for _display_name, docs, diags in read:
        diagnostics.extend(diags)
        if docs is None:
            unloaded += 1
            continue
        if not docs:
            unloaded += 1
            continue
        bp = Blueprint(docs[0])
        if not isinstance(bp.doc.data, dict):
            diagnostics.append(
                bp.diagnostic(
                    "blueprint-kind", "a blueprint must be a mapping with apiVersion, kind, metadata and spec"
                )
            )
            continue
        diagnostics.extend(_check_header(bp))
        if bp.kind == "Platform":
            platforms.append(bp)
        elif bp.kind == "Tenant":
            tenants.append(bp)
        else:
            others.append(bp)
    platform = platforms[0] if platforms else None
    for extra in platforms[1:]:
        diagnostics.append(
            extra.diagnostic(
                "platform-duplicate",
                "a project has exactly one Platform blueprint",
                ("kind",),
                hint=f"the first one is {platforms[0].file}",
            )
        )
    # When a file failed to load, "no platform" may only be a consequence: its own finding says why.
    if platform is None and files and not unloaded:
        diagnostics.append(
            Diagnostic(
                rule="platform-missing",
                message="no Platform blueprint found",
                file=_display(root),
                hint="add platform.yaml with kind: Platform",
            )
        )
    elif not files:
        diagnostics.append(
            Diagnostic(
                rule="platform-missing",
                message="no blueprint files (*.yaml) found",
                file=_display(root),
                hint="pass the folder that holds platform.yaml and tenants/",
            )
        )
    templates = root / "templates"
    lock, lock_present, lock_findings = read_addon_lock(root)
    diagnostics.extend(lock_findings)
    return Project(
        root=root,
        platform=platform,
        tenants=tenants,
        diagnostics=diagnostics,
        templates_dir=templates if templates.is_dir() else None,
        others=others,
        addon_lock=lock,
        addon_lock_present=lock_present,
    )


def read_addon_lock(blueprints: Path) -> tuple[AddonLock | None, bool, list[Diagnostic]]:
    """The add-on lock of a blueprint folder: (lock or None, whether the file exists, findings)."""
    path = blueprints / LOCK_FILE
    if not os.path.lexists(path):
        return None, False, []
    display = escape_name(_display(path))
    try:
        raw = read_input(path, max_bytes=MAX_LOCK_BYTES, within=blueprints)
    except InputError as exc:
        return None, True, [Diagnostic(rule="addons-lock-invalid", message=exc.message, file=display, hint=exc.hint)]
    lock, problems = parse_lock(raw, display)
    hint = "run `genplat addons lock` to write it again"
    return (
        lock,
        True,
        [
            Diagnostic(rule="addons-lock-invalid", message=m, file=display, line=line, column=col, hint=hint)
            for line, col, m in problems
        ],
    )


def _check_header(bp: Blueprint) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    api = bp.data.get("apiVersion")
    if api != API_VERSION:
        out.append(
            bp.diagnostic(
                "blueprint-api-version",
                f"apiVersion must be {API_VERSION!r}, not {api!r}" if api is not None else "apiVersion is missing",
                ("apiVersion",),
                hint=f"set apiVersion: {API_VERSION}",
            )
        )
    kind = bp.data.get("kind")
    if kind not in KINDS:
        out.append(
            bp.diagnostic(
                "blueprint-kind",
                f"kind must be Platform or Tenant, not {kind!r}" if kind is not None else "kind is missing",
                ("kind",),
                hint=did_you_mean(str(kind), KINDS) or "use kind: Platform (one per project) or kind: Tenant",
            )
        )
    return out
