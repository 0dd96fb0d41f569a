"""Value paths as people write them: ``spec.tier``, ``spec.services[checkout].image``, ``spec.environments[0]``.

A path is dot-separated keys; ``[x]`` after a key selects a list item: by position when ``x`` is a
whole number, else the item whose ``name`` is ``x`` (blueprint lists are lists of named things).
A key holding dots or brackets is written in double quotes: ``spec.services[web].env."LOG.LEVEL"``.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from genplat.core.errors import UsageError


class PathError(UsageError):
    """A path that does not parse, or that does not lead anywhere in the document."""


@dataclasses.dataclass(frozen=True, slots=True)
class Key:
    name: str

    def __str__(self) -> str:
        return self.name if re.fullmatch(r"[A-Za-z0-9_\-/]+", self.name) else f'"{self.name}"'


@dataclasses.dataclass(frozen=True, slots=True)
class Index:
    position: int

    def __str__(self) -> str:
        return f"[{self.position}]"


@dataclasses.dataclass(frozen=True, slots=True)
class Named:
    name: str

    def __str__(self) -> str:
        return f"[{self.name}]"


Step = Key | Index | Named

_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\[([^\]]*)\]|([^.\[\]"]+)|(\.))')


def parse_path(text: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    pos = 0
    expect_key = True
    if not text.strip():
        raise PathError("empty path", hint="write a path such as spec.tier or spec.services[checkout].image")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise PathError(
                f"cannot read path {text!r} at character {pos + 1}",
                hint="keys are separated by '.', list items selected with [name] or [0]",
            )
        quoted, selector, plain, dot = m.groups()
        pos = m.end()
        if dot is not None:
            if expect_key:
                raise PathError(f"path {text!r} has an empty key at character {pos}")
            expect_key = True
            continue
        if selector is not None:
            if not steps:
                raise PathError(f"path {text!r} starts with a list selector", hint="start with a key, e.g. spec")
            sel = selector.strip()
            if not sel:
                raise PathError(f"path {text!r} has an empty [] selector", hint="write [name] or [0]")
            steps.append(Index(int(sel)) if re.fullmatch(r"-?[0-9]+", sel) else Named(sel))
            expect_key = False
            continue
        if not expect_key:
            raise PathError(f"path {text!r}: put a '.' between keys (at character {m.start() + 1})")
        name = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else plain.strip()
        steps.append(Key(name))
        expect_key = False
    if expect_key:
        raise PathError(f"path {text!r} ends with '.'")
    return tuple(steps)


def show(steps: t.Sequence[Step]) -> str:
    out = ""
    for s in steps:
        out += str(s) if not isinstance(s, Key) or not out else f".{s}"
    return out


def json_steps(data: t.Any, steps: t.Sequence[Step]) -> list[str | int]:
    """The path with named selectors turned into list positions (for schema look-ups and findings)."""
    out: list[str | int] = []
    node = data
    for s in steps:
        if isinstance(s, Key):
            out.append(s.name)
            node = node.get(s.name) if isinstance(node, dict) else None
        else:
            i = find_item(node, s) if isinstance(node, list) else None
            out.append(i if i is not None else 0)
            node = node[i] if i is not None and isinstance(node, list) else None
    return out


def find_item(items: list[t.Any], step: Index | Named) -> int | None:
    if isinstance(step, Index):
        i = step.position if step.position >= 0 else len(items) + step.position
        return i if 0 <= i < len(items) else None
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == step.name:
            return i
    return None
