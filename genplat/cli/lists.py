"""``genplat add``, ``genplat remove`` and ``genplat move``: the items of any blueprint list."""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

import click

from genplat.cli._common import finish_edit, format_option

if t.TYPE_CHECKING:
    from genplat.authoring import Where

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _where(before: str | None, after: str | None, at: int | None) -> Where:
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import Where

    if sum(x is not None for x in (before, after, at)) > 1:
        raise click.UsageError("give one of --before, --after and --at")
    return Where.of(before=before, after=after, at=at)


def _position_options(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    f = click.option("--at", type=int, default=None, help="Put it at this position (0 is first).")(f)
    f = click.option("--after", metavar="NAME", default=None, help="Put it after the item named NAME (or [N]).")(f)
    return click.option("--before", metavar="NAME", default=None, help="Put it before the item named NAME (or [N]).")(f)


@click.command("add")
@click.argument("file", type=_FILE)
@click.argument("path")
@click.argument("item")
@_position_options
@click.option("-n", "--dry-run", is_flag=True, help="Print the diff instead of writing.")
@format_option
def add_command(
    file: Path,
    path: str,
    item: str,
    before: str | None,
    after: str | None,
    at: int | None,
    dry_run: bool,
    fmt: str | None,
) -> None:
    """Add ITEM to the list at PATH in a blueprint FILE (last, unless --before, --after or --at).

    \b
    ITEM is YAML, usually a flow mapping; - reads it from stdin:
      genplat add blueprints/platform.yaml spec.environments '{name: qa, clusters: [{name: qa-1, provider: gke, capabilities: [flux]}]}'
      genplat add blueprints/tenants/web.yaml spec.network.allowFrom shop
    A list that does not exist yet is created where the schema orders its key. The item is written in
    the style of the list's other items; nothing else in the file changes. The edit is validated with
    the whole project first: if it would add an error the file is left byte-identical (exit 1).
    """
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import add_item

    text = sys.stdin.read() if item == "-" else item
    finish_edit(add_item(file, path, text, _where(before, after, at)), fmt, dry_run=dry_run)


@click.command("remove")
@click.argument("file", type=_FILE)
@click.argument("path")
@click.option("-n", "--dry-run", is_flag=True, help="Print the diff instead of writing.")
@format_option
def remove_command(file: Path, path: str, dry_run: bool, fmt: str | None) -> None:
    """Remove the list item PATH names from a blueprint FILE, e.g. spec.services[web].

    Its lines go, with the comments directly above it; a list left empty is written []. The edit is
    validated with the whole project first (a tenant still using a removed environment is an error).
    """
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import remove_item

    finish_edit(remove_item(file, path), fmt, dry_run=dry_run)


@click.command("move")
@click.argument("file", type=_FILE)
@click.argument("path")
@_position_options
@click.option("-n", "--dry-run", is_flag=True, help="Print the diff instead of writing.")
@format_option
def move_command(
    file: Path, path: str, before: str | None, after: str | None, at: int | None, dry_run: bool, fmt: str | None
) -> None:
    """Move the list item PATH names in a blueprint FILE (--before NAME, --after NAME or --at N; default last).

    Its lines move unchanged, comments included.
    """
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import move_item

    finish_edit(move_item(file, path, _where(before, after, at)), fmt, dry_run=dry_run)
