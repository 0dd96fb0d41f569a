"""'Did you mean' hints for misspelt names."""

from __future__ import annotations

import difflib
import typing as t


def did_you_mean(word: str, candidates: t.Iterable[str]) -> str | None:
    known = sorted({c for c in candidates if isinstance(c, str)})
    if not known:
        return None
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    shown = ", ".join(repr(k) for k in known[:8]) + (", …" if len(known) > 8 else "")
    return f"known: {shown}"
