"""YAML syntax errors in words: what is wrong, on the line that breaks the structure, and the column expected.

libyaml reports where it gave up, in its own terms ("mapping values are not allowed in this context",
at a colon on the line *after* a wrong indentation). When it gives up, :func:`explain` reads the lines
up to that place as a person would (which keys line up at which column, which list items, which
value each key has on its line) and names the first line that breaks the structure: a key indented
deeper than the key above it that already has a value, a key or list item that lines up with nothing
above it, a key without ``: ``, a value holding ``: ``, a tab, a quote or bracket never closed. Each
explanation says which column was expected and why. Anything it cannot explain keeps libyaml's words.
"""

from __future__ import annotations

import dataclasses
import re

# A key at the start of a line's content: a quoted key, or plain text up to ``:`` followed by a space or the end.
_KEY = re.compile(r"""(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\[\]{},&*!|>%@`][^#]*?)\s*:(?=\s|$)""")
_NO_SPACE = re.compile(r"(?P<key>[A-Za-z_][\w.-]*):(?P<value>[^\s/:].*)")
_CLOSE = {"{": "}", "[": "]"}
_PROPERTIES = re.compile(r"^(?:[&!]\S*\s*)+")  # anchors and tags before a value: the value may follow on the next lines


@dataclasses.dataclass(frozen=True, slots=True)
class Explanation:
    line: int  # 1-based
    column: int  # 1-based
    message: str
    hint: str | None = None


@dataclasses.dataclass(slots=True)
class _Block:
    kind: str  # "map" or "seq"
    col: int  # 0-based column of its keys or dashes
    line: int  # 1-based line it starts on
    owner: str  # words for it: "'spec'", "the list item on line 3", "the top level"
    last_key: str | None = None
    last_line: int = 0
    has_value: bool = True  # the last key (or dash) has its value on its line: nothing may nest under it


def _q(text: str) -> str:
    return "'" + text.strip("'\"") + "'"


def _strip_comment(value: str) -> str:
    """The value without a trailing ``# comment`` (a ``#`` after a space, outside quotes)."""
    quote = None
    for i, ch in enumerate(value):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (i == 0 or value[i - 1] in " [{,:"):
            quote = ch
        elif ch == "#" and (i == 0 or value[i - 1] in " \t"):
            return value[:i].rstrip()
    return value.rstrip()


def _balance(value: str) -> int:
    """Open brackets minus closed ones, outside quotes (a flow collection continuing on later lines is > 0)."""
    depth, quote = 0, None
    for ch in value:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth


class _Scanner:
    """Walks the lines keeping the open blocks, and stops at the first line that breaks them."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.stack: list[_Block] = []
        self.skip_deeper_than: int | None = None  # inside a block scalar (| or >)
        self.flow_depth = 0  # inside a flow collection continuing over lines
        self.quote: str | None = None  # inside a quoted string continuing over lines
        # Quoted values not closed on their own line: (line, column, quote, the line where they close).
        self.long_quotes: list[tuple[int, int, str, int]] = []
        # The last plain value where a key could be (``tier small``): a key at its column on the next
        # line means it was meant as a key.
        self.last_plain: tuple[int, int, str, _Block] | None = None

    def run(self, last: int) -> Explanation | None:
        for number in range(1, min(last, len(self.lines)) + 1):
            found = self._line(number, self.lines[number - 1])
            if found is not None:
                return found
        return None

    # --- one line ----------------------------------------------------------------------------------

    def _line(self, number: int, raw: str) -> Explanation | None:
        text = raw.rstrip("\r")
        stripped = text.lstrip(" ")
        indent = len(text) - len(stripped)
        if self.quote is not None:
            if _unescaped(stripped, self.quote):
                self.quote = None
                line, col, quote, _ = self.long_quotes[-1]
                self.long_quotes[-1] = (line, col, quote, number)
            return None
        if self.flow_depth > 0:
            self.flow_depth += _balance(_strip_comment(stripped))
            return None
        if not stripped or stripped.startswith("#"):
            return None
        if self.skip_deeper_than is not None:
            if indent > self.skip_deeper_than:
                return None
            self.skip_deeper_than = None
        if stripped.startswith("\t"):
            return self._tab(number, indent)
        if stripped.startswith(("---", "...")) and indent == 0:
            self.stack.clear()
            return None
        dashes: list[int] = []
        col = indent
        rest = stripped
        while rest == "-" or rest.startswith(("- ", "-\t")):
            dashes.append(col)
            after = rest[1:]
            skipped = len(after) - len(after.lstrip(" \t"))
            if "\t" in after[:skipped]:
                return self._tab(number, col + 1 + after.index("\t"))
            col += 1 + skipped
            rest = after.lstrip(" \t")
        rest = _PROPERTIES.sub("", rest) if rest[:1] in "&!" else rest
        first = dashes[0] if dashes else indent
        found = self._place(number, first, is_dash=bool(dashes), rest=rest)
        if found is not None:
            return found
        for d in dashes[1:]:
            self.stack.append(_Block("seq", d, number, f"the list item on line {number}", has_value=True))
        if dashes:
            self.stack[-1].has_value = bool(rest)
            self.stack[-1].last_line = number
        if not rest:
            return None
        return self._content(number, col, rest, opens_map=bool(dashes))

    def _place(self, number: int, col: int, *, is_dash: bool, rest: str) -> Explanation | None:
        """Check that a line's first token (a dash or a key) lines up with the blocks open above it."""
        is_key = not is_dash and _KEY.match(rest) is not None
        plain, self.last_plain = self.last_plain, None
        top = self.stack[-1] if self.stack else None
        if top is None:
            if is_dash:
                self.stack.append(_Block("seq", col, number, "the top level"))
            elif is_key:
                self.stack.append(_Block("map", col, number, "the top level"))
            return None
        if col > top.col:
            if not top.has_value:
                top.has_value = True  # its value starts here
                owner = _q(top.last_key or "") if top.kind == "map" else top.owner
                if is_dash:
                    self.stack.append(_Block("seq", col, number, owner))
                elif is_key:
                    self.stack.append(_Block("map", col, number, owner))
                else:
                    self.last_plain = (number, col, rest, top)
                return None
            if plain is not None and plain[1] == col and is_key:
                return self._not_a_key(plain[0], col, plain[2], _q(plain[3].last_key or ""))
            if is_key or is_dash:
                return self._too_deep(number, col, top, is_dash=is_dash, rest=rest)
            return None  # a plain value continued on the next line: YAML allows it
        popped: list[_Block] = []
        while self.stack and self.stack[-1].col > col:
            popped.append(self.stack.pop())
        top = self.stack[-1] if self.stack else None
        if is_dash:
            if top is not None and top.col == col and top.kind == "seq":
                return None
            if top is not None and top.col == col and top.kind == "map" and not top.has_value:
                top.has_value = True
                self.stack.append(_Block("seq", col, number, _q(top.last_key or "")))  # a list at its key's column
                return None
            seqs = [b for b in popped if b.kind == "seq"]
            return self._misplaced_dash(number, col, top, seqs[-1] if seqs else None)
        if top is not None and top.kind == "seq" and top.col == col:
            below = self.stack[-2] if len(self.stack) > 1 else None
            if below is not None and below.kind == "map" and below.col == col:
                self.stack.pop()  # the end of a list written at its key's column
                top = below
        if top is not None and top.kind == "map" and top.col == col:
            if not is_key:
                return self._not_a_key(number, col, rest, top.owner)
            return None
        return self._misplaced_key(number, col, rest, popped)

    def _content(self, number: int, col: int, rest: str, *, opens_map: bool) -> Explanation | None:
        m = _KEY.match(rest)
        if m is None:
            self._open_value(_strip_comment(rest), number, col)
            return None
        key = m.group("key")
        if opens_map:
            self.stack.append(_Block("map", col, number, f"the list item on line {number}"))
        top = self.stack[-1]
        value = _strip_comment(rest[m.end() :].strip())
        value = _PROPERTIES.sub("", value) if value[:1] in "&!" else value
        top.last_key, top.last_line, top.has_value = key, number, bool(value)
        if value and value[0] not in "\"'[{|>&*!" and ": " in value:
            at = col + m.end() + rest[m.end() :].index(value) + value.index(": ")
            return Explanation(
                number,
                at + 1,
                f"the value of {_q(key)} holds ': ', which YAML reads as the start of another key",
                f"put the value in quotes: {key}: {_quote(value)}",
            )
        self._open_value(value, number, col + m.end() + len(rest[m.end() :]) - len(rest[m.end() :].lstrip()))
        return None

    def _open_value(self, value: str, number: int = 0, col: int = 0) -> None:
        if not value:
            return
        if value[0] in "|>":
            self.skip_deeper_than = self.stack[-1].col if self.stack else 0
        elif value[0] in "[{":
            self.flow_depth = max(_balance(value), 0)
        elif value[0] in "\"'" and not _unescaped(value[1:], value[0]):
            self.quote = value[0]
            self.long_quotes.append((number, col + 1, value[0], 0))

    # --- what is wrong, in words ------------------------------------------------------------------

    def _tab(self, number: int, col: int) -> Explanation:
        return Explanation(
            number,
            col + 1,
            f"line {number} is indented with a tab; YAML indents with spaces only",
            "replace the tab with spaces (and set your editor to indent YAML with spaces)",
        )

    def _too_deep(self, number: int, col: int, top: _Block, *, is_dash: bool, rest: str) -> Explanation:
        what = "a list item" if is_dash else _q(_key_of(rest))
        sibling = f"{_q(top.last_key)} (line {top.last_line})" if top.kind == "map" and top.last_key else top.owner
        return Explanation(
            number,
            col + 1,
            f"{what} is indented deeper than {sibling}, which already has a value on its line; "
            f"expected column {top.col + 1}",
            f"keys of one mapping start at the same column: move it to column {top.col + 1}; to nest it under "
            f"{sibling.split(' (')[0]}, remove the value after {sibling.split(' (')[0]}:"
            if top.kind == "map"
            else f"items of one list start at the same column: move it to column {top.col + 1}",
        )

    def _misplaced_dash(self, number: int, col: int, top: _Block | None, seq: _Block | None) -> Explanation:
        if seq is not None:
            where = (
                f"where the keys of {top.owner} are (column {col + 1})"
                if top is not None and top.kind == "map" and top.col == col
                else f"at column {col + 1}"
            )
            return Explanation(
                number,
                col + 1,
                f"a list item {where}, but the items of the list {seq.owner} (line {seq.line}) start at "
                f"column {seq.col + 1}; expected column {seq.col + 1}",
                f"line the '- ' up with the list's other items, at column {seq.col + 1}",
            )
        if top is not None and top.kind == "map" and top.col == col:
            first = f"like {_q(top.last_key)} on line {top.last_line}" if top.last_key else ""
            return Explanation(
                number,
                col + 1,
                f"a list item ('- ') in the middle of a mapping (its keys, {first}, start at column {col + 1}): "
                "an entry is either a key or a list item",
                "write every entry as a list item ('- name: …'), or drop the '- '",
            )
        expected = top.col + 1 if top is not None else 1
        return Explanation(
            number,
            col + 1,
            f"a list item at column {col + 1} lines up with nothing above it; expected column {expected}",
            "indent with spaces so that the items of one list start at the same column",
        )

    def _not_a_key(self, number: int, col: int, rest: str, owner: str) -> Explanation:
        m = _NO_SPACE.match(rest)
        if m is not None:
            at = col + len(m.group("key"))
            return Explanation(
                number,
                at + 1,
                f"{_q(m.group('key'))} needs a space after the ':'",
                f"write {m.group('key')}: {_strip_comment(m.group('value'))}",
            )
        word = _strip_comment(rest).split(" ")[0]
        return Explanation(
            number,
            col + 1,
            f"line {number} has no ':' after its key, but it lines up with the keys of {owner} (column {col + 1})",
            f"write it as key: value (e.g. {word}: {' '.join(_strip_comment(rest).split(' ')[1:]) or '…'}), "
            "or indent it further to continue the value above",
        )

    def _misplaced_key(self, number: int, col: int, rest: str, popped: list[_Block]) -> Explanation:
        key = _q(_key_of(rest))
        maps = [b for b in [*popped, *self.stack] if b.kind == "map"]
        seq_here = next((b for b in [*popped, *self.stack] if b.kind == "seq" and b.col == col), None)
        if seq_here is not None:
            inside = next((b for b in popped if b.kind == "map" and b.col > col), None)
            expected = inside.col if inside is not None else col + 2
            under = f" under {_q(inside.last_key or '')} (line {inside.last_line})" if inside is not None else ""
            return Explanation(
                number,
                col + 1,
                f"{key} is at the column of the list's '- ' (column {col + 1}), so it is neither in the item above "
                f"nor a new item; expected column {expected + 1}{under}",
                f"indent it to column {expected + 1} to add it to the item above, or write '- {_key_of(rest)}: …' "
                "to start a new item",
            )
        if not maps:
            return Explanation(number, col + 1, f"{key} at column {col + 1} lines up with nothing above it")
        best = min(maps, key=lambda b: (abs(b.col - col), -b.col))
        like = f" (like {_q(best.last_key)} on line {best.last_line})" if best.last_key else ""
        return Explanation(
            number,
            col + 1,
            f"{key} at column {col + 1} lines up with no key above it; expected column {best.col + 1}, where the "
            f"keys of {best.owner} start{like}",
            "indent with spaces so that the keys of one mapping start at the same column",
        )


def _key_of(rest: str) -> str:
    m = _KEY.match(rest)
    return m.group("key") if m else rest.split(":")[0].strip()


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unescaped(text: str, quote: str) -> bool:
    """Whether ``text`` holds the closing ``quote`` (``\\"`` escapes in double quotes, ``''`` in single)."""
    if quote == '"':
        return '"' in re.sub(r"\\.", "", text)
    return "'" in text.replace("''", "")


def explain(
    text: str,
    problem: str | None,
    problem_at: tuple[int, int],
    context: str | None = None,
    context_at: tuple[int, int] | None = None,
) -> Explanation | None:
    """Words for a YAML syntax error libyaml reported at ``problem_at`` (1-based line, column); None if none fit."""
    lines = text.split("\n")
    problem = problem or ""
    if context == "while scanning a quoted scalar" and context_at is not None:
        quote = _char(lines, context_at)
        return Explanation(
            *context_at,
            f"the string opened with {quote} on line {context_at[0]} (column {context_at[1]}) is never closed",
            f"end it with {quote} where the value ends; to put a {quote} inside it, "
            + ('write \\"' if quote == '"' else "write ''"),
        )
    if context in ("while parsing a flow mapping", "while parsing a flow sequence") and context_at is not None:
        opener = _char(lines, context_at)
        closer = _CLOSE.get(opener, "}")
        if problem_at[0] == context_at[0]:
            return Explanation(
                *problem_at,
                f"expected ',' or '{closer}' here: the entries of the {opener}…{closer} opened at column "
                f"{context_at[1]} are separated by commas",
                f"add a ',' between the entries (or close it with '{closer}')",
            )
        return Explanation(
            *context_at,
            f"the '{opener}' on line {context_at[0]} (column {context_at[1]}) is never closed",
            f"close it with '{closer}' at the end of its entries",
        )
    scanner = _Scanner(lines)
    found = scanner.run(problem_at[0])
    if found is not None:
        return found
    if scanner.long_quotes:
        # A quote left open runs on to the next quote, lines later, and YAML gives up somewhere after it.
        line, col, quote, end = scanner.long_quotes[0]
        until = f", so YAML reads on to line {end}" if end else ""
        return Explanation(
            line,
            col,
            f"the string opened with {quote} on line {line} (column {col}) is not closed on its line{until}",
            f"end it with {quote} where the value ends",
        )
    if "cannot start any token" in problem:
        ch = _char(lines, problem_at)
        if ch == "\t":
            return Explanation(*problem_at, "a tab where YAML expects spaces", "replace the tab with spaces")
        return Explanation(
            *problem_at,
            f"a value cannot start with {ch!r} unless it is quoted",
            "put the value in quotes",
        )
    return None


def _char(lines: list[str], at: tuple[int, int]) -> str:
    line, column = at
    if 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]):
        return lines[line - 1][column - 1]
    return "?"
