"""A small YAML emitter for the data genplat writes: Kubernetes objects as plain Python values.

Why hand-written: on this machine a ≈ 38-line object costs PyYAML's ``CSafeDumper`` about 140 µs
(≈ 7,000 objects/s; libyaml is fast, its Python event layer is not) and ruamel.yaml about 400 µs
(≈ 2,400/s). ruamel also writes ``on`` unquoted, which YAML 1.1 readers (Kubernetes' go-yaml,
PyYAML) read back as ``true``; PyYAML's defaults sort keys, wrap long lines and emit ``&id001``
anchors for shared sub-objects. genplat only ever emits a tiny subset of YAML (mappings with str
keys, sequences, str, int, float, bool, None), so a direct emitter for that subset is about ten times
faster than libyaml-through-Python (``bench/emit_bench.py``: ≈ 50,000 objects/s against ≈ 5,400 for
``CSafeDumper``) and makes every choice below explicit.

Output rules:

- block style; mappings indented by two spaces, sequences indented under their key, lists of
  mappings in the compact ``- key: value`` form; ``{}`` and ``[]`` for empty collections;
- top-level key order ``apiVersion, kind, metadata, spec``, then the rest in insertion order; nested
  mappings keep insertion order; no anchors or aliases (a shared sub-object is written out twice);
- a string is written plain only when every YAML 1.1 reader (PyYAML, go-yaml v2 as used by
  Kubernetes) and every YAML 1.2 reader would read it back as the same string. That means quoting
  ``yes/no/on/off/y/n/true/false/null/~`` in any case, everything that looks like a number in either
  version (``0o17``, ``017``, ``0x1F``, ``0b101``, ``1_000``, sexagesimal ``1:20``, ``1e3``,
  ``.inf``, ``.nan``), date-like strings, ``=`` and ``<<``, empty strings, leading or trailing spaces,
  leading indicator characters, ``": "`` and ``" #"`` inside, a trailing ``:`` and document markers;
- quoted strings use single quotes when no escape is needed, double quotes with escapes otherwise
  (control characters, ``\\r``, tabs, ``U+0085``, ``U+2028``, ``U+2029``, ``U+FEFF``, ``U+FFFE``,
  ``U+FFFF``); other non-ASCII text (including characters beyond the BMP) is written as is, UTF-8;
- multi-line strings become literal blocks with the chomping indicator that gives back the exact
  trailing newlines (``|-`` none, ``|`` one, ``|+`` more). When a literal block cannot hold the
  string exactly (first content line starting with a space, trailing spaces on a line, tabs or other
  characters that need escapes, no content line at all) the string is double-quoted instead;
- ints are written in decimal, floats as ``repr`` made YAML 1.1-safe (``1.0e+16``, ``.inf``,
  ``.nan``), bools as ``true``/``false``, None as ``null``. Any other type raises :class:`TypeError`
  naming where in the object it sits; strings holding lone surrogates (not encodable as UTF-8) raise
  :class:`ValueError`.

Public API: :func:`dump_object` and :func:`dump_documents`.
"""

from __future__ import annotations

import math
import re
import typing as t

__all__ = ["dump_documents", "dump_object"]

_TOP_ORDER = ("apiVersion", "kind", "metadata", "spec")

# Characters that cannot stand as they are in a plain, single-quoted or literal scalar: C0 controls
# (tab, LF and CR included), DEL and C1 controls (NEL U+0085 included), the Unicode line and
# paragraph separators (YAML 1.1 line breaks), the BOM, U+FFFE/U+FFFF, and surrogates.
_NEEDS_ESCAPE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# The same set without LF: what may not appear in a literal block.
_NOT_LITERAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")

# First characters that make a plain scalar mean something else (indicators), plus space. "-" is
# checked apart: "-x" is a valid plain scalar (command-line flags are common) but "- x" and "---" not.
_BAD_FIRST = frozenset("?:,[]{}#&*!|>'\"%@` ")

# Plain strings that some YAML 1.1 or 1.2 reader resolves to something other than a string. Kept
# deliberately broader than either spec (case-insensitive, signs everywhere, underscores anywhere in
# digits: ruamel reads "_" and "-_0" as ints), because quoting a string that did not need it is
# harmless and the reverse is a bug.
_IMPLICIT = re.compile(
    r"""(?:
      [-+]?(?:[0-9_]+(?::[0-9_]*)*(?:\.[0-9_]*)?|\.[0-9_]+)(?:e[-+]?[0-9_]*)?  # int/float/base 60
    | [-+]?0[xob][0-9a-f_]*                                    # hex, octal (1.2), binary
    | [-+]?\.?(?:inf|infinity|nan)                             # .inf, .nan and go's Inf/NaN
    | y|n|yes|no|on|off|true|false|null|~|=|<<                 # bool, null, value, merge
    | [0-9][0-9_]*-[0-9][0-9_]*-[0-9].*                        # dates and timestamps
    )\Z""",
    re.IGNORECASE | re.VERBOSE,
)

# Named escapes understood by both YAML 1.1 and 1.2 readers.
_ESCAPES = {
    "\x00": "\\0",
    "\x07": "\\a",
    "\x08": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}
_DQ_SPECIAL = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]')

# Emitted form of strings seen before. Keys and values repeat heavily across objects (``name``,
# ``apiVersion: v1``, label values), so this removes most of the per-scalar analysis.
_CACHE_LIMIT = 200_000
_CACHE_MAX_LEN = 256
_plain_cache: dict[str, str] = {}


class _PathError(Exception):
    """Carries a type or value problem up the recursion while collecting the path to it."""

    def __init__(self, exc_type: type[Exception], message: str) -> None:
        super().__init__(message)
        self.exc_type = exc_type
        self.message = message
        self.path: list[str] = []


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group()
    esc = _ESCAPES.get(ch)
    if esc is not None:
        return esc
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _double_quoted(s: str) -> str:
    if _SURROGATE.search(s):
        raise _PathError(ValueError, f"string {s!r} holds a lone surrogate and cannot be written as UTF-8")
    return '"' + _DQ_SPECIAL.sub(_escape_char, s) + '"'


def _inline(s: str) -> str:
    """The one-line form of ``s``: plain when safe, else single-quoted, else double-quoted."""
    out = _plain_cache.get(s)
    if out is not None:
        return out
    if _NEEDS_ESCAPE.search(s):
        out = _double_quoted(s)
    elif (
        not s
        or s[0] in _BAD_FIRST
        or (s[0] == "-" and (len(s) == 1 or s[1] == " " or s.startswith("---")))
        or s[-1] == " "
        or ": " in s
        or " #" in s
        or s[-1] == ":"
        or s.startswith("...")
        or _IMPLICIT.match(s)
    ):
        out = "'" + s.replace("'", "''") + "'"
    else:
        out = s
    if len(s) <= _CACHE_MAX_LEN:
        if len(_plain_cache) >= _CACHE_LIMIT:
            _plain_cache.clear()
        _plain_cache[s] = out
    return out


def _literal_header(s: str) -> str | None:
    """The block header (``|``, ``|-``, ``|+``) when ``s`` can be a literal block, else None."""
    if _NOT_LITERAL.search(s):
        return None
    body = s.rstrip("\n")
    if not body:
        return None
    lines = body.split("\n")
    for line in lines:
        if line and line[0] == " ":
            # Only the first content line decides the block's indentation; a later line may start
            # with spaces (it is then "more indented" and kept as is).
            return None
        if line:
            break
    for line in lines:
        if line.endswith(" "):
            return None
    trailing = len(s) - len(body)
    return "|-" if trailing == 0 else "|" if trailing == 1 else "|+"


def _str_value(s: str, head: str, child_indent: str, out: list[str]) -> None:
    """Append ``head`` followed by string ``s`` as a value (``head`` ends in ``:`` or ``-``)."""
    if "\n" in s:
        header = _literal_header(s)
        if header is not None:
            out.append(f"{head} {header}")
            for line in s.rstrip("\n").split("\n"):
                out.append(child_indent + line if line else "")
            out.extend("" for _ in range(len(s) - len(s.rstrip("\n")) - 1))
            return
        out.append(f"{head} {_double_quoted(s)}")
        return
    out.append(f"{head} {_inline(s)}")


def _float(v: float) -> str:
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return ".inf" if v > 0 else "-.inf"
    r = float.__repr__(v)
    # YAML 1.1 floats need a dot: Python writes 1e+16, PyYAML and go-yaml v2 want 1.0e+16.
    if "." not in r and "e" in r:
        r = r.replace("e", ".0e", 1)
    return r


def _scalar(v: object) -> str:
    """One-line form of a non-string scalar."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float):
        return _float(v)
    raise _PathError(
        TypeError,
        f"cannot write a value of type {type(v).__name__} ({v!r:.60}); "
        "genplat writes only dict, list, str, int, float, bool and None",
    )


def _key(k: object) -> str:
    if type(k) is not str:
        if not isinstance(k, str):
            raise _PathError(TypeError, f"mapping key {k!r:.60} is a {type(k).__name__}, expected str")
        k = str.__str__(k)  # a str subclass (e.g. a str Enum) is written as its value
    text = _inline(k)
    if len(text) > 1000:
        # YAML readers only look 1024 characters ahead for the ':' of an implicit key.
        return f"? {text}\n"
    return text


def _mapping(d: dict[str, t.Any], keys: t.Iterable[str], indent: str, first: str, out: list[str]) -> None:
    """Append the mapping's lines; ``first`` replaces ``indent`` on the first line (``- `` items)."""
    child = indent + "  "
    lead = first
    for k in keys:
        v = d[k]
        try:
            kt = _key(k)
            if kt[0] == "?" and kt[-1] == "\n":
                # Explicit key for very long keys: "? key" on one line, ":" and the value after it.
                out.append(lead + kt[:-1])
                head = indent + ":"
            else:
                head = lead + kt + ":"
            lead = indent
            tv = type(v)
            if tv is str:
                _str_value(v, head, child, out)
            elif tv is dict:
                if v:
                    out.append(head)
                    _mapping(v, v, child, child, out)
                else:
                    out.append(head + " {}")
            elif tv is list:
                if v:
                    out.append(head)
                    _sequence(v, child, child, out)
                else:
                    out.append(head + " []")
            else:
                _other(v, head, child, out)
        except _PathError as e:
            e.path.append(f".{k}" if isinstance(k, str) else f"[{k!r}]")
            raise


def _sequence(items: list[t.Any], indent: str, first: str, out: list[str]) -> None:
    child = indent + "  "
    lead = first
    for i, v in enumerate(items):
        try:
            head = lead + "-"
            lead = indent
            tv = type(v)
            if tv is str:
                _str_value(v, head, child, out)
            elif tv is dict:
                if v:
                    _mapping(v, v, child, head + " ", out)
                else:
                    out.append(head + " {}")
            elif tv is list:
                if v:
                    _sequence(v, child, head + " ", out)
                else:
                    out.append(head + " []")
            else:
                _other(v, head, child, out)
        except _PathError as e:
            e.path.append(f"[{i}]")
            raise


def _other(v: object, head: str, child: str, out: list[str]) -> None:
    """Values that are not exactly str/dict/list: subclasses of those, and the other scalars."""
    if isinstance(v, str):
        _str_value(str.__str__(v), head, child, out)
    elif isinstance(v, dict):
        if v:
            if head.endswith("-"):
                _mapping(v, v, child, head + " ", out)
            else:
                out.append(head)
                _mapping(v, v, child, child, out)
        else:
            out.append(head + " {}")
    elif isinstance(v, list):
        if v:
            if head.endswith("-"):
                _sequence(v, child, head + " ", out)
            else:
                out.append(head)
                _sequence(v, child, child, out)
        else:
            out.append(head + " []")
    else:
        out.append(f"{head} {_scalar(v)}")


def _object_lines(obj: dict[str, t.Any], out: list[str]) -> None:
    if not isinstance(obj, dict):
        raise TypeError(f"a document must be a dict, got {type(obj).__name__}")
    if not obj:
        out.append("{}")
        return
    keys = [k for k in _TOP_ORDER if k in obj]
    if len(keys) < len(obj):
        keys.extend(k for k in obj if k not in _TOP_ORDER)
    try:
        _mapping(obj, keys, "", "", out)
    except _PathError as e:
        where = "".join(reversed(e.path)).lstrip(".") or "<document>"
        raise e.exc_type(f"at {where}: {e.message}") from None


def dump_object(obj: dict[str, t.Any]) -> str:
    """One YAML document (no ``---``), ending in a newline."""
    out: list[str] = []
    _object_lines(obj, out)
    out.append("")
    return "\n".join(out)


_COMMENT_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff\\\\]")


def _comment_text(text: str) -> str:
    # A line break (LF, CR, NEL, LS, PS) would end the comment and let the rest be read as YAML;
    # other non-printable characters make YAML readers refuse the whole stream. Escape them all,
    # and the backslash too so the escaping stays unambiguous.
    return _COMMENT_UNSAFE.sub(lambda m: "\\\\" if m.group() == "\\" else f"\\u{ord(m.group()):04x}", text)


def dump_documents(docs: t.Iterable[tuple[str | None, dict[str, t.Any]]]) -> str:
    """A multi-document stream: each document starts with ``---``; a non-None source becomes a
    ``# source: <text>`` comment line right before the document's first line."""
    out: list[str] = []
    for source, obj in docs:
        out.append("---")
        if source is not None:
            out.append("# source: " + _comment_text(source))
        _object_lines(obj, out)
    if not out:
        return ""
    out.append("")
    return "\n".join(out)
