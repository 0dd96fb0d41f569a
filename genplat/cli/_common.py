"""Options and output helpers shared by commands."""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

import click

from genplat.core.diagnostics import Diagnostic, has_errors
from genplat.core.errors import UsageError
from genplat.core.report import REPORTERS, format_text
from genplat.loader.project import find_project

if t.TYPE_CHECKING:
    from genplat.authoring import EditResult


def default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def format_option(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted(REPORTERS)),
        default=None,
        help="Findings as text (default), json, or GitHub Actions annotations (default when GITHUB_ACTIONS=true).",
    )(f)


def max_file_size_option(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    return click.option(
        "--max-file-size",
        type=click.IntRange(min=1),
        default=1024 * 1024,  # genplat.loader.safe_yaml.DEFAULT_MAX_BYTES, without importing the loader here
        show_default=True,
        help="Largest blueprint file accepted, in bytes.",
    )(f)


def output_format_option(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """``--format text|json`` of the commands that report results rather than findings."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Output as text or json.",
    )(f)


def report(
    diagnostics: list[Diagnostic],
    fmt: str | None,
    *,
    quiet_ok: str | None = None,
    sources: t.Mapping[Path, str] | None = None,
) -> int:
    """Print findings; return the exit code (1 when any is an error). ``sources`` (file → the text a
    command would have written there) shows the text format's findings in those files with their line."""
    fmt = fmt or default_format()
    wanted = {os.path.abspath(p): text for p, text in (sources or {}).items()}
    shown = {
        d.file: wanted[os.path.abspath(d.file)] for d in diagnostics if d.file and os.path.abspath(d.file) in wanted
    }
    text = format_text(diagnostics, sources=shown) if fmt == "text" else REPORTERS[fmt](diagnostics)
    if fmt == "json":
        click.echo(text, nl=False)
    else:
        if text:
            click.echo(text, nl=False, err=fmt == "text" and False)
        if fmt == "github" and text:
            click.echo(format_text(diagnostics, sources=shown), nl=False, err=True)
        if not diagnostics and quiet_ok:
            click.echo(quiet_ok, err=True)
    return 1 if has_errors(diagnostics) else 0


def fetch_options(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """--offline and --mirror: how add-on CRDs are fetched (addons lock, build, render)."""
    f = click.option(
        "--mirror",
        "mirrors",
        multiple=True,
        metavar="HOST=URL",
        help="Fetch add-on CRDs that HOST serves from URL instead (repeatable; adds to GENPLAT_MIRRORS), "
        "e.g. proxy.golang.org=https://goproxy.example.com.",
    )(f)
    return click.option("--offline", is_flag=True, help="Never fetch add-on CRDs: a cache that lacks one is an error.")(
        f
    )


def finish_edit(result: EditResult, fmt: str | None, *, dry_run: bool, verb: str = "edit") -> None:
    """Write an edit that validates (or print its diff with ``dry_run``) and say how many lines changed,
    counted as ``git diff --numstat`` counts them; print the findings of one that does not and exit 1."""
    if not result.ok:
        report(result.findings, fmt, sources={result.file: result.text})
        click.echo(
            f"{result.file} left unchanged: the {verb} would not validate (the lines shown are the text it would write)",
            err=True,
        )
        raise SystemExit(1)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if not result.changed:
        click.echo(f"{result.file}: already so, nothing changed", err=True)
        return
    if dry_run:
        import difflib  # only a dry run prints a diff

        diff = difflib.unified_diff(
            result.original.splitlines(keepends=True),
            result.text.splitlines(keepends=True),
            f"a/{result.file}",
            f"b/{result.file}",
        )
        click.echo("".join(diff), nl=False)
        return
    # deferred: the authoring package loads ruamel; completion and --help import this module without it
    from genplat.authoring import write_file

    write_file(result.file, result.text.encode("utf-8"))
    added, removed = result.line_changes
    click.echo(f"{result.file}: {_lines(added)} added, {removed} removed", err=True)


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"


# --- The project, found as git finds a repository -------------------------------------------------

PROJECT_HELP = "The project (a folder holding blueprints/, or inside one) [default: found upwards from here]."


def project_option(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    return click.option(
        "-C",
        "--project",
        "project_dir",
        default=None,
        metavar="DIR",
        type=click.Path(exists=True, file_okay=False),
        help=PROJECT_HELP,
    )(f)


def resolve_project(explicit: str | None = None, positional: str | None = None) -> Path:
    """The project folder from ``-C DIR``, a positional argument, or the working folder (in that order),
    searching upwards from it. Paths stay relative to the working folder when they were, so findings do."""
    if explicit and positional and Path(explicit).resolve() != Path(positional).resolve():
        raise click.UsageError("give the project once: -C DIR or as an argument, not both")
    given = explicit or positional
    start = Path(given) if given else Path(".")
    if given and not start.exists():
        raise UsageError(f"{given}: no such folder", hint="pass a folder inside a genplat project")
    found = find_project(start)
    if found is None:
        where = f"{given}" if given else "the working folder"
        raise UsageError(
            f"no genplat project at or above {where} (no blueprints/platform.yaml)",
            hint="run `genplat init` to start one, or pass -C DIR",
        )
    try:
        rel = Path(os.path.relpath(found))
    except ValueError:  # pragma: no cover - other drive on Windows
        return found
    return rel if not str(rel).startswith("..") or len(rel.parts) < 4 else found
