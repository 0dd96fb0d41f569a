"""``genplat init [DIR]``: a small, complete project to start from, in a new folder or a repository."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("init")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the files genplat init wrote before (never other files).")
@click.option(
    "--pin-only",
    is_flag=True,
    help="Only pin CI to this genplat: its wheel in .genplat/ and the workflow's two pin lines.",
)
def command(directory: Path, force: bool, pin_only: bool) -> None:
    """Write a starter project into DIRECTORY (default: the working folder).

    \b
    One environment with one cluster, two tiers, one offering, one pipeline template and two
    tenants, the JSON Schemas the editor modelines point at, a .gitignore, a CI workflow with the
    genplat wheel it installs (.genplat/, pinned by sha256) and a README that says what to change
    first. It validates, builds, checks and packages as written.
    Files already there are kept: a README.md of yours stays as it is, genplat's lines are added to an
    existing .gitignore, and init refuses (exit 2, listing each file, writing nothing) when it would
    overwrite anything else. --force replaces only files genplat init wrote.
    """
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import init_project, pin_project

    if force and pin_only:
        raise click.UsageError("give --force or --pin-only, not both")
    result = pin_project(directory) if pin_only else init_project(directory, force=force)
    for rel in result.written:
        click.echo(f"  wrote {directory / rel}", err=True)
    for rel in result.removed:
        click.echo(f"  removed {directory / rel} (genplat's older wheel)", err=True)
    for rel, lines in result.appended:
        click.echo(f"  added to {directory / rel}: {', '.join(lines)}", err=True)
    for rel, why in result.kept:
        click.echo(f"  kept {directory / rel} ({why})", err=True)
    if pin_only:
        click.echo("CI now installs this genplat; commit .genplat/ and the workflow", err=True)
        return
    where = "" if directory == Path(".") else f"cd {directory} && "
    click.echo(f"wrote {len(result.written)} files; next: {where}genplat build", err=True)
    if any(rel == "README.md" for rel, _ in result.kept):
        click.echo(
            "what to change first: blueprints/platform.yaml (metadata.name, spec.registry, the cluster, "
            "policies.allowedRegistries), then blueprints/tenants/",
            err=True,
        )
