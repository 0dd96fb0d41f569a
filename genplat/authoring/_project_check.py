"""Validate a project as it would be after a write, without writing: the gate every edit passes."""

from __future__ import annotations

import typing as t
from pathlib import Path

from genplat.core.diagnostics import Diagnostic
from genplat.loader.project import load_project
from genplat.validation.blueprints import validate


def validate_with(root: Path, overrides: t.Mapping[Path, bytes] | None = None) -> list[Diagnostic]:
    """Every finding of the project at ``root`` with ``overrides`` (path → new bytes) read in place of the files."""
    resolved = {p.resolve(): data for p, data in (overrides or {}).items()}
    return validate(load_project(root, overrides=resolved or None))


def _key(d: Diagnostic) -> tuple[t.Any, ...]:
    # Lines move when an edit adds or removes lines: compare what and where in the document, not the line.
    return (d.rule, d.file, d.path, d.message, d.object)


def new_errors(before: t.Iterable[Diagnostic], after: t.Iterable[Diagnostic]) -> list[Diagnostic]:
    """The errors in ``after`` that ``before`` did not have: an edit is refused when there are any."""
    known = {_key(d) for d in before if d.is_error}
    return [d for d in after if d.is_error and _key(d) not in known]
