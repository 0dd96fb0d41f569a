from __future__ import annotations

import os
import typing as t
from pathlib import Path

import click

from genplat import loader
from genplat.cli._common import (
    fetch_options,
    format_option,
    max_file_size_option,
    project_option,
    report,
    resolve_project,
)
from genplat.loader import blueprint_folder, find_project
from genplat.loader.project import PLATFORM_FILE, blueprint_folder_of


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(file_okay=True, dir_okay=True))
@project_option
@max_file_size_option
@click.option(
    "--crds",
    "crds",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="CRD file or folder (repeatable), besides the platform blueprint's crds:, to check what the "
    "offerings' Compositions compose against (the Crossplane providers' CRDs).",
)
@fetch_options
@format_option
def command(
    paths: tuple[str, ...],
    project_dir: str | None,
    max_file_size: int,
    crds: tuple[Path, ...],
    offline: bool,
    mirrors: tuple[str, ...],
    fmt: str | None,
) -> None:
    """Check blueprints against their schemas and each other.

    PATHS is a folder inside the project (default: the project found upwards from the working
    folder, or -C DIR), or blueprint files: a file is checked with the rest of its project (the
    nearest folder upwards holding platform.yaml) and only its own findings are reported, as a
    pre-commit hook wants. Every finding is reported with file:line:col, a rule id and a hint.
    The guardrails that depend only on blueprint values (allowed registries, pinned image tags,
    a supported kubernetesVersion) run here too, so validate fails wherever build would.

    What the offerings' Compositions compose is checked against the Crossplane providers' CRDs (each
    cluster's locked add-ons, as blueprints/addons.lock.json records them; crds: in the platform
    blueprint, and --crds): served kinds and versions, patch sources and targets, the bases; and every
    tenant order is composed with its own values and checked too. CRDs the add-on cache lacks are
    fetched as the lock says (--offline refuses instead).
    """
    # The composition checks need the render and check stages: loaded only when the command runs.
    from genplat.addons import FetchOptions
    from genplat.pipeline import validate as validate_project  # deferred, as above

    def validation_validate(project: loader.Project) -> list[t.Any]:
        return validate_project(project, crds=crds, addons=FetchOptions(offline=offline, mirrors=mirrors))

    if project_dir is not None and paths:
        raise click.UsageError("give -C DIR or PATHS, not both")
    targets = list(paths) or [str(blueprint_folder(resolve_project(project_dir)))]
    for target in targets:
        if not Path(target).exists():
            loader.load_project(target)  # raises the usage error that explains a missing folder
    folders = [p for p in targets if Path(p).is_dir()]
    files = [Path(p) for p in targets if not Path(p).is_dir()]
    if (folders and files) or len(folders) > 1:
        raise click.UsageError("give one blueprint folder, or blueprint files")
    if folders or not files:
        folder = folders[0] if folders else targets[0]
        if not (Path(folder) / PLATFORM_FILE).is_file() and not (Path(folder) / "blueprints").is_dir():
            found = find_project(Path(folder))  # a folder inside the project, such as blueprints/tenants
            if found is not None and Path(folder).resolve().is_relative_to(blueprint_folder(found).resolve()):
                folder = str(blueprint_folder(resolve_project(positional=folder)))
        project = loader.load_project(folder, max_file_size=max_file_size)
        findings = validation_validate(project)
        n = len(project.tenants) + (1 if project.platform else 0)
        raise SystemExit(report(findings, fmt, quiet_ok=f"{n} blueprint(s) valid"))
    roots = {blueprint_folder_of(f) for f in files}
    if None in roots or len(roots) != 1:
        # Files outside a project (or from several): validate them on their own.
        lone = loader.load_project(files[0], max_file_size=max_file_size) if len(files) == 1 else None
        if lone is None:
            raise click.UsageError("blueprint files must belong to one project (a folder with platform.yaml)")
        findings = validation_validate(lone)
        raise SystemExit(report(findings, fmt, quiet_ok="1 blueprint(s) valid"))
    root = roots.pop()
    assert root is not None
    project = loader.load_project(root, max_file_size=max_file_size)
    wanted = {os.path.normcase(os.path.abspath(f)) for f in files}
    findings = [
        d for d in validation_validate(project) if d.file and os.path.normcase(os.path.abspath(d.file)) in wanted
    ]
    raise SystemExit(report(findings, fmt, quiet_ok=f"{len(files)} blueprint(s) valid"))
