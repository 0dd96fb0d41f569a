from __future__ import annotations

import click

from .. import _api
from ._common import format_option, report


@click.command("validate")
@click.argument("directory", default="blueprints", type=click.Path(file_okay=True, dir_okay=True))
@click.option("--max-file-size", type=click.IntRange(min=1), default=1024 * 1024, show_default=True,
              help="Largest blueprint file accepted, in bytes.")
@format_option
def command(directory: str, max_file_size: int, fmt: str | None) -> None:
    """Check blueprints against their schemas and each other.

    DIRECTORY is the blueprints folder (or a project folder that holds one).
    Every finding is reported with file:line:col, a rule id and a hint.
    """
    project = _api.load_project(directory, max_file_size=max_file_size)
    findings = _api.validate(project)
    n = len(project.tenants) + (1 if project.platform else 0)
    raise SystemExit(report(findings, fmt, quiet_ok=f"{n} blueprint(s) valid"))
