"""Reporters turn a list of diagnostics into text, JSON or GitHub Actions annotations.

The JSON document is stable and documented in ``docs/diagnostics.md``::

    {"version": 1, "summary": {"errors": N, "warnings": N, "infos": N},
     "diagnostics": [{"file", "line", "column", "path", "rule", "severity", "message", "hint", "object"}]}
"""

from __future__ import annotations

import dataclasses
import json
import typing as t

from genplat.core.diagnostics import Diagnostic, Severity, sort_diagnostics
from genplat.core.secrets import redact
from genplat.core.text import escape_name

# Every text field a reporter shows goes through escape_name: a file name (or a value quoted in a
# message) with a newline, an escape sequence or undecodable bytes stays on its line, cannot start
# a forged finding or GitHub workflow command (``::error …``), and can always be encoded.
_TEXT_FIELDS = ("file", "message", "path", "hint", "object")
# Fields that may quote a value: the one secret detector masks any secret material in them (the stage
# that found a secret already did; this holds for every other finding that quotes what it read).
_QUOTING_FIELDS = ("message", "hint")


def _clean(d: Diagnostic) -> Diagnostic:
    changes: dict[str, t.Any] = {
        f: escape_name(c)
        for f in _TEXT_FIELDS
        if isinstance(v := getattr(d, f), str)
        and (c := redact(v) if f in _QUOTING_FIELDS else v) is not None
        and escape_name(c) != v
    }
    return dataclasses.replace(d, **changes) if changes else d


JSON_FORMAT_VERSION = 1


def _location(d: Diagnostic) -> str:
    parts = [d.file or "<unknown>"]
    if d.line is not None:
        parts.append(str(d.line))
        if d.column is not None:
            parts.append(str(d.column))
    return ":".join(parts)


def format_text(diagnostics: t.Iterable[Diagnostic], *, sources: t.Mapping[str, str] | None = None) -> str:
    """``file:line:col: severity[rule]: message at path``, then the hint. ``sources`` (file → text) shows
    the line of each finding in those files under it, with a caret at the column: for text a command
    would write but did not, whose lines the reader cannot open."""
    lines: list[str] = []
    for d in map(_clean, sort_diagnostics(diagnostics)):
        where = f" at {d.path}" if d.path else ""
        obj = f" ({d.object})" if d.object else ""
        lines.append(f"{_location(d)}: {d.severity.value}[{d.rule}]: {d.message}{where}{obj}")
        text = (sources or {}).get(d.file or "")
        if text is not None and d.line is not None:
            lines += _excerpt(text, d.line, d.column)
        if d.hint:
            lines.append(f"  hint: {d.hint}")
    return "\n".join(lines) + ("\n" if lines else "")


def _excerpt(text: str, line: int, column: int | None) -> list[str]:
    source = text.split("\n")
    if not 1 <= line <= len(source):
        return []
    number = str(line)
    gutter = " " * len(number)
    shown = escape_name(source[line - 1].rstrip("\r"))
    out = [f"  {number} | {shown}"]
    if column is not None and 1 <= column <= len(shown) + 1:
        out.append(f"  {gutter} | {' ' * (column - 1)}^")
    return out


def summary(diagnostics: t.Iterable[Diagnostic]) -> dict[str, int]:
    counts = {"errors": 0, "warnings": 0, "infos": 0}
    for d in diagnostics:
        counts[{Severity.ERROR: "errors", Severity.WARNING: "warnings", Severity.INFO: "infos"}[d.severity]] += 1
    return counts


def format_json(diagnostics: t.Iterable[Diagnostic]) -> str:
    items = [_clean(d) for d in sort_diagnostics(diagnostics)]
    doc = {
        "version": JSON_FORMAT_VERSION,
        "summary": summary(items),
        "diagnostics": [d.to_dict() for d in items],
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def _gh_escape(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def format_github(diagnostics: t.Iterable[Diagnostic]) -> str:
    """GitHub Actions workflow commands (``::error file=…,line=…::message``)."""
    lines: list[str] = []
    for d in map(_clean, sort_diagnostics(diagnostics)):
        level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}[d.severity]
        props = []
        if d.file:
            props.append(f"file={_gh_escape(d.file, prop=True)}")
        if d.line is not None:
            props.append(f"line={d.line}")
        if d.column is not None:
            props.append(f"col={d.column}")
        props.append(f"title={_gh_escape(d.rule, prop=True)}")
        text = d.message + (f" at {d.path}" if d.path else "") + (f". Hint: {d.hint}" if d.hint else "")
        lines.append(f"::{level} {','.join(props)}::{_gh_escape(text)}")
    return "\n".join(lines) + ("\n" if lines else "")


REPORTERS: dict[str, t.Callable[[t.Iterable[Diagnostic]], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
}
