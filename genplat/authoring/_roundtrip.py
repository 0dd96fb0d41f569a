"""ruamel.yaml round-trip set-up and the minimal patch that keeps every unedited byte."""

from __future__ import annotations

import difflib
import io
import itertools
import re
import typing as t

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from genplat.core.errors import UsageError

_KEY_LINE = re.compile(r"^( *)[^\s#-][^#]*:\s*(#.*)?$")
_DASH_LINE = re.compile(r"^( *)- ")


def guess_sequence_indent(text: str) -> tuple[int, int]:
    """(sequence, offset) for ruamel's ``indent()``, from the first block sequence under a key: the
    dash's distance from the key is the offset, and the item's content sits two further in. A text
    scan rather than ruamel's own guess, which parses the whole document once more."""
    lines = text.splitlines()
    for above, below in itertools.pairwise(lines):
        key, dash = _KEY_LINE.match(above), _DASH_LINE.match(below)
        if key and dash and len(dash.group(1)) >= len(key.group(1)):
            offset = len(dash.group(1)) - len(key.group(1))
            return offset + 2, offset
    return 4, 2


class RoundTrip:
    """One file's round-trip loader/dumper, with the file's own indentation."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sequence, self.offset = guess_sequence_indent(text)
        self.yaml = self.make(sequence=self.sequence, offset=self.offset)
        self.data: t.Any = self.yaml.load(text)

    @staticmethod
    def make(*, sequence: int = 4, offset: int = 2) -> YAML:
        y = YAML(typ="rt")
        y.preserve_quotes = True
        y.width = 4096  # never re-wrap long lines
        y.indent(mapping=2, sequence=sequence, offset=offset)
        return y

    def dump(self, data: t.Any | None = None) -> str:
        out = io.StringIO()
        self.yaml.dump(self.data if data is None else data, out)
        return out.getvalue()


_RESOLVER = yaml.resolver.Resolver()


def unreadable(exc: YAMLError, where: str = "the file") -> UsageError:
    """The usage error for a file an edit cannot read: it is not touched, and validate says where it breaks."""
    return UsageError(
        f"{where} is not valid YAML, so it cannot be edited safely: {exc}".split("\n")[0],
        hint="fix it first (genplat validate shows where)",
    )


def needs_quotes(value: str) -> bool:
    """Whether a string written plain would read back as something else: in ruamel's YAML 1.2, or in the
    YAML 1.1 genplat's loader reads (``on``, ``yes``, ``1:30``, ``0o17``)."""
    if value == "" or value != value.strip():
        return True
    try:
        back = RoundTrip.make().load(value)
    except YAMLError:
        return True
    if not isinstance(back, str) or back != value:
        return True
    tag = _RESOLVER.resolve(yaml.nodes.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]  # PyYAML's stub leaves resolve() untyped
    return bool(tag != "tag:yaml.org,2002:str")


def minimal_patch(original: str, before: str, after: str) -> str:
    """Apply to ``original`` only the lines that differ between two dumps of the same document.

    ``before`` is the round-trip dump of the unedited document and ``after`` that of the edited one.
    Usually ``before == original``; where ruamel would normalise something the edit did not touch
    (spacing in a flow mapping, say), that normalisation is not carried over: only the hunks that the
    edit changed are, and each lands on the original lines it corresponds to.
    """
    if before == original:
        return after
    orig_lines = original.splitlines(keepends=True)
    before_lines = before.splitlines(keepends=True)
    after_lines = after.splitlines(keepends=True)
    # Map each line of ``before`` to the original line it equals (where the two agree).
    to_orig: dict[int, int] = {}
    for tag, i1, i2, j1, _j2 in difflib.SequenceMatcher(None, before_lines, orig_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                to_orig[i1 + k] = j1 + k
    result = list(orig_lines)
    # Apply hunks from the bottom up so earlier indexes stay valid.
    hunks = [
        op
        for op in difflib.SequenceMatcher(None, before_lines, after_lines, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    for _tag, i1, i2, j1, j2 in reversed(hunks):
        if i1 == i2:  # insertion after before_lines[i1 - 1]
            anchor = to_orig.get(i1 - 1)
            start = (
                (anchor + 1)
                if anchor is not None
                else (to_orig.get(i1, len(orig_lines)) if i1 < len(before_lines) else len(orig_lines))
            )
            result[start:start] = after_lines[j1:j2]
            continue
        first, last = to_orig.get(i1), to_orig.get(i2 - 1)
        if first is None or last is None:
            # The edited lines are ones ruamel would also normalise: fall back to its whole dump.
            return after
        result[first : last + 1] = after_lines[j1:j2]
    return "".join(result)
