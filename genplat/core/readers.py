"""Defensive readers of blueprint data: a value is only as valid as the schema check left it, so a
value of the wrong type reads as empty (the schema finding already says what is wrong)."""

from __future__ import annotations

import typing as t


def as_dict(x: t.Any) -> dict[str, t.Any]:
    return x if isinstance(x, dict) else {}


def as_list(x: t.Any) -> list[t.Any]:
    return x if isinstance(x, list) else []


def as_str(x: t.Any) -> str | None:
    return x if isinstance(x, str) else None


def by_name(items: t.Any) -> dict[str, dict[str, t.Any]]:
    found: dict[str, dict[str, t.Any]] = {}
    for item in as_list(items):
        name = as_str(as_dict(item).get("name"))
        if name:
            found[name] = as_dict(item)
    return found


def listing(names: t.Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none"
