from __future__ import annotations

from pathlib import Path

import click

from genplat.cli._choices import SPLITS
from genplat.cli._common import (
    fetch_options,
    format_option,
    max_file_size_option,
    project_option,
    report,
    resolve_project,
)
from genplat.cli.render import render_to_stdout


@click.command("build")
@click.argument("project", required=False, type=click.Path(exists=True, file_okay=False))
@project_option
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: out/ beside blueprints/); '-' writes the manifests to stdout, as `genplat render`.",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 and list stale, missing and extra files when out/ differs from the blueprints.",
)
@click.option(
    "--split",
    type=click.Choice(SPLITS),
    default="per-tenant",
    show_default=True,
    help="One multi-document file per tenant, or one file per object.",
)
@max_file_size_option
@click.option(
    "--crds",
    "crds",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="CRD file or folder to check custom resources against on every cluster (repeatable; adds to crds: in the "
    "platform blueprint and to each cluster's locked add-ons).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Render everything even when the inputs are unchanged since the last build (out/.genplat/state.json).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for large builds (default: one per CPU, at most 8; 1 renders in process).",
)
@click.option("--timings", is_flag=True, help="Print the time each phase took.")
@fetch_options
@format_option
def command(
    project: str | None,
    project_dir: str | None,
    out_dir: Path | None,
    check_only: bool,
    split: str,
    max_file_size: int,
    crds: tuple[Path, ...],
    full: bool,
    jobs: int | None,
    timings: bool,
    offline: bool,
    mirrors: tuple[str, ...],
    fmt: str | None,
) -> None:
    """Render the blueprints of the project into checked bundles under out/.

    The project is PROJECT or -C DIR, or found upwards from the working folder (as git finds a
    repository), so the command works from any folder inside it.

    \b
    out/<env>/<cluster>/          one bundle per cluster (kustomization.yaml at its root)
    out/_gitops/                  Flux / kapp-controller wiring, pinned by each bundle's OCI digest
    out/genplat.lock.json         every bundle's files with sha256, content hash and OCI digests
    Every object is checked (its cluster's Kubernetes version, the CRDs of the add-on versions the
    cluster runs as blueprints/addons.lock.json records them, tenant guardrails) before anything is
    written; nothing is written unless every check passes; unchanged files are left alone. CRDs the
    add-on cache lacks are fetched as the lock says (--offline refuses instead).
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.addons import FetchOptions
    from genplat.pipeline import BuildOptions, build  # deferred, as above

    root = resolve_project(project_dir, project)
    if out_dir is not None and str(out_dir) == "-":
        if check_only:
            raise click.UsageError("--check compares with an output folder; it cannot be combined with -o -")

        raise SystemExit(
            render_to_stdout(
                root,
                crds=tuple(crds),
                split=split,
                max_file_size=max_file_size,
                jobs=jobs,
                fmt=fmt,
                offline=offline,
                mirrors=mirrors,
            )
        )
    result = build(
        BuildOptions(
            project=root,
            out_dir=out_dir,
            check_only=check_only,
            split=split,
            max_file_size=max_file_size,
            crds=tuple(crds),
            incremental=not full,
            jobs=jobs,
            on_wait=lambda message: click.echo(f"genplat: {message}", err=True),
            addons=FetchOptions(offline=offline, mirrors=mirrors),
        )
    )
    code = report(result.diagnostics, fmt)
    if code:
        click.echo("build failed: nothing was written", err=True)
        raise SystemExit(code)
    if timings:
        total = sum(result.timings.values())
        for phase, seconds in result.timings.items():
            click.echo(
                f"  {phase:<9} {seconds * 1000:8.1f} ms  {seconds / total * 100 if total else 0:5.1f} %", err=True
            )
    if result.up_to_date_by_fingerprint:
        click.echo(
            f"out/ is up to date: inputs unchanged since the last build and its {result.unchanged} files intact "
            "(--full renders anyway)",
            err=True,
        )
        raise SystemExit(0)
    if check_only:
        if result.up_to_date:
            click.echo(f"out/ is up to date ({len(result.files)} files)", err=True)
            raise SystemExit(0)
        for label, paths in (("stale", result.stale), ("missing", result.missing), ("extra", result.extra)):
            for p in paths:
                click.echo(f"{label}: {p}")
        click.echo("out/ is not what the blueprints render: run `genplat build` and commit the result", err=True)
        raise SystemExit(1)
    click.echo(
        f"built {len(result.bundles)} bundle(s), {result.objects} object(s): "
        f"{len(result.written)} file(s) written, {result.unchanged} unchanged, {len(result.removed)} removed",
        err=True,
    )
