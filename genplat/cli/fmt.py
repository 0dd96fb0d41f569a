"""``genplat fmt``: canonical key order and indentation for blueprints, comments kept."""

from __future__ import annotations

from pathlib import Path

import click

from genplat.cli._common import project_option, resolve_project
from genplat.core.errors import UsageError
from genplat.loader import blueprint_folder
from genplat.loader.project import blueprint_files


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@project_option
@click.option(
    "--check", "check_only", is_flag=True, help="Write nothing; exit 1 and list the files that are not formatted."
)
def command(paths: tuple[Path, ...], project_dir: str | None, check_only: bool) -> None:
    """Write blueprints in canonical form: keys in schema order, two-space indentation.

    PATHS are blueprint files or folders (default: every blueprint of the project). Comments,
    blank lines, quoting and flow mappings ({cpu: "1", memory: 1Gi}) are kept.
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.authoring import format_text, write_file

    targets = list(paths) or [blueprint_folder(resolve_project(project_dir))]
    files: list[Path] = []
    for p in targets:
        files.extend(blueprint_files(p) if p.is_dir() else [p])
    unformatted = []
    for f in files:
        original = f.read_bytes().decode("utf-8")
        try:
            formatted = format_text(original)
        except Exception as exc:  # ruamel's parse errors: the file is not YAML we can rewrite
            raise UsageError(
                f"{f}: cannot format: {str(exc).splitlines()[0]}", hint="genplat validate shows what is wrong"
            ) from exc
        if formatted == original:
            continue
        unformatted.append(f)
        if check_only:
            click.echo(f"would reformat {f}")
        else:
            write_file(f, formatted.encode("utf-8"))
            click.echo(f"reformatted {f}", err=True)
    if check_only and unformatted:
        raise SystemExit(1)
    verb = "would be reformatted" if check_only else "reformatted"
    click.echo(f"{len(unformatted)} file(s) {verb}, {len(files) - len(unformatted)} already formatted", err=True)
