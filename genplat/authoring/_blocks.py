"""Where a block of YAML text begins and ends, and new values written in a file's own style.

Used by the list edits (:mod:`._lists`): the lines of each item of a block sequence (from its ``-`` to
its last line indented deeper than the ``-``, with the comments directly above it at its column), the
blank lines between items, the end of a key's value, and ruamel's dump of a new value placed at a
column, its collections in flow or block style as the file writes the neighbouring values.
"""

from __future__ import annotations

import dataclasses
import io
import typing as t

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

from genplat.authoring._roundtrip import RoundTrip, needs_quotes
from genplat.core.errors import GenplatError

# --- Styling a new value as the file writes its neighbours ---------------------------------------------


def styled(value: t.Any, like: t.Any = None, *, top: bool = True) -> t.Any:
    """``value`` as ruamel nodes: block style where ``like`` (a sibling) is block, flow where it is
    flow; without a sibling, collections of plain values are flow (``capabilities: [a, b]``) and the
    rest block. Strings that would read back as another type are double-quoted."""
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = styled(v, like.get(k) if isinstance(like, dict) else None, top=False)
        _style(out, value, like, top=top)
        return out
    if isinstance(value, list):
        seq = CommentedSeq()
        first = like[0] if isinstance(like, list) and like else None
        for v in value:
            seq.append(styled(v, first, top=False))
        _style(seq, value, like, top=top)
        return seq
    if isinstance(value, str) and not isinstance(value, ScalarString) and needs_quotes(value):
        return DoubleQuotedScalarString(value)
    return value


def _style(node: CommentedMap | CommentedSeq, value: t.Any, like: t.Any, *, top: bool) -> None:
    if isinstance(like, (CommentedMap, CommentedSeq)):
        flow = bool(like.fa.flow_style())
    else:
        leaves = value.values() if isinstance(value, dict) else value
        flow = not top and all(not isinstance(v, (dict, list)) for v in leaves)
    if flow:
        node.fa.set_flow_style()
    else:
        node.fa.set_block_style()


# --- The text of a block sequence ---------------------------------------------------------------------


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def is_content(line: str) -> bool:
    s = line.strip()
    return bool(s) and not s.startswith("#")


def block_end(lines: list[str], start: int, col: int, *, dash_at_col: bool = False) -> int:
    """The index after the last line of the block that starts at ``start``: the lines after it indented
    deeper than ``col`` (comments too), up to the first content line at ``col`` or left of it. With
    ``dash_at_col``, list items at ``col`` belong to it (a list written at its key's column)."""
    last = start
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        deeper = indent_of(line) > col or (dash_at_col and indent_of(line) == col and line.lstrip().startswith("-"))
        if deeper:
            last = i
        elif is_content(line):
            break
    return last + 1


@dataclasses.dataclass(slots=True)
class Region:
    """A block sequence's lines: each item's own (leading comments included), the gaps between them."""

    start: int
    end: int
    dash: int  # the column of its dashes
    items: list[list[str]]
    gaps: list[list[str]]

    def lines(self) -> list[str]:
        out: list[str] = []
        for i, item in enumerate(self.items):
            out += item
            if i < len(self.gaps):
                out += self.gaps[i]
        return out

    def gap(self) -> list[str]:
        """What separates items here (blank lines or nothing), for a new item."""
        return list(self.gaps[0]) if self.gaps and all(not g.strip() for g in self.gaps[0]) else []


def _dash_line(lines: list[str], line: int, col: int) -> tuple[int, int]:
    """The line and column of the ``-`` of the item whose value starts at (line, col)."""
    for i in range(line, -1, -1):
        text = lines[i][: col if i == line else len(lines[i])]
        stripped = text.rstrip()
        if i == line:
            pos = stripped.rfind("-")
            if pos >= 0 and not stripped[pos + 1 :].strip():
                return i, pos
            continue
        if stripped.strip() == "-" or stripped.lstrip().startswith("- "):
            return i, indent_of(stripped)
        if is_content(lines[i]):
            break
    raise GenplatError(f"cannot find the '-' of the list item at line {line + 1}")


def region_of(lines: list[str], seq: CommentedSeq) -> Region:
    dashes = [_dash_line(lines, *seq.lc.item(i)) for i in range(len(seq))]
    col = dashes[0][1]
    starts: list[int] = []
    ends: list[int] = []
    previous_end = None
    for n, (line, _) in enumerate(dashes):
        start = line
        while start - 1 >= 0 and start - 1 != previous_end and lines[start - 1].strip().startswith("#"):
            if indent_of(lines[start - 1]) != col:
                break
            start -= 1
        limit = dashes[n + 1][0] if n + 1 < len(dashes) else len(lines)
        end = min(block_end(lines, line, col), limit)
        # Comments right above the next item's '-', at its column, are that item's.
        starts.append(start)
        ends.append(end)
        previous_end = end - 1
    # Leading comments of an item must not reach into the item before it.
    for n in range(1, len(starts)):
        starts[n] = max(starts[n], ends[n - 1])
    items = [lines[s:e] for s, e in zip(starts, ends, strict=True)]
    gaps = [lines[ends[n] : starts[n + 1]] for n in range(len(items) - 1)]
    return Region(starts[0], ends[-1], col, items, gaps)


# --- Dumping new values in the file's indentation -----------------------------------------------------


def dump_lines(rt: RoundTrip, data: t.Any) -> list[str]:
    out = io.StringIO()
    rt.yaml.dump(data, out)
    return out.getvalue().splitlines(keepends=True)


def item_lines(rt: RoundTrip, item: t.Any, dash: int) -> list[str]:
    """``- item`` dumped in the file's style, its ``-`` at column ``dash``."""
    seq = CommentedSeq([item])
    seq.fa.set_block_style()
    dumped = dump_lines(rt, seq)
    offset = min(indent_of(line) for line in dumped if line.strip())
    return [(" " * dash + line[offset:]) if line.strip() else line for line in dumped]


def item_text_lines(text: str, dash: int) -> list[str]:
    """An item written as text (``- name: …`` at column 0, comments allowed) moved to column ``dash``."""
    return [(" " * dash + line) if line.strip() else line for line in text.splitlines(keepends=True)]
