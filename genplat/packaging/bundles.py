"""Package stage, from a built ``out/``: every bundle folder read back (regular files only), packaged
in its cluster's delivery format, and checked against the digest ``genplat build`` pinned in the lock
file; provenance from git, as a referrer beside each bundle, never inside it.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import typing as t
from pathlib import Path

from genplat.checks.secrets import check_files
from genplat.core.errors import FindingsError, GenplatError, UsageError
from genplat.core.secrets import Allowances
from genplat.output.lockfile import LOCKFILE_NAME, read_secret_allowances
from genplat.packaging.artifact import Artifact, Blob, find_images, package_bundle, provenance_annotations
from genplat.packaging.pins import check_pinned, delivery_format, read_pins
from genplat.packaging.provenance import provenance_manifest
from genplat.packaging.tar import read_targz


def discover_bundles(out_dir: Path) -> dict[str, Path]:
    """``out/<env>/<cluster>/`` folders holding a kustomization.yaml → ``{"<env>-<cluster>": path}``."""
    if not out_dir.is_dir():
        raise UsageError(f"{out_dir}: no such folder; run `genplat build` first")
    found: dict[str, Path] = {}
    for env in sorted(p for p in out_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        for cluster in sorted(p for p in env.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            if (cluster / "kustomization.yaml").is_file():
                found[f"{env.name}-{cluster.name}"] = cluster
    if not found:
        raise UsageError(f"{out_dir}: no bundles (out/<env>/<cluster>/kustomization.yaml); run `genplat build` first")
    return found


def read_bundle(folder: Path) -> dict[str, bytes]:
    """Every regular file below ``folder`` by relative POSIX path; links are refused, not followed."""
    files: dict[str, bytes] = {}
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names) + [d for d in dirs if Path(root, d).is_symlink()]:
            path = Path(root, name)
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink() or not path.is_file():
                raise GenplatError(f"{path}: bundles hold regular files only (no links or special files)")
            files[rel] = path.read_bytes()
    return files


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def git_provenance(cwd: Path) -> dict[str, str]:
    """Annotations from git (remote URL, branch, commit) and SOURCE_DATE_EPOCH (else the commit time)."""
    epoch_text = os.environ.get("SOURCE_DATE_EPOCH") or _git(["log", "-1", "--format=%ct"], cwd)
    try:
        epoch = int(epoch_text) if epoch_text else 0
    except ValueError as exc:
        raise UsageError(f"SOURCE_DATE_EPOCH={epoch_text!r} is not a whole number of seconds") from exc
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
    return provenance_annotations(
        source=_git(["config", "--get", "remote.origin.url"], cwd),
        branch=None if branch == "HEAD" else branch,
        sha=_git(["rev-parse", "HEAD"], cwd),
        epoch=epoch,
    )


@dataclasses.dataclass(slots=True)
class Packaged:
    artifacts: dict[str, Artifact]  # "<env>-<cluster>" → artifact
    referrers: dict[str, Blob]  # "<env>-<cluster>" → its provenance referrer manifest (with provenance=True)


def refuse_secrets(bundles: t.Mapping[str, t.Mapping[str, bytes]], out_dir: Path) -> None:
    """Nothing with secret material leaves the machine: every file of every bundle (by its folder)
    through the one detector first (values the build's lock file records as allowed pass)."""
    allowed = read_secret_allowances(out_dir)
    findings = [
        d for folder, files in bundles.items() for d in check_files(files, prefix=f"{folder}/", allowed=allowed)
    ]
    if findings:
        raise FindingsError(findings, f"{len(findings)} secret value(s) in {out_dir}: nothing was packed")


def refuse_artifact_secrets(artifacts: t.Mapping[str, Artifact], allowed: Allowances) -> None:
    """What ``genplat push`` runs before it sends anything: every file inside every bundle's layer
    through the one detector, so a layout packed by hand or by an older genplat cannot leak either."""
    findings = []
    for name, art in sorted(artifacts.items()):
        files = {path: content for path, (content, _mode) in read_targz(art.layer.data).items()}
        findings += check_files(files, prefix=f"{name}:", allowed=allowed)
    if findings:
        raise FindingsError(findings, f"{len(findings)} secret value(s) in the bundles: nothing was pushed")


def package_out_dir(out_dir: Path, *, fmt: t.Literal["auto", "flux", "imgpkg"], provenance: bool = False) -> Packaged:
    """Every bundle of ``out_dir`` packaged (``auto``: in the format its cluster's wiring fetches), each
    digest checked against the lock, and with ``provenance`` a provenance referrer per bundle."""
    bundles = discover_bundles(out_dir)
    contents = {name: read_bundle(folder) for name, folder in bundles.items()}
    refuse_secrets({str(bundles[name]): files for name, files in contents.items()}, out_dir)
    pins = read_pins(out_dir)
    annotations = git_provenance(out_dir) if provenance else None
    artifacts: dict[str, Artifact] = {}
    referrers: dict[str, Blob] = {}
    for name, folder in bundles.items():
        chosen = (delivery_format(out_dir, name) or "flux") if fmt == "auto" else fmt
        files = contents[name]
        images = find_images(files) if chosen == "imgpkg" else ()
        art = package_bundle(files, fmt=chosen, images=images)
        check_pinned(
            name,
            chosen,
            art.digest,
            pins,
            what=str(folder),
            lock=out_dir / LOCKFILE_NAME,
            fix="out/ changed since `genplat build`: run `genplat build` (and commit out/) before packaging",
        )
        artifacts[name] = art
        if annotations:
            referrers[name] = provenance_manifest(art, annotations)
    return Packaged(artifacts, referrers)
