"""``genplat init [DIR]``: a small, complete project to start from."""

from __future__ import annotations

from pathlib import Path

import click

from genplat.authoring import init_project


@click.command("init")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Write into a folder that is not empty (files of the same names are replaced)."
)
def command(directory: Path, force: bool) -> None:
    """Write a starter project into DIRECTORY (default: the working folder).

    \b
    One environment with one cluster, two tiers, one offering, one pipeline template and two
    tenants, the JSON Schemas the editor modelines point at, a .gitignore, a CI workflow and a
    README that says what to change first. It validates, builds, checks and packages as written.
    A folder that is not empty is refused unless --force.
    """
    written = init_project(directory, force=force)
    for rel in written:
        click.echo(f"  {directory / rel}", err=True)
    where = "" if directory == Path(".") else f"cd {directory} && "
    click.echo(f"wrote {len(written)} files; next: {where}genplat build", err=True)
