"""Changes that only follow another change, folded into it with one line saying why (report side).

A Knative Service (or Configuration) whose template changes gets a new revision name: Knative refuses
a changed template under the old name, and genplat derives the name from the template's content
(``checkout-s5yal`` → ``checkout-dvozr``). That rename is not a change of its own, so reports show the
template change and fold the rename into one line; it also leaves the rename out when deciding which
changes are the same in several clusters (the names differ per environment, the image bump does not).
The JSON keeps the change, with a ``note``.
"""

from __future__ import annotations

import typing as t

from genplat.diff._model import Change, ObjectDiff

REVISION_NAME = ("spec", "template", "metadata", "name")
_KNATIVE = {("serving.knative.dev", "Service"), ("serving.knative.dev", "Configuration")}
WHY = (
    "a revision's name changes with its template (Knative needs a new name for a new template; "
    "genplat derives it from the template's content)"
)


def revision_rename(o: ObjectDiff) -> Change | None:
    """The revision rename that only follows another change of the same Knative template."""
    if (o.key.group, o.key.kind) not in _KNATIVE:
        return None
    rename = next((c for c in o.changes if c.path == REVISION_NAME and c.op == "change"), None)
    if rename is None or not any(c is not rename and c.path[:2] == ("spec", "template") for c in o.changes):
        return None
    return rename


def shown(o: ObjectDiff) -> list[Change]:
    """The changes a report shows one by one (the folded ones left out)."""
    rename = revision_rename(o)
    return [c for c in o.changes if c is not rename]


def rename_text(renames: t.Sequence[tuple[str, Change]]) -> str:
    """One line for the renames of a group: ``revision checkout-s5yal → checkout-dvozr (dev/dev-eu); …``."""
    by_names: dict[tuple[str, str], list[str]] = {}
    for place, c in renames:
        places = by_names.setdefault((str(c.old), str(c.new)), [])
        if place and place not in places:
            places.append(place)
    parts = [
        f"{old} → {new}" + (f" ({', '.join(places)})" if len(by_names) > 1 and places else "")
        for (old, new), places in by_names.items()
    ]
    return f"revision renamed {'; '.join(parts)}: {WHY}"


def note(o: ObjectDiff, c: Change) -> str | None:
    """Why a change is folded, for the JSON form."""
    return f"follows the template: {WHY}" if c is revision_rename(o) else None
