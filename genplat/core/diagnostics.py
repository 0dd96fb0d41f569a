"""Findings are data: every stage returns a list of :class:`Diagnostic` instead of raising.

A diagnostic points at the blueprint (or manifest) file, line and column, and at the JSON path
inside the document, so a reader can act on it at once. Rule ids are stable: tools and tests match on
them, and they are listed in ``docs/rules.md``.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
import typing as t


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclasses.dataclass(frozen=True, slots=True)
class Diagnostic:
    rule: str
    message: str
    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    path: str = ""  # JSON path inside the document, e.g. "spec.services[0].image"
    hint: str | None = None
    severity: Severity = Severity.ERROR
    # For findings on rendered objects: "kind/namespace/name" of the object they concern.
    object: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[t.Any, ...]:
        return (self.file or "", self.line or 0, self.column or 0, self.rule, self.path, self.message)

    def to_dict(self) -> dict[str, t.Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
            "object": self.object,
        }


def sort_diagnostics(diagnostics: t.Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)


def tidy(diagnostics: t.Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted, without repeats. A kind without a schema is one finding however many chunks (checked
    apart, each noting it) met it."""
    seen: set[tuple[t.Any, ...]] = set()
    out = []
    for d in diagnostics:
        key: tuple[t.Any, ...] = (
            (d.rule, d.message.split(" (", 1)[0])
            if d.rule == "schema-not-validated"
            else (d.rule, d.file, d.line, d.column, d.path, d.message, d.object)
        )
        if key not in seen:
            seen.add(key)
            out.append(d)
    return sort_diagnostics(out)


def has_errors(diagnostics: t.Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def json_path(parts: t.Iterable[str | int]) -> str:
    """Render a path of keys and indices as ``spec.services[0].image``."""
    key = parts if isinstance(parts, tuple) else tuple(parts)
    try:
        return _json_path_cached(key)
    except TypeError:  # an unhashable part: not from a loader, format it directly
        return _json_path(key)


@functools.lru_cache(maxsize=8192)
def _json_path_cached(parts: tuple[str | int, ...]) -> str:
    # Blueprints of one project share most paths (spec.services[0].image, …): format each once.
    return _json_path(parts)


def _json_path(parts: tuple[str | int, ...]) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif out and _is_plain_key(part):
            out.append(f".{part}")
        elif _is_plain_key(part):
            out.append(part)
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'["{escaped}"]')
    return "".join(out)


_ITEM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


def anchor_path(parts: t.Sequence[str | int], data: t.Any) -> str:
    """``parts`` as a path that survives edits elsewhere: a list index becomes the item's ``name``
    (``spec.services[checkout]``) when the item has a plain one, and stays ``[i]`` otherwise."""
    named: list[str | int] = []
    node = data
    for part in parts:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            item = node[part]
            name = item.get("name") if isinstance(item, dict) else None
            named.append(f"\0{name}" if isinstance(name, str) and _ITEM_NAME.match(name) else part)
            node = item
        else:
            named.append(part)
            node = node.get(part) if isinstance(node, dict) and isinstance(part, str) else None
    out: list[str] = []
    for part in named:
        if isinstance(part, str) and part.startswith("\0"):
            out.append(f"[{part[1:]}]")
        else:
            out.append(
                _json_path((part,)) if not out or isinstance(part, int) or not _is_plain_key(part) else f".{part}"
            )
    return "".join(out)


def _is_plain_key(key: str) -> bool:
    return bool(key) and all(c.isalnum() or c in "_-/" for c in key) and not key[0].isdigit()


def as_warning(d: Diagnostic) -> Diagnostic:
    """``d`` reported as a warning (checks that advise rather than refuse)."""
    return dataclasses.replace(d, severity=Severity.WARNING)
