"""``genplat set`` and ``genplat set-image``: edit blueprint values, keeping everything else byte for byte."""

from __future__ import annotations

from pathlib import Path

import click

from genplat.authoring import EditResult, parse_assignment, set_image, set_values, write_file
from genplat.cli._common import format_option, project_option, report, resolve_project
from genplat.loader import blueprint_folder


def _finish(result: EditResult, fmt: str | None, *, dry_run: bool) -> None:
    if not result.ok:
        report(result.findings, fmt)
        click.echo(f"{result.file} left unchanged: the edit would not validate", err=True)
        raise SystemExit(1)
    if not result.changed:
        click.echo(f"{result.file}: already so, nothing changed", err=True)
        return
    if dry_run:
        import difflib

        click.echo(
            "".join(
                difflib.unified_diff(
                    result.original.splitlines(keepends=True),
                    result.text.splitlines(keepends=True),
                    f"a/{result.file}",
                    f"b/{result.file}",
                )
            ),
            nl=False,
        )
        return
    write_file(result.file, result.text.encode("utf-8"))
    changed = sum(
        1 for a, b in zip(result.original.splitlines(), result.text.splitlines(), strict=False) if a != b
    ) + abs(len(result.original.splitlines()) - len(result.text.splitlines()))
    click.echo(f"{result.file}: {changed} line(s) changed", err=True)


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
    The edit is validated with the whole project first; if it would add an error the file is left
    byte-identical and the finding printed (exit 1).
    """
    parsed = [parse_assignment(a) for a in assignments]
    _finish(set_values(file, parsed), fmt, dry_run=dry_run)


@click.command("set-image")
@click.argument("tenant")
@click.argument("service")
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
    root = blueprint_folder(resolve_project(project_dir))
    _finish(set_image(root, tenant, service, image), fmt, dry_run=dry_run)
