"""``genplat package``: every bundle under out/ into one OCI Image Layout, digests printed."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import click

from genplat.cli._choices import BUNDLE_FORMATS
from genplat.cli._common import project_option, report, resolve_project
from genplat.core.errors import FindingsError
from genplat.loader import find_project, output_folder


def _out_dir(where: str | None, project_dir: str | None) -> Path:
    """OUT_DIR as given (a folder of bundles, as before), else the out/ of the project found."""
    if where is not None:
        given = Path(where)
        holds_bundles = (given / "genplat.lock.json").is_file() or any(given.glob("*/*/kustomization.yaml"))
        if holds_bundles or find_project(given) is None:
            return given
    if where is None and project_dir is None and find_project(Path(".")) is None:
        return Path("out")  # an out/ folder on its own (say, a CI artifact), as before
    return output_folder(resolve_project(project_dir, where))


@click.command("package")
@click.argument("where", required=False, metavar="[PROJECT|OUT_DIR]", type=click.Path(file_okay=False))
@project_option
@click.option(
    "--bundle-format",
    "bundle_format",
    type=click.Choice(["auto", *BUNDLE_FORMATS]),
    default=None,
    help="Bundle format: auto (the default: each cluster in its delivery's format, flux for an "
    "OCIRepository, imgpkg for a kapp-controller App), or flux / imgpkg for every bundle.",
)
@click.option(
    "--output",
    "layout",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="OCI Image Layout to write [default: OUT_DIR/.oci].",
)
@click.option(
    "--provenance",
    is_flag=True,
    help="Add a provenance referrer per bundle (source, revision, created from git and "
    "SOURCE_DATE_EPOCH); the bundles' own digests stay the pinned ones.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", *BUNDLE_FORMATS]),
    default=None,
    help="Output as text (default) or json, like every command's --format. "
    "(Until 0.2, --format flux|imgpkg still means --bundle-format, with a warning.)",
)
@click.option("--output-format", "output_format", type=click.Choice(["text", "json"]), default=None, hidden=True)
def command(
    where: str | None,
    project_dir: str | None,
    bundle_format: str | None,
    layout: Path | None,
    provenance: bool,
    fmt: str | None,
    output_format: str | None,
) -> None:
    """Package every bundle of the project's out/ as an OCI artifact in a local OCI layout.

    The project is PROJECT or -C DIR, or found upwards from the working folder; an OUT_DIR folder
    of bundles may be given instead. Each bundle out/<env>/<cluster>/ is tagged <env>-<cluster> in
    the layout, in the format its cluster's wiring in out/_gitops/ fetches. The digests depend only on
    the bundle content and the format, and must be the ones out/genplat.lock.json pins: a bundle
    changed since `genplat build` is refused. Provenance never enters a bundle's manifest: it is a
    referrer beside it.
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.packaging.layout import write_layout
    from genplat.pipeline import package  # deferred, as above

    if fmt in BUNDLE_FORMATS:
        click.echo(
            f"genplat: warning: --format {fmt} is now --bundle-format {fmt} (--format is the output format)", err=True
        )
        if bundle_format is not None and bundle_format != fmt:
            raise click.UsageError(f"--format {fmt} and --bundle-format {bundle_format} disagree")
        bundle_format, fmt = fmt, None
    output = output_format or ("json" if fmt == "json" else "text")
    kind = t.cast('t.Literal["auto", "flux", "imgpkg"]', bundle_format or "auto")
    out_dir = _out_dir(where, project_dir)
    try:
        packaged = package(out_dir, bundle_format=kind, provenance=provenance)
    except FindingsError as exc:
        if output != "json":
            raise
        raise click.exceptions.Exit(report(exc.diagnostics, "json")) from None
    artifacts, referrers = packaged.artifacts, packaged.referrers
    layout = layout or out_dir / ".oci"
    write_layout(layout, artifacts, referrers)
    for name, art in artifacts.items():
        for warning in art.warnings:
            click.echo(f"genplat: warning: {name}: {warning}", err=True)
    if output == "json":
        used = {a.format for a in artifacts.values()}
        doc = {
            "version": 1,
            "format": used.pop() if len(used) == 1 else "mixed",
            "layout": str(layout),
            "bundles": [
                {
                    "name": n,
                    "format": a.format,
                    "digest": a.digest,
                    "ref": f"oci:{layout}:{n}",
                    "provenance": referrers[n].digest if n in referrers else None,
                    "warnings": list(a.warnings),
                }
                for n, a in artifacts.items()
            ],
        }
        click.echo(json.dumps(doc, indent=2))
    else:
        width = max(len(n) for n in artifacts)
        for name, art in artifacts.items():
            click.echo(f"{name:<{width}}  {art.digest}")
