"""Turning a side's description into a :class:`Snapshot`: an output folder, a git revision, the
working tree, or an OCI bundle.

Git revisions are read with read-only plumbing (``git ls-tree`` and ``git cat-file --batch``): the
files of the revision go straight into memory (committed output) or into a temporary folder (the
blueprints to render). Nothing in the repository is written — not the working tree, not the index,
not HEAD, not even ``.git/worktrees``. Rendering calls the library's ``genplat.build`` with
``check_only=True``, which returns the rendered files without writing them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
import typing as t
from pathlib import Path

from genplat import packaging, publish
from genplat.core.errors import GenplatError
from genplat.core.report import format_text
from genplat.diff._model import SideInfo
from genplat.diff._snapshot import DiffInputError, Snapshot, _is_yaml, read_output, snapshot_from_files
from genplat.loader.sources import blueprints_from_files, blueprints_from_folder
from genplat.pipeline import RenderOptions, render
from genplat.publish.auth import resolve_credentials
from genplat.publish.registry import RegistryClient

ClientFactory = t.Callable[[str], t.Any]  # registry host → genplat.publish.RegistryClient


@dataclasses.dataclass(slots=True)
class SideOptions:
    project: Path = Path(".")
    out_name: str = "out"  # the output folder inside the project
    use_committed_output: bool = False  # compare committed out/ instead of rendering the blueprints
    client_factory: ClientFactory | None = None


# --- git ------------------------------------------------------------------------------------------


def _git(
    args: list[str], cwd: Path, *, input: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, env=env)
    except FileNotFoundError:
        raise DiffInputError("git is not installed", hint="install git, or compare output folders") from None
    if check and proc.returncode != 0:
        raise DiffInputError(f"git {' '.join(args[:2])} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc


def git_repo(project: Path) -> tuple[Path, str] | None:
    """(repository root, the project's path inside it with a trailing slash or "") or None."""
    proc = _git(["rev-parse", "--show-toplevel", "--show-prefix"], project, check=False)
    if proc.returncode != 0:
        return None
    lines = proc.stdout.decode().split("\n")
    return Path(lines[0]), lines[1] if len(lines) > 1 else ""


def resolve_revision(project: Path, rev: str) -> str | None:
    if rev.startswith("-"):
        return None
    proc = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], project, check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def read_tree(root: Path, treeish: str) -> dict[str, bytes] | None:
    """Every regular file under ``treeish`` (``<sha>:<path>``) as {relative path: bytes}, or None when
    that path does not exist at the revision. Symlinks and submodules are left out."""
    if _git(["cat-file", "-e", treeish], root, check=False).returncode != 0:
        return None
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", treeish], root).stdout
    entries: list[tuple[str, str]] = []
    for item in listing.split(b"\0"):
        if not item:
            continue
        meta, _, raw_path = item.partition(b"\t")
        mode, kind, sha = meta.decode().split(" ")
        if kind == "blob" and mode in ("100644", "100755"):
            entries.append((raw_path.decode("utf-8", "surrogateescape"), sha))
    if not entries:
        return {}
    out = _git(["cat-file", "--batch"], root, input="".join(f"{sha}\n" for _, sha in entries).encode()).stdout
    files: dict[str, bytes] = {}
    pos = 0
    for path, _sha in entries:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split(b" ")
        size = int(header[2])
        files[path] = out[nl + 1 : nl + 1 + size]
        pos = nl + 1 + size + 1
    return files


# --- rendering ------------------------------------------------------------------------------------


def render_project(project_dir: Path) -> dict[tuple[str, str], bytes]:
    """Render the blueprints in ``project_dir`` in memory: {(bundle, path in bundle): bytes}.

    The one place that renders; it skips the manifest checks (``genplat build --check`` and
    ``genplat check`` are there for those).
    """
    result = render(RenderOptions(project=project_dir, run_checks=False))
    if not result.ok:
        errors = [d for d in result.diagnostics if d.is_error]
        raise DiffInputError(
            f"{project_dir}: the blueprints do not build ({len(errors)} error(s)):\n"
            + format_text(errors[:10]).rstrip(),
            hint="fix them (genplat validate), or compare output folders",
        )
    bundles = sorted(result.bundles, key=len, reverse=True)
    files: dict[tuple[str, str], bytes] = {}
    for path, data in result.files.items():
        for b in bundles:
            if path.startswith(b + "/"):
                rest = path[len(b) + 1 :]
                if _is_yaml(rest.rsplit("/", 1)[-1]):
                    files[(b, rest)] = data
                break
    return files


def _write_tree(files: dict[str, bytes], dest: Path) -> None:
    for path, data in files.items():
        parts = path.split("/")
        if any(p in ("", ".", "..") for p in parts):
            continue
        target = dest.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def git_side(rev: str, sha: str, opts: SideOptions) -> tuple[Snapshot, SideInfo]:
    repo = git_repo(opts.project)
    assert repo is not None
    root, prefix = repo
    prefix = prefix.rstrip("/")
    label = f"{rev} ({sha[:12]})" if rev != sha else sha[:12]
    if opts.use_committed_output:
        out_path = f"{prefix}/{opts.out_name}" if prefix else opts.out_name
        files = read_tree(root, f"{sha}:{out_path}")
        bp_path = f"{prefix}/blueprints" if prefix else "blueprints"
        bp_files = read_tree(root, f"{sha}:{bp_path}") or {}
        blueprints = blueprints_from_files({f"blueprints/{p}": d for p, d in bp_files.items()})
        if files is None:
            return (
                Snapshot({}, label, blueprints, "no project at that revision"),
                SideInfo("git", rev, f"{label}, no {opts.out_name}/ committed"),
            )
        snap = snapshot_from_files(files, label)
        snap.blueprints, snap.no_blueprints = blueprints, "no blueprints/ folder at that revision"
        return snap, SideInfo("git", rev, label)
    files = read_tree(root, f"{sha}:{prefix}" if prefix else f"{sha}^{{tree}}")
    if files is None:
        return Snapshot({}, label, None, "no project at that revision"), SideInfo(
            "git", rev, f"{label}, no project there"
        )
    # The output folder is not needed to render; leave it out (it can be large).
    files = {p: d for p, d in files.items() if not p.startswith(opts.out_name + "/")}
    tmp = Path(tempfile.mkdtemp(prefix="genplat-diff-rev-"))
    try:
        _write_tree(files, tmp)
        return (
            Snapshot(render_project(tmp), label, blueprints_from_files(files), "no platform blueprint"),
            SideInfo("git", rev, label),
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def worktree_side(opts: SideOptions) -> tuple[Snapshot, SideInfo]:
    if opts.use_committed_output:
        out = opts.project / opts.out_name
        label = f"working tree ({opts.out_name}/)"
        if not out.is_dir():
            raise DiffInputError(f"{out}: no output folder", hint="run genplat build first")
        snap = read_output(out, label=label)
        snap.blueprints, snap.no_blueprints = blueprints_from_folder(opts.project), "no platform blueprint"
        return snap, SideInfo("worktree", str(out), label)
    return (
        Snapshot(
            render_project(opts.project), "working tree", blueprints_from_folder(opts.project), "no platform blueprint"
        ),
        SideInfo("worktree", str(opts.project), "working tree"),
    )


# --- OCI ------------------------------------------------------------------------------------------

_REGISTRY_LIKE = re.compile(r"^[A-Za-z0-9.-]+(?::\d+)?/")


def looks_like_oci(spec: str) -> bool:
    if spec.startswith("oci:") or "@sha256:" in spec:
        return True
    m = _REGISTRY_LIKE.match(spec)
    if not m:
        return False
    host = m.group(0)[:-1]
    return "." in host or ":" in host or host.startswith("localhost")


def oci_side(spec: str, opts: SideOptions) -> tuple[Snapshot, SideInfo, str]:
    """The bundle behind an OCI reference; also returns the artifact's bundle name (tag or repo name)."""
    ref = packaging.parse_ref(spec)
    client = None
    if isinstance(ref, packaging.LayoutRef):
        name = ref.tag
    else:
        if opts.client_factory is None:
            client = RegistryClient(ref.registry, credentials=resolve_credentials(ref.registry))
        else:
            client = opts.client_factory(ref.registry)
        name = ref.repository.rsplit("/", 1)[-1]
    artifact = publish.fetch_artifact(ref, client=client)
    content = packaging.read_targz(artifact.layer.data)
    files: dict[tuple[str, str], bytes] = {}
    for path, (data, _mode) in content.items():
        if artifact.format == "imgpkg":  # manifests live under config/ beside .imgpkg/
            if not path.startswith(packaging.IMGPKG_CONFIG_DIR + "/"):
                continue
            path = path[len(packaging.IMGPKG_CONFIG_DIR) + 1 :]
        if path.split("/", 1)[0].startswith((".", "_")) or not _is_yaml(path.rsplit("/", 1)[-1]):
            continue
        files[(name, path)] = data
    label = f"{spec}" if "@sha256:" in spec else f"{spec} ({artifact.digest[:19]})"
    return Snapshot(files, label, None, "an OCI bundle"), SideInfo("oci", spec, label), name


# --- putting it together ----------------------------------------------------------------------------


def open_side(spec: str | None, opts: SideOptions) -> tuple[Snapshot, SideInfo, str | None]:
    """``spec`` None is the working tree. Returns the snapshot, its description and, for an OCI
    bundle, the bundle's name (so the caller can line it up with a bundle of the other side)."""
    if spec is None:
        return (*worktree_side(opts), None)
    for prefix, kind in (("dir:", "dir"), ("git:", "git")):
        if spec.startswith(prefix):
            return _explicit(kind, spec[len(prefix) :], opts)
    if Path(spec).is_dir():
        return _explicit("dir", spec, opts)
    if looks_like_oci(spec):
        return oci_side(spec, opts)
    return _explicit("git", spec, opts)


def _explicit(kind: str, value: str, opts: SideOptions) -> tuple[Snapshot, SideInfo, str | None]:
    if kind == "dir":
        path = Path(value)
        if (path / "blueprints").is_dir() and not any(path.glob("*/*/kustomization.yaml")):
            # A project folder (another checkout, a copy): its blueprints, rendered in memory.
            return (
                Snapshot(render_project(path), value, blueprints_from_folder(path), "no platform blueprint"),
                SideInfo("project", value, value),
                None,
            )
        return read_output(path, label=value), SideInfo("dir", value, value), None
    if git_repo(opts.project) is None:
        raise DiffInputError(
            f"{value!r} is not a folder, and {opts.project} is not in a git repository",
            hint="give output folders, or run genplat diff inside a git repository",
        )
    sha = resolve_revision(opts.project, value)
    if sha is None:
        raise DiffInputError(
            f"{value!r} is neither a folder, an OCI reference nor a git revision",
            hint="sides are output folders, git revisions (HEAD~1, main), registry/repo@sha256:… or oci:LAYOUT:TAG",
        )
    return (*git_side(value, sha, opts), None)


def align_oci(name: str, oci_snap: Snapshot, other: Snapshot, bundle: str | None) -> tuple[Snapshot, Snapshot]:
    """An OCI artifact holds one bundle: name it like the other side's bundle and drop the rest there.

    The artifact name is the layout tag or the repository's last path element, which genplat
    derives from the bundle by replacing "/" with "-" (dev/dev-eu → dev-dev-eu).
    """
    target = bundle
    if target is None:
        matches = [b for b in other.bundles if b.replace("/", "-") == name or b == name]
        target = matches[0] if matches else name
    renamed = dataclasses.replace(oci_snap, files={(target, p): d for (_, p), d in oci_snap.files.items()})
    if any(b == target for b in other.bundles):
        other = dataclasses.replace(other, files={k: v for k, v in other.files.items() if k[0] == target})
    return renamed, other


def no_git_for_default(project: Path) -> GenplatError:
    return DiffInputError(
        f"{project} is not in a git repository, so there is no HEAD to compare with",
        hint="give both sides: genplat diff BASE HEAD (output folders or OCI references)",
    )
