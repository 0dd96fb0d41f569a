"""``genplat set`` and ``genplat set-image``: edit blueprint values, keeping everything else byte for byte."""

from __future__ import annotations

from pathlib import Path

import click

from genplat.cli._common import finish_edit, format_option, project_option, resolve_project
from genplat.cli._complete import complete_services, complete_tenants
from genplat.loader import blueprint_folder


@click.command("set")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("assignments", nargs=-1, required=True, metavar="PATH=VALUE...")
@click.option("-n", "--dry-run", is_flag=True, help="Print the diff instead of writing.")
@format_option
def command(file: Path, assignments: tuple[str, ...], dry_run: bool, fmt: str | None) -> None:
    """Set values in a blueprint FILE: PATH=VALUE, e.g. spec.tier=large.

    \b
    PATH is dot-separated keys; [name] selects the list item with that name and [0] by position:
      genplat set blueprints/tenants/globex.yaml spec.services[checkout].image=ghcr.io/acme/checkout:1.6.0
    VALUE is read as YAML (3, true, [a, b]) except where the schema wants a string.
    Comments, blank lines, quoting and key order stay as they are: only the edited lines change.
    To add, remove or move list items use genplat add, remove and move.
    The edit is validated with the whole project first; if it would add an error the file is left
    byte-identical and the finding printed (exit 1).
    """
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import parse_assignment, set_values

    parsed = [parse_assignment(a) for a in assignments]
    finish_edit(set_values(file, parsed), fmt, dry_run=dry_run)


@click.command("set-image")
@click.argument("tenant", shell_complete=complete_tenants)
@click.argument("service", shell_complete=complete_services)
@click.argument("image")
@project_option
@click.option("-n", "--dry-run", is_flag=True, help="Print the diff instead of writing.")
@format_option
def set_image_command(
    tenant: str, service: str, image: str, project_dir: str | None, dry_run: bool, fmt: str | None
) -> None:
    """Set the IMAGE of SERVICE in the blueprint of TENANT (for bots: Renovate-style bumps).

    The tenant's file is found by its metadata.name; the edit is validated as for `genplat set`.
    """
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import set_image

    root = blueprint_folder(resolve_project(project_dir))
    finish_edit(set_image(root, tenant, service, image), fmt, dry_run=dry_run)
