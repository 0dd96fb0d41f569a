"""Add, remove and move the items of a blueprint list, changing only the lines of the item.

ruamel's round-trip mode reads the document (the values, and the line and column of every item and
key); the edit itself is made on the text, because ruamel ties a comment to the value *before* it: a
comment above the next key would stay behind an item appended after it. So an item's lines are the
ones from its ``-`` to its last line indented deeper than the ``-`` (with the comments directly above
the ``-`` at its column, and those inside it); a new item is dumped by ruamel in the file's own
indentation and put after the last item (or before the one named), a removed or moved item takes its
lines along. Lists that are written in flow style (``capabilities: [a, b]``) are edited through
ruamel and :func:`minimal_patch`, which keeps them on their line.

Every result is read back and compared with the intended document; a text edit that would mean
anything else falls back to ruamel's own dump (patched minimally), and that is checked the same way.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from genplat.authoring._blocks import (
    Region,
    block_end,
    dump_lines,
    indent_of,
    item_lines,
    item_text_lines,
    region_of,
    styled,
)
from genplat.authoring._paths import Index, Key, Named, PathError, Step, find_item, json_steps, show
from genplat.authoring._roundtrip import RoundTrip, minimal_patch
from genplat.authoring._schema_paths import subschemas
from genplat.core.errors import GenplatError


@dataclasses.dataclass(frozen=True, slots=True)
class Where:
    """Where an item goes: before or after the item a selector names, at a position, or (default) last."""

    before: Index | Named | None = None
    after: Index | Named | None = None
    at: int | None = None

    @classmethod
    def of(cls, *, before: str | None = None, after: str | None = None, at: int | None = None) -> Where:
        """From the command line: a name, ``[name]`` or ``[N]`` for --before and --after."""

        def selector(text: str | None) -> Index | Named | None:
            if text is None:
                return None
            text = text.strip().removeprefix("[").removesuffix("]")
            return Index(int(text)) if text.lstrip("-").isdigit() else Named(text)

        return cls(before=selector(before), after=selector(after), at=at)

    def index(self, items: list[t.Any], what: str) -> int:
        if self.at is not None:
            if not 0 <= self.at <= len(items):
                raise PathError(f"{what} has {len(items)} item(s): position {self.at} is outside 0–{len(items)}")
            return self.at
        for selector, offset in ((self.before, 0), (self.after, 1)):
            if selector is not None:
                i = find_item(items, selector)
                if i is None:
                    raise PathError(f"{what} has no item {selector}", hint=f"items: {names_of(items)}")
                return i + offset
        return len(items)


def names_of(items: list[t.Any]) -> str:
    names = [str(i.get("name")) if isinstance(i, dict) else str(i) for i in items]
    return ", ".join(n for n in names if n) or "none"


def plain(value: t.Any) -> t.Any:
    """ruamel's values as plain Python data, to compare documents."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


# --- The edits ----------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Target:
    """What a path leads to: the list, or the mapping it is missing from and the keys to create."""

    parent: t.Any  # what holds (or will hold) the list
    key: str | int  # the list's key (or position) in it
    node: CommentedSeq | None  # the list, when it exists
    missing: tuple[str, ...]  # keys to create below ``parent``, the list's own key last


def resolve_list(data: t.Any, steps: t.Sequence[Step]) -> Target:
    """Follow ``steps`` to a list; keys missing on the way are for the edit to create, list items never."""
    node: t.Any = data
    parent: t.Any = None
    key: str | int | None = None
    for n, step in enumerate(steps):
        if isinstance(step, Key):
            if not isinstance(node, dict):
                where = show(steps[:n]) or "the document"
                raise PathError(f"{where} is not a mapping, so it has no key {step.name!r}")
            if node.get(step.name) is None:
                rest = steps[n:]
                if not all(isinstance(s, Key) for s in rest):
                    raise PathError(f"{show(steps[: n + 1])} does not exist, so it has no list items")
                return Target(node, step.name, None, tuple(t.cast(Key, s).name for s in rest))
            parent, key, node = node, step.name, node[step.name]
        else:
            if not isinstance(node, list):
                raise PathError(f"{show(steps[:n])} is not a list, so {step} selects nothing")
            i = find_item(node, step)
            if i is None:
                raise PathError(f"{show(steps[:n])} has no item {step}", hint=f"items: {names_of(node)}")
            parent, key, node = node, i, node[i]
    if not isinstance(node, list) or key is None:
        raise PathError(
            f"{show(steps)} is not a list", hint="genplat set changes values; add, remove and move edit lists"
        )
    return Target(parent, key, t.cast(CommentedSeq, node), ())


def _plain_list(expected: t.Any, steps: t.Sequence[Step]) -> list[t.Any]:
    """The list at ``steps`` in plain data, created (with the mappings above it) when missing."""
    node = expected
    for n, step in enumerate(steps):
        if isinstance(step, Key):
            if node.get(step.name) is None:
                node[step.name] = [] if n == len(steps) - 1 else {}
            node = node[step.name]
        else:
            node = node[find_item(node, step) or 0]
    return t.cast(list[t.Any], node)


def _same(text: str, expected: t.Any) -> bool:
    try:
        return bool(plain(RoundTrip(text).data) == expected)
    except Exception:  # the splice made text that does not even parse: not the edit meant
        return False


def _finish(original: str, rt: RoundTrip, spliced: str | None, expected: t.Any, apply: t.Callable[[], None]) -> str:
    """The spliced text when it means ``expected``; else ruamel's dump after ``apply``, patched minimally."""
    if spliced is not None and _same(spliced, expected):
        return spliced
    before = rt.dump()
    apply()
    patched = minimal_patch(original, before, rt.dump())
    if not _same(patched, expected):
        raise GenplatError("could not make this edit without changing other values; nothing was written")
    return patched


def _item(original: str, steps: t.Sequence[Step]) -> tuple[RoundTrip, Target, CommentedSeq, int]:
    """The document, the list and the position of the item ``steps`` names (``spec.services[web]``)."""
    rt = RoundTrip(original)
    target = resolve_list(rt.data, steps[:-1])
    if target.node is None:
        raise PathError(f"{show(steps[:-1])} does not exist")
    return rt, target, target.node, _selected(target.node, steps)


def _selected(seq: CommentedSeq, steps: t.Sequence[Step]) -> int:
    if not steps or isinstance(steps[-1], Key):
        raise PathError(
            f"{show(steps)} names no list item",
            hint="select it by name or position: spec.services[web], spec.services[0]",
        )
    index = find_item(list(seq), steps[-1])
    if index is None:
        raise PathError(f"{show(steps[:-1])} has no item {steps[-1]}", hint=f"items: {names_of(list(seq))}")
    return index


def _splice(lines: list[str], region: Region) -> str:
    return "".join(lines[: region.start] + region.lines() + lines[region.end :])


def _ended(body: list[str]) -> list[str]:
    if body and not body[-1].endswith("\n"):
        body[-1] += "\n"
    return body


def insert(original: str, steps: t.Sequence[Step], item: t.Any, where: Where, *, text: str | None = None) -> str:
    """The text with ``item`` added to the list at ``steps`` (created where the schema orders it if
    missing). ``text``, when given, is the item as it is to be written (``- name: …`` at column 0,
    comments allowed); else ruamel dumps it in the style of the list's other items."""
    rt = RoundTrip(original)
    target = resolve_list(rt.data, steps)
    expected = plain(rt.data)
    if target.node is None:
        _plain_list(expected, steps).append(plain(item))
        return _create(original, rt, target, steps, item, text, expected)
    seq = target.node
    index = where.index(list(seq), show(steps))
    _plain_list(expected, steps).insert(index, plain(item))
    lines = original.splitlines(keepends=True)
    spliced = None
    if not seq.fa.flow_style() and len(seq) > 0:
        region = region_of(lines, seq)
        if text is not None:
            body = item_text_lines(text, region.dash)
        else:
            body = item_lines(rt, styled(item, seq[0]), region.dash)
        region.items.insert(index, _ended(body))
        if len(region.items) > 1:
            region.gaps.insert(min(index, len(region.gaps)), region.gap())
        if region.end == len(lines) and lines and not lines[-1].endswith("\n"):
            region.items[-1] = _ended(region.items[-1])
        spliced = _splice(lines, region)

    def apply() -> None:
        flow = bool(seq.fa.flow_style())
        seq.insert(index, styled(item, seq[0] if len(seq) else None, top=not flow))

    return _finish(original, rt, spliced, expected, apply)


def _create(
    original: str,
    rt: RoundTrip,
    target: Target,
    steps: t.Sequence[Step],
    item: t.Any,
    text: str | None,
    expected: t.Any,
) -> str:
    """Add a list that does not exist yet (and the mappings above it), after the key the schema puts before it."""
    parent = target.parent
    first = target.missing[0]
    parent_steps = steps[: len(steps) - len(target.missing)]
    kind = {"Platform": "platform", "Tenant": "tenant"}.get(str(rt.data.get("kind")))
    after = _key_before(parent, first, kind, json_steps(rt.data, parent_steps))
    spliced = None
    if isinstance(parent, CommentedMap) and not parent.fa.flow_style() and len(parent) > 0:
        lines = original.splitlines(keepends=True)
        col = parent.lc.key(next(iter(parent)))[1]
        if after is None:
            line = parent.lc.key(next(iter(parent)))[0]
            while line > 0 and lines[line - 1].strip().startswith("#") and indent_of(lines[line - 1]) == col:
                line -= 1  # the comments above the first key stay with it
        else:
            value = parent[after]
            block_seq = isinstance(value, CommentedSeq) and not value.fa.flow_style()
            line = block_end(lines, parent.lc.key(after)[0], col, dash_at_col=block_seq)
        body = [" " * (2 * d) + f"{k}:\n" for d, k in enumerate(target.missing)]
        dash = 2 * (len(target.missing) - 1) + rt.offset
        if text is not None:
            body += item_text_lines(text, dash)
        elif isinstance(item, (dict, list)):
            body += item_lines(rt, styled(item, None), dash)
        else:
            body = dump_lines(rt, _nested(target.missing, item))
        body = [(" " * col + b) if b.strip() else b for b in _ended(body)]
        if line == len(lines) and lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        spliced = "".join(lines[:line] + body + lines[line:])

    def apply() -> None:
        value = _nested(target.missing[1:], item) if len(target.missing) > 1 else _new_list(item)
        if isinstance(parent, CommentedMap):
            pos = 0 if after is None else list(parent).index(after) + 1
            parent.insert(pos, first, value[first] if len(target.missing) > 1 else value)
        else:
            parent[first] = value

    return _finish(original, rt, spliced, expected, apply)


def _new_list(item: t.Any) -> CommentedSeq:
    seq = CommentedSeq([styled(item, None)])
    if isinstance(item, (dict, list)):
        seq.fa.set_block_style()
    else:
        seq.fa.set_flow_style()
    return seq


def _nested(keys: tuple[str, ...], item: t.Any) -> CommentedMap:
    value: t.Any = _new_list(item)
    for k in reversed(keys):
        m = CommentedMap()
        m[k] = value
        m.fa.set_block_style()
        value = m
    return t.cast(CommentedMap, value)


def _key_before(parent: t.Any, key: str, kind: str | None, path: list[str | int]) -> str | None:
    """The existing key a new ``key`` goes after: the last one the schema lists before it (else the last)."""
    if not isinstance(parent, dict) or not parent:
        return None
    order: list[str] = []
    for s in subschemas(kind, path) if kind else []:
        order += [p for p in s.get("properties") or {} if p not in order]
    if key not in order:
        return str(list(parent)[-1])
    rank = {k: i for i, k in enumerate(order)}
    before = [k for k in parent if rank.get(str(k), len(rank)) < rank[key]]
    return str(before[-1]) if before else None


def remove(original: str, steps: t.Sequence[Step]) -> str:
    """The text without the list item ``steps`` names (``spec.services[web]``); an emptied list is ``[]``."""
    rt, target, seq, index = _item(original, steps)
    expected = plain(rt.data)
    _plain_list(expected, steps[:-1]).pop(index)
    lines = original.splitlines(keepends=True)
    spliced = None
    if not seq.fa.flow_style():
        region = region_of(lines, seq)
        region.items.pop(index)
        if region.gaps:
            region.gaps.pop(min(index, len(region.gaps) - 1))
        if region.items:
            spliced = _splice(lines, region)
        elif isinstance(target.parent, CommentedMap) and isinstance(target.key, str):
            kline = target.parent.lc.key(target.key)[0]
            head, sep, comment = lines[kline].rstrip("\n").partition(" #")
            lines[kline] = f"{head.rstrip()} []" + (f"   #{comment}" if sep else "") + "\n"
            spliced = "".join(lines[: region.start] + lines[region.end :])

    def apply() -> None:
        del seq[index]

    return _finish(original, rt, spliced, expected, apply)


def move(original: str, steps: t.Sequence[Step], where: Where) -> str:
    """The text with the list item ``steps`` names moved: its lines, comments and all, unchanged."""
    rt, _, seq, index = _item(original, steps)
    to = where.index([x for i, x in enumerate(seq) if i != index], show(steps[:-1]))
    expected = plain(rt.data)
    moved = _plain_list(expected, steps[:-1])
    moved.insert(to, moved.pop(index))
    lines = original.splitlines(keepends=True)
    spliced = None
    if not seq.fa.flow_style():
        region = region_of(lines, seq)
        region.items.insert(to, _ended(region.items.pop(index)))
        if region.end == len(lines) and lines and not lines[-1].endswith("\n"):
            region.items[-1] = list(region.items[-1])
            region.items[-1][-1] = region.items[-1][-1].rstrip("\n")
        spliced = _splice(lines, region)

    def apply() -> None:
        seq.insert(to, seq.pop(index))

    return _finish(original, rt, spliced, expected, apply)
