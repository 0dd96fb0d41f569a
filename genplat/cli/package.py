"""``genplat package``: every bundle under out/ into one OCI Image Layout, digests printed."""

from __future__ import annotations

import json
import os
import subprocess
import typing as t
from pathlib import Path

import click

from genplat.core.errors import GenplatError, UsageError
from genplat.cli._common import project_option
from genplat.packaging.artifact import (
    FORMATS,
    Artifact,
    Blob,
    find_images,
    package_bundle,
    provenance_annotations,
)
from genplat.packaging.layout import write_layout
from genplat.packaging.pins import LOCK_FILE, check_pinned, delivery_format, read_pins
from genplat.packaging.provenance import provenance_manifest


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


def package_out_dir(out_dir: Path, *, fmt: t.Literal["auto", "flux", "imgpkg"],
                    provenance: bool = False) -> tuple[dict[str, Artifact], dict[str, Blob]]:
    """Every bundle of ``out_dir`` packaged (``auto``: in the format its cluster's wiring fetches), each
    digest checked against the lock, and with ``provenance`` a provenance referrer per bundle."""
    bundles = discover_bundles(out_dir)
    pins = read_pins(out_dir)
    annotations = git_provenance(out_dir) if provenance else None
    artifacts: dict[str, Artifact] = {}
    referrers: dict[str, Blob] = {}
    for name, folder in bundles.items():
        chosen = (delivery_format(out_dir, name) or "flux") if fmt == "auto" else fmt
        files = read_bundle(folder)
        images = find_images(files) if chosen == "imgpkg" else ()
        art = package_bundle(files, fmt=chosen, images=images)
        check_pinned(name, chosen, art.digest, pins, what=str(folder), lock=out_dir / LOCK_FILE,
                     fix="out/ changed since `genplat build`: run `genplat build` (and commit out/) before packaging")
        artifacts[name] = art
        if annotations:
            referrers[name] = provenance_manifest(art, annotations)
    return artifacts, referrers


def _out_dir(where: str | None, project_dir: str | None) -> Path:
    """OUT_DIR as given (a folder of bundles, as before), else the out/ of the project found."""
    from genplat.cli._common import find_project, out_of, resolve_project

    if where is not None:
        given = Path(where)
        holds_bundles = (given / "genplat.lock.json").is_file() or any(given.glob("*/*/kustomization.yaml"))
        if holds_bundles or find_project(given) is None:
            return given
    if where is None and project_dir is None and find_project(Path(".")) is None:
        return Path("out")  # an out/ folder on its own (say, a CI artifact), as before
    return out_of(resolve_project(project_dir, where))


@click.command("package")
@click.argument("where", required=False, metavar="[PROJECT|OUT_DIR]", type=click.Path(file_okay=False))
@project_option
@click.option("--bundle-format", "bundle_format", type=click.Choice(["auto", *FORMATS]), default=None,
              help="Bundle format: auto (the default: each cluster in its delivery's format, flux for an "
                   "OCIRepository, imgpkg for a kapp-controller App), or flux / imgpkg for every bundle.")
@click.option("--output", "layout", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="OCI Image Layout to write [default: OUT_DIR/.oci].")
@click.option("--provenance", is_flag=True,
              help="Add a provenance referrer per bundle (source, revision, created from git and "
                   "SOURCE_DATE_EPOCH); the bundles' own digests stay the pinned ones.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", *FORMATS]), default=None,
              help="Output as text (default) or json, like every command's --format. "
                   "(Until 0.2, --format flux|imgpkg still means --bundle-format, with a warning.)")
@click.option("--output-format", "output_format", type=click.Choice(["text", "json"]), default=None, hidden=True)
def command(where: str | None, project_dir: str | None, bundle_format: str | None, layout: Path | None, provenance: bool,
            fmt: str | None, output_format: str | None) -> None:
    """Package every bundle of the project's out/ as an OCI artifact in a local OCI layout.

    The project is PROJECT or -C DIR, or found upwards from the working folder; an OUT_DIR folder
    of bundles may be given instead. Each bundle out/<env>/<cluster>/ is tagged <env>-<cluster> in
    the layout, in the format its cluster's wiring in out/_gitops/ fetches. The digests depend only on
    the bundle content and the format, and must be the ones out/genplat.lock.json pins: a bundle
    changed since `genplat build` is refused. Provenance never enters a bundle's manifest: it is a
    referrer beside it.
    """
    if fmt in FORMATS:
        click.echo(f"genplat: warning: --format {fmt} is now --bundle-format {fmt} (--format is the output format)", err=True)
        if bundle_format is not None and bundle_format != fmt:
            raise click.UsageError(f"--format {fmt} and --bundle-format {bundle_format} disagree")
        bundle_format, fmt = fmt, None
    output = output_format or ("json" if fmt == "json" else "text")
    kind = t.cast('t.Literal["auto", "flux", "imgpkg"]', bundle_format or "auto")
    out_dir = _out_dir(where, project_dir)
    artifacts, referrers = package_out_dir(out_dir, fmt=kind, provenance=provenance)
    layout = layout or out_dir / ".oci"
    write_layout(layout, artifacts, referrers)
    for name, art in artifacts.items():
        for warning in art.warnings:
            click.echo(f"genplat: warning: {name}: {warning}", err=True)
    if output == "json":
        used = {a.format for a in artifacts.values()}
        doc = {"version": 1, "format": used.pop() if len(used) == 1 else "mixed", "layout": str(layout),
               "bundles": [{"name": n, "format": a.format, "digest": a.digest, "ref": f"oci:{layout}:{n}",
                            "provenance": referrers[n].digest if n in referrers else None,
                            "warnings": list(a.warnings)}
                           for n, a in artifacts.items()]}
        click.echo(json.dumps(doc, indent=2))
    else:
        width = max(len(n) for n in artifacts)
        for name, art in artifacts.items():
            click.echo(f"{name:<{width}}  {art.digest}")
