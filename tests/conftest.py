"""Shared fixtures. Keep this small: area-specific helpers live next to their tests."""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "blueprints"


@dataclasses.dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_genplat(*args: str, env: t.Mapping[str, str | None] | None = None) -> CliResult:
    """Run ``genplat`` in-process through its real entry point (``genplat.cli.main``).

    ``main`` is where errors become exit codes, so going through it (not ``cli`` itself) tests the
    codes users see. Click's test isolation captures stdout and stderr apart.
    """
    from genplat.cli import main

    runner = CliRunner()
    with runner.isolation(env=env) as streams:
        out, err = streams[0], streams[1]
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        else:  # pragma: no cover - main always exits
            code = 0
        return CliResult(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))


@pytest.fixture
def genplat_cli() -> t.Callable[..., CliResult]:
    """``genplat_cli("validate", "blueprints", env={...})`` → CliResult(code, stdout, stderr)."""
    return run_genplat


@pytest.fixture
def examples_dir() -> Path:
    """The example blueprints of the repository (read-only: copy them before changing anything)."""
    return EXAMPLES
