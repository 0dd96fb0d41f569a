"""Report stage: file names and other untrusted text shown as one printable line."""

from __future__ import annotations

import re

# C0/C1 controls, DEL, lone surrogates (undecodable bytes of a file name, from os.fsdecode), and the
# Unicode line and paragraph separators: each would break a line or cannot be encoded.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape of a raw byte: show the byte
        return f"\\x{code - 0xDC00:02x}"
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_name(text: str) -> str:
    """``text`` with every control character and undecodable byte written as an escape (``\\n``,
    ``\\x1b``, ``\\xff``); printable text, including non-ASCII letters, is left as it is."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text
