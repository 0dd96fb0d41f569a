"""Output paths: relative, ``/``-separated, never able to leave the output folder."""

from __future__ import annotations

import re

from genplat.core.errors import UsageError

# Control characters (and DEL) have no business in output names; NUL and "\" are unsafe anywhere.
_BAD_CHARS = re.compile("[\x00-\x1f\x7f\\\\]")


class UnsafePathError(UsageError):
    """A planned output path could land outside the output folder, or is otherwise unusable."""


def check_relpath(rel: object) -> str:
    """Return ``rel`` if it is a safe relative POSIX path inside the output folder, else raise."""
    if not isinstance(rel, str):
        raise UnsafePathError(f"output path {rel!r} is a {type(rel).__name__}, expected str")
    problem = None
    if not rel:
        problem = "it is empty"
    elif rel.startswith("/"):
        problem = "it is absolute"
    elif (m := _BAD_CHARS.search(rel)) is not None:
        problem = "it contains a backslash" if m.group() == "\\" else f"it contains the character {m.group()!r}"
    else:
        for part in rel.split("/"):
            if part in ("", ".", ".."):
                problem = f"it has a {part!r} part" if part else "it has an empty part"
                break
    if problem is not None:
        raise UnsafePathError(
            f"refusing to write output path {rel!r}: {problem}",
            hint="output paths must be relative, '/'-separated, without '.', '..' or empty parts",
        )
    return rel
