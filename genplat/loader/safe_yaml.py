"""Safe YAML reading with a line and column for every value.

Why not ruamel.yaml's round-trip loader (which also keeps positions)? Measured on this project's
blueprints it is over ten times slower than libyaml, and genplat reads thousands of tenant files
per build (see docs/benchmarks.md). So we drive libyaml's C *parser* (PyYAML's ``CParser``) and build
plain data from its event stream ourselves. Building from events instead of libyaml's composer
matters for safety: the composer recurses in C and crashes the interpreter on deeply nested input
(``[[[[…`` 100,000 deep segfaults), whereas this loop is iterative and enforces a depth limit.

What it refuses, each as a :class:`~genplat.Diagnostic` rather than an exception:
custom or Python tags, duplicate keys, alias expansion beyond a node budget ("billion laughs"),
nesting deeper than a limit, files over a size limit, bytes that are not UTF-8, empty files and
(for blueprints) several documents in one file. Timestamps stay strings: they are names and
versions in blueprints, never dates.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import sys
import typing as t
from array import array
from bisect import bisect_left

import yaml
from yaml import events as ev
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from genplat.core.diagnostics import Diagnostic, json_path
from genplat.loader.yaml_errors import explain

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_NODES = 200_000
DEFAULT_MAX_DEPTH = 64
# Values aliases may add, whatever the node budget: legitimate YAML reuses a few small anchors.
DEFAULT_MAX_ALIAS_NODES = 200_000

Path = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = {
    _STR: "str",
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "str",
    "tag:yaml.org,2002:value": "str",
    "tag:yaml.org,2002:merge": "merge",
    "tag:yaml.org,2002:map": "map",
    "tag:yaml.org,2002:seq": "seq",
    "!": "str",
}

_resolver = Resolver()
_constructor = SafeConstructor()

_Parser: type[_libyaml.CParser] | None
try:  # libyaml ships in every PyYAML wheel; the pure-Python parser is the slow fallback
    from yaml import _yaml as _libyaml

    _Parser = _libyaml.CParser
except ImportError:  # pragma: no cover
    _Parser = None


class PositionIndex:
    """Compact path → (line, column) map: two sorted int arrays instead of a dict of tuples.

    A tenant blueprint has about a hundred values; a dict keyed by path tuples cost ≈ 200 bytes per
    entry (200 MB at 10,000 tenants), these arrays cost 16. Keys are the paths' hashes, which are
    stable within a process, the only place the index lives.
    """

    __slots__ = ("_keys", "_vals")

    def __init__(self, entries: t.Mapping[Path, tuple[int, int]]) -> None:
        pairs = sorted((hash(k), (line << 24) | column) for k, (line, column) in entries.items())
        self._keys = array("q", [k for k, _ in pairs])
        self._vals = array("q", [v for _, v in pairs])

    def get(self, path: Path) -> tuple[int, int] | None:
        h = hash(path)
        i = bisect_left(self._keys, h)
        if i < len(self._keys) and self._keys[i] == h:
            v = self._vals[i]
            return (v >> 24, v & 0xFFFFFF)
        return None

    def __len__(self) -> int:
        return len(self._keys)


@dataclasses.dataclass(slots=True)
class YamlDocument:
    """One parsed document: plain data plus the 1-based (line, column) of every value and key."""

    file: str
    data: t.Any
    positions: PositionIndex
    key_positions: PositionIndex
    line: int = 1  # where the document starts

    def locate(self, path: t.Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        """Position of ``path`` or of its nearest ancestor that has one."""
        p = tuple(path)
        if key:
            found = self.key_positions.get(p)
            if found is not None:
                return found
        while p:
            found = self.positions.get(p)
            if found is not None:
                return found
            p = p[:-1]
        return self.positions.get(()) or (self.line, 1)


class _LoadError(Exception):
    def __init__(self, rule: str, message: str, line: int, column: int, path: Path = (), hint: str | None = None):
        super().__init__(message)
        self.rule, self.message, self.line, self.column, self.path, self.hint = rule, message, line, column, path, hint


def read_text(raw: bytes, file: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str | None, list[Diagnostic]]:
    """Decode a file's bytes as UTF-8 within the size limit, or explain why not."""
    if len(raw) > max_bytes:
        return None, [
            Diagnostic(
                rule="file-too-large",
                message=f"file is {len(raw):,} bytes, over the limit of {max_bytes:,} bytes",
                file=file,
                line=1,
                column=1,
                hint="split it into smaller files, or raise the limit with --max-file-size",
            )
        ]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [
            Diagnostic(
                rule="file-encoding",
                message="file is UTF-16; genplat reads UTF-8 only",
                file=file,
                line=1,
                column=1,
                hint="save the file as UTF-8",
            )
        ]
    # A UTF-8 byte order mark is dropped first, so that error offsets count from the first real byte.
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = body[: exc.start]
        line = before.count(b"\n") + 1
        # Columns count characters, as libyaml's (and editors') do: the line's bytes before this one are valid UTF-8.
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8")) + 1
        return None, [
            Diagnostic(
                rule="file-encoding",
                message=f"byte 0x{body[exc.start]:02x} is not valid UTF-8",
                file=file,
                line=line,
                column=column,
                hint="save the file as UTF-8",
            )
        ]
    return text, []


def load_documents(
    raw: bytes | str,
    file: str,
    *,
    multi: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> tuple[list[YamlDocument], list[Diagnostic]]:
    """Parse ``raw`` into documents. With ``multi=False`` exactly one non-empty document is expected."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    text, diags = read_text(raw, file, max_bytes=max_bytes)
    if text is None:
        return [], diags
    builder = _Builder(file, max_nodes=max_nodes, max_depth=max_depth)
    try:
        docs = builder.run(text, multi=multi)
    except _LoadError as exc:
        return [], [
            Diagnostic(
                rule=exc.rule,
                message=exc.message,
                file=file,
                line=exc.line,
                column=exc.column,
                path=_short_path(exc.path),
                hint=exc.hint,
            )
        ]
    except yaml.MarkedYAMLError as exc:
        return [], [_syntax_error(text, file, exc)]
    except yaml.YAMLError as exc:
        return [], [Diagnostic(rule="yaml-syntax", message=f"YAML error: {exc}", file=file, line=1, column=1)]
    if not docs:
        return [], [
            Diagnostic(
                rule="file-empty",
                message="file holds no YAML document",
                file=file,
                line=1,
                column=1,
                hint="remove the file, or give it content",
            )
        ]
    return docs, []


def _syntax_error(text: str, file: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """The finding for a YAML syntax error: in words where :func:`explain` knows the mistake, else libyaml's."""
    mark = exc.problem_mark or exc.context_mark
    line, column = _clamp(text, (mark.line + 1, mark.column + 1) if mark else (1, 1))
    context_at = _pos(exc.context_mark) if exc.context_mark is not None else None
    found = explain(text, exc.problem, (line, column), exc.context, context_at)
    if found is not None:
        return Diagnostic(
            rule="yaml-syntax",
            message=f"YAML syntax error: {found.message}",
            file=file,
            line=found.line,
            column=found.column,
            hint=found.hint,
        )
    context = f" ({exc.context})" if exc.context else ""
    return Diagnostic(
        rule="yaml-syntax",
        message=f"YAML syntax error: {exc.problem or 'invalid YAML'}{context}",
        file=file,
        line=line,
        column=column,
        hint="check the indentation (spaces only; keys of one mapping at the same column), the quotes and "
        "the ': ' after each key on this line and the lines above it",
    )


def _clamp(text: str, pos: tuple[int, int]) -> tuple[int, int]:
    """libyaml puts "unexpected end of stream" on the line after a file's last line: point at its end instead."""
    lines = text.split("\n")
    if pos[0] <= len(lines):
        return pos
    return len(lines), len(lines[-1]) + 1


def _tag_text(tag: str) -> str:
    """A tag as it was written: ``!!python/object`` rather than ``tag:yaml.org,2002:python/object``."""
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def _short_path(path: Path) -> str:
    """A JSON path for a message: the first and last steps of a very deep one (a nesting bomb's path
    would otherwise fill the screen)."""
    if len(path) <= 16:
        return json_path(path)
    return f"{json_path(path[:8])}…({len(path) - 12} more)…{json_path(path[-4:])}"


def _pos(mark: t.Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


@dataclasses.dataclass(slots=True)
class _Frame:
    kind: str  # "map" or "seq"
    value: t.Any
    path: Path
    start: tuple[int, int]
    anchor: str | None
    nodes_at_start: int
    pending_key: t.Any = None
    pending_key_pos: tuple[int, int] | None = None
    have_key: bool = False
    merges: list[t.Any] = dataclasses.field(default_factory=list)
    explicit_keys: set[t.Any] = dataclasses.field(default_factory=set)


class _Builder:
    """Turns libyaml events into plain data, iteratively, with budgets."""

    def __init__(self, file: str, *, max_nodes: int, max_depth: int) -> None:
        self.file = file
        self.max_nodes = max_nodes
        self.max_depth = max_depth

    def run(self, text: str, *, multi: bool) -> list[YamlDocument]:
        if _Parser is None:
            return self._run(yaml.SafeLoader(text), multi=multi)
        try:
            return self._run(_Parser(text), multi=multi)
        except yaml.MarkedYAMLError as exc:
            # libyaml 0.2.5 (bundled in PyYAML >= 6.0.4 wheels) stops at 1,000 nested levels with an error
            # of its own, raised while it scans ahead, before genplat's lower limit is reached in the
            # events. The pure-Python parser has no such limit and is just as iterative, so the same text
            # is parsed again with it: the finding is then genplat's own, where its limit is crossed.
            if "nesting depth" not in str(exc.problem or ""):
                raise
            return self._run(yaml.SafeLoader(text), multi=multi)

    def _run(self, parser: t.Any, *, multi: bool) -> list[YamlDocument]:
        docs: list[YamlDocument] = []
        try:
            while True:
                event = parser.get_event()
                if event is None or isinstance(event, ev.StreamEndEvent):
                    break
                if isinstance(event, ev.DocumentStartEvent):
                    line, column = _pos(event.start_mark)
                    if docs and not multi:
                        raise _LoadError(
                            "yaml-multiple-documents",
                            "file holds more than one YAML document",
                            line,
                            column,
                            hint="put each blueprint in a file of its own",
                        )
                    doc = self._document(parser, line)
                    if doc.data is None and not multi:
                        continue
                    if doc.data is not None:
                        docs.append(doc)
        finally:
            dispose = getattr(parser, "dispose", None)
            if dispose:
                dispose()
        return docs

    def _document(self, parser: t.Any, line: int) -> YamlDocument:
        positions: dict[Path, tuple[int, int]] = {}
        key_positions: dict[Path, tuple[int, int]] = {}
        anchors: dict[str, tuple[t.Any, int]] = {}
        stack: list[_Frame] = []
        nodes = 0
        aliased = 0  # values added by aliases: bounded on their own, so a bomb stops early
        result: t.Any = None
        done = False

        def place(value: t.Any, pos: tuple[int, int], size: int) -> bool:
            """Attach a finished value to its parent; returns True when it is the document root."""
            nonlocal result
            if not stack:
                result = value
                return True
            top = stack[-1]
            if top.kind == "seq":
                top.value.append(value)
                return False
            if not top.have_key:
                if isinstance(value, (dict, list)):
                    raise _LoadError("yaml-complex-key", "a mapping key must be a plain value", *pos, top.path)
                if value is _MERGE:
                    top.pending_key = _MERGE
                else:
                    if not isinstance(value, str):  # only an alias can bring a non-string key here
                        value = _key_text(value)
                    top.pending_key = value
                    if value in top.explicit_keys:
                        raise _LoadError(
                            "yaml-duplicate-key",
                            f"duplicate key {value!r}",
                            *pos,
                            top.path + (value,),
                            hint=f"the key first appears at line {key_positions[top.path + (value,)][0]}; keep one",
                        )
                    top.explicit_keys.add(value)
                    key_positions[top.path + (value,)] = pos
                top.pending_key_pos = pos
                top.have_key = True
                return False
            key = top.pending_key
            top.have_key = False
            if key is _MERGE:
                sources = value if isinstance(value, list) else [value]
                if not all(isinstance(s, dict) for s in sources):
                    raise _LoadError(
                        "yaml-merge", "a merge key (<<) needs a mapping or a list of mappings", *pos, top.path
                    )
                top.merges.extend(sources)
                return False
            top.value[key] = value
            return False

        while not done:
            event = parser.get_event()
            if isinstance(event, ev.DocumentEndEvent):
                break
            depth_path = stack[-1].path if stack else ()
            if isinstance(event, (ev.MappingStartEvent, ev.SequenceStartEvent)):
                nodes += 1
                if len(stack) >= self.max_depth:
                    raise _LoadError(
                        "yaml-too-deep",
                        f"nesting deeper than {self.max_depth} levels",
                        *_pos(event.start_mark),
                        depth_path,
                    )
                kind = "map" if isinstance(event, ev.MappingStartEvent) else "seq"
                self._check_tag(event.tag, kind, event, self._child_path(stack))
                path = self._child_path(stack)
                pos = _pos(event.start_mark)
                positions[path] = pos
                stack.append(_Frame(kind, {} if kind == "map" else [], path, pos, event.anchor, nodes))
                continue
            if isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
                frame = stack.pop()
                value = frame.value
                if frame.merges:
                    merged: dict[t.Any, t.Any] = {}
                    for source in frame.merges:
                        for k, v in source.items():
                            merged.setdefault(k, v)
                    merged.update(value)
                    value = merged
                if frame.anchor:
                    anchors[frame.anchor] = (value, nodes - frame.nodes_at_start + 1)
                done = place(value, frame.start, 0)
                continue
            if isinstance(event, ev.ScalarEvent):
                nodes += 1
                pos = _pos(event.start_mark)
                is_key = bool(stack) and stack[-1].kind == "map" and not stack[-1].have_key
                value = self._scalar(event, depth_path if is_key else self._child_path(stack), key=is_key)
                if stack and not (stack[-1].kind == "map" and not stack[-1].have_key):
                    positions[self._child_path(stack)] = pos
                elif not stack:
                    positions[()] = pos
                if event.anchor:
                    anchors[event.anchor] = (value, 1)
                done = place(value, pos, 1)
                if nodes > self.max_nodes:
                    raise _LoadError(
                        "yaml-too-large", f"document has more than {self.max_nodes:,} values", *pos, depth_path
                    )
                continue
            if isinstance(event, ev.AliasEvent):
                pos = _pos(event.start_mark)
                if event.anchor not in anchors:
                    raise _LoadError("yaml-syntax", f"unknown alias *{event.anchor}", *pos, depth_path)
                value, size = anchors[event.anchor]
                nodes += size
                aliased += size
                limit = min(self.max_nodes, DEFAULT_MAX_ALIAS_NODES)
                if nodes > self.max_nodes or aliased > limit:
                    raise _LoadError(
                        "yaml-alias-limit",
                        f"aliases expand to more than {limit:,} values",
                        *pos,
                        depth_path,
                        hint="this looks like an alias bomb ('billion laughs'); write the values out or use fewer aliases",
                    )
                if stack and not (stack[-1].kind == "map" and not stack[-1].have_key):
                    positions[self._child_path(stack)] = pos
                done = place(copy.deepcopy(value) if isinstance(value, (dict, list)) else value, pos, size)
                continue
        # Consume up to the DocumentEnd event when the root was a scalar or collection.
        if done:
            event = parser.get_event()
            if not isinstance(event, ev.DocumentEndEvent):  # pragma: no cover - libyaml guarantees this
                raise _LoadError("yaml-syntax", "unexpected content after the document", 1, 1)
        return YamlDocument(self.file, result, PositionIndex(positions), PositionIndex(key_positions), line)

    @staticmethod
    def _child_path(stack: list[_Frame]) -> Path:
        if not stack:
            return ()
        top = stack[-1]
        if top.kind == "seq":
            return top.path + (len(top.value),)
        key = top.pending_key
        if key is _MERGE:
            return top.path
        return top.path + (key if isinstance(key, (str, int)) else str(key),)

    def _check_tag(self, tag: str | None, kind: str, event: t.Any, path: Path) -> None:
        if tag is None or tag == "!":
            return
        if _ALLOWED_TAGS.get(tag) != kind:
            raise _LoadError(
                "yaml-tag",
                f"tag {_tag_text(tag)} is not allowed",
                *_pos(event.start_mark),
                path,
                hint="genplat reads plain data: remove the tag",
            )

    def _scalar(self, event: t.Any, path: Path, *, key: bool = False) -> t.Any:
        tag = event.tag
        if tag is None or tag == "!":
            if tag == "!" or event.style:  # quoted or block scalar: always a string
                return _short(event.value)
            tag = _resolver.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]  # PyYAML's stub leaves resolve() untyped
        kind = _ALLOWED_TAGS.get(tag)
        if kind is None or kind in ("map", "seq"):
            raise _LoadError(
                "yaml-tag",
                f"tag {_tag_text(tag)} is not allowed",
                *_pos(event.start_mark),
                path,
                hint="genplat reads plain data: remove the tag",
            )
        if kind == "str":
            return _short(event.value)
        if kind == "merge":
            return _MERGE if key else event.value
        if key:
            # Keys are strings, as in JSON (which the schemas describe) and in Kubernetes' own YAML reading:
            # `80:` and `true:` are the keys "80" and "true", not a number and a boolean.
            return _short(event.value)
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            if kind == "int":
                return _constructor.construct_yaml_int(node)
            if kind == "float":
                number = _constructor.construct_yaml_float(node)
                if math.isnan(number) or math.isinf(number):
                    # JSON (and so the schemas, the rendered manifests and Kubernetes) has no NaN or infinity.
                    raise _LoadError(
                        "yaml-number",
                        f"{event.value!r} is not a finite number",
                        *_pos(event.start_mark),
                        path,
                        hint=f'blueprints hold JSON-compatible data; if this is text, quote it: "{event.value}"',
                    )
                return number
            if kind == "bool":
                return _constructor.construct_yaml_bool(node)
            return None
        except (ValueError, KeyError) as exc:
            raise _LoadError(
                "yaml-syntax", f"{event.value!r} is not a valid {kind}", *_pos(event.start_mark), path
            ) from exc


def _key_text(value: t.Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _short(value: str) -> str:
    """Short strings (keys, names, quantities) are shared: thousands of tenant files repeat them, and
    one copy each keeps a 10,000-tenant project tens of megabytes smaller."""
    return sys.intern(value) if len(value) <= 32 else value


class _MergeKey:
    def __repr__(self) -> str:
        return "<<"


_MERGE = _MergeKey()
