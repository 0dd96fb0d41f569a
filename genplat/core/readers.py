"""Defensive readers shared by the wiring checks (data is only as valid as the schema left it)."""

from __future__ import annotations

import typing as t


def d(x: t.Any) -> dict[str, t.Any]:
    return x if isinstance(x, dict) else {}


def lst(x: t.Any) -> list[t.Any]:
    return x if isinstance(x, list) else []


def s(x: t.Any) -> str | None:
    return x if isinstance(x, str) else None


def by_name(items: t.Any) -> dict[str, dict[str, t.Any]]:
    found: dict[str, dict[str, t.Any]] = {}
    for item in lst(items):
        name = s(d(item).get("name"))
        if name:
            found[name] = d(item)
    return found


def listing(names: t.Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none"
