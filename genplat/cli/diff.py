"""``genplat diff``: what a change does to the rendered output of every cluster."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from genplat.cli._choices import DIFF_FORMATS, GITHUB_COMMENT_LIMIT
from genplat.cli._common import resolve_project
from genplat.cli._complete import complete_bundle_paths
from genplat.cli._registry import make_client, registry_options
from genplat.loader import find_project


@click.command("diff")
@click.argument("base", required=False, default="HEAD")
@click.argument("head", required=False, default=None)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(DIFF_FORMATS)),
    default="text",
    show_default=True,
    help="text (coloured on a terminal), markdown (a pull-request comment) or json (docs/diff.md).",
)
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are differences, 0 when there are none.")
@click.option(
    "-C",
    "--project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The project (a folder holding blueprints/, or inside one) [default: found upwards from here].",
)
@click.option(
    "--out", "out_name", default="out", show_default=True, help="The output folder's name inside the project."
)
@click.option(
    "--use-committed-output",
    is_flag=True,
    help="For git revisions and the working tree, compare the committed out/ folders instead of rendering "
    "the blueprints (faster; right when CI has checked out/ with genplat build --check).",
)
@click.option(
    "--bundle",
    "bundles",
    multiple=True,
    shell_complete=complete_bundle_paths,
    metavar="GLOB",
    help="Only bundles matching this pattern, e.g. 'prod/*' (repeatable).",
)
@click.option("--color/--no-color", "color", default=None, help="Colour the text format [default: on a terminal].")
@click.option(
    "--max-chars",
    type=click.IntRange(min=4096),
    default=GITHUB_COMMENT_LIMIT,
    show_default=True,
    help="Markdown: stay under this many characters (GitHub's comment limit), summarising the rest.",
)
@registry_options
def command(
    base: str,
    head: str | None,
    fmt: str,
    exit_code: bool,
    project: Path | None,
    out_name: str,
    use_committed_output: bool,
    bundles: tuple[str, ...],
    color: bool | None,
    max_chars: int,
    insecure: bool,
    ca_file: str | None,
    username: str | None,
    password_stdin: bool,
    timeout: float,
) -> None:
    """Compare the rendered output of BASE and HEAD, object by object.

    \b
    Each side is an output folder, a project folder or a git revision (their blueprints are rendered
    in memory and compared for the summary; your working tree, index and HEAD are never touched), or an OCI bundle
    (registry/repo@sha256:…, registry/repo:tag, oci:LAYOUT:TAG). Prefix dir: or git: when a name
    is ambiguous. BASE defaults to HEAD (the last commit), HEAD to the working tree as it is now,
    so `genplat diff` alone shows what your uncommitted edits do.
    \b
    Exit codes: 0 (with --exit-code: no differences), 1 differences (with --exit-code only),
    2 a side cannot be read or rendered, 3 internal or registry failure.
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.diff import FORMATS, diff, format_markdown, format_text

    def client_factory(host: str) -> object:
        return make_client(
            host, insecure=insecure, ca_file=ca_file, username=username, password_stdin=password_stdin, timeout=timeout
        )

    if project is not None or find_project(Path(".")) is not None:
        project = resolve_project(str(project) if project is not None else None)
    result = diff(
        base,
        head,
        project=project or Path("."),
        out_name=out_name,
        use_committed_output=use_committed_output,
        bundles=bundles,
        client_factory=client_factory,
    )
    if fmt == "text":
        use_color = color if color is not None else (sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        click.echo(format_text(result, color=use_color), nl=False, color=use_color)
    elif fmt == "markdown":
        click.echo(format_markdown(result, max_chars=max_chars), nl=False)
    else:
        click.echo(FORMATS[fmt](result), nl=False)
    raise SystemExit(1 if exit_code and result.has_differences else 0)
