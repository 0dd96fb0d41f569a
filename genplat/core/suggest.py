"""'Did you mean' hints for misspelt names: only for typos, judged by edit distance.

A name is suggested when it is a plausible typo of the word: a few characters apart (Damerau–Levenshtein,
so a swapped pair is one edit), no more than one edit for short names, two up to ten characters, three
beyond. Names that only share a prefix are not typos of each other, nor are names that differ in a
whole part or only in their digits: ``prod-ap`` is not ``prod-us`` (another region), ``dev-3`` is not
``dev-2``, ``checkout-v2`` is not ``checkout``. Without a close name the hint lists the known ones.
"""

from __future__ import annotations

import re
import typing as t

_SEPARATORS = re.compile(r"[-_./]")


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    if a == b:
        return 0
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def _limit(length: int) -> int:
    return 1 if length <= 4 else 2 if length <= 10 else 3


def is_typo(word: str, candidate: str) -> bool:
    """Whether ``candidate`` is a plausible correction of ``word`` (not merely a name like it)."""
    a, b = word.lower(), candidate.lower()
    if a == b:
        return word != candidate
    if re.sub(r"[0-9]", "", a) == re.sub(r"[0-9]", "", b):
        return False  # only the digits differ: another numbered thing, not a typo
    d = distance(a, b)
    if d > _limit(max(len(a), len(b))) or d >= max(len(a), len(b)):
        return False  # too many edits, or nothing in common
    if d == 1:
        return True  # one character wrong, missing, extra or swapped
    parts_a, parts_b = _SEPARATORS.split(a), _SEPARATORS.split(b)
    if len(parts_a) != len(parts_b):
        return False  # a part added or dropped (checkout-v2, postgres-ha)
    for pa, pb in zip(parts_a, parts_b, strict=True):
        if pa != pb and distance(pa, pb) >= max(len(pa), len(pb)) - (1 if max(len(pa), len(pb)) > 3 else 0):
            return False  # a whole part replaced (prod-ap, prod-us)
    return True


def close_matches(word: str, candidates: t.Iterable[str]) -> list[str]:
    """The candidates that are plausible corrections of ``word``, nearest first."""
    found = [(distance(word.lower(), c.lower()), c) for c in {c for c in candidates if isinstance(c, str)}]
    return [c for d, c in sorted(found) if is_typo(word, c)]


def did_you_mean(word: str, candidates: t.Iterable[str], *, listing: str = "known") -> str | None:
    """``did you mean 'x'?`` for a typo of a known name; else ``LISTING: 'a', 'b'`` (up to eight names);
    None when there are none."""
    known = sorted({c for c in candidates if isinstance(c, str)})
    if not known:
        return None
    close = close_matches(word, known)
    if close:
        best = [c for c in close if distance(word.lower(), c.lower()) == distance(word.lower(), close[0].lower())]
        return f"did you mean {' or '.join(repr(c) for c in best[:2])}?"
    shown = ", ".join(repr(k) for k in known[:8]) + (", …" if len(known) > 8 else "")
    return f"{listing}: {shown}"
