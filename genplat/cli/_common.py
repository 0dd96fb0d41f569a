"""Options and output helpers shared by commands."""

from __future__ import annotations

import os
import typing as t

import click

from .._diagnostics import Diagnostic, has_errors
from .._report import REPORTERS


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


def report(diagnostics: list[Diagnostic], fmt: str | None, *, quiet_ok: str | None = None) -> int:
    """Print findings; return the exit code (1 when any is an error)."""
    fmt = fmt or default_format()
    text = REPORTERS[fmt](diagnostics)
    if fmt == "json":
        click.echo(text, nl=False)
    else:
        if text:
            click.echo(text, nl=False, err=fmt == "text" and False)
        if fmt == "github" and text:
            click.echo(REPORTERS["text"](diagnostics), nl=False, err=True)
        if not diagnostics and quiet_ok:
            click.echo(quiet_ok, err=True)
    return 1 if has_errors(diagnostics) else 0
