"""``genplat set`` and ``genplat set-image``: change values in a blueprint, nothing else.

The document is loaded round-trip, each assignment sets one value (creating missing mappings on
the way, never list items), and the new text is :func:`minimal_patch` of the two dumps, so a one-value
edit is a one-line diff. A string keeps the quoting it had; a new string that would read back as
another type (``"16"``, ``"1.33"``, ``"true"``) is written in double quotes. ``VALUE`` is read as YAML
(``3`` a number, ``[a, b]`` a list), except where the schema wants a string: there it stays the text
typed, so ``spec.kubernetesVersion=1.34`` means the string ``"1.34"``.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing as t
from pathlib import Path

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from genplat.authoring._paths import (
    Index,
    Key,
    Named,
    PathError,
    Step,
    find_item,
    json_steps,
    parse_path,
    show,
)
from genplat.authoring._project_check import new_errors, validate_with
from genplat.authoring._roundtrip import RoundTrip, minimal_patch, needs_quotes, unreadable
from genplat.authoring._schema_paths import types_at
from genplat.core.diagnostics import Diagnostic
from genplat.core.errors import UsageError
from genplat.core.suggest import close_matches, did_you_mean
from genplat.loader.project import blueprint_folder_of, load_project

_KINDS = {"Platform": "platform", "Tenant": "tenant"}


def kind_of(data: t.Any) -> str | None:
    """The schema name ("platform", "tenant") of a loaded blueprint document."""
    return _KINDS.get(str(data.get("kind"))) if isinstance(data, dict) else None


def line_changes(original: str, new: str) -> tuple[int, int]:
    """Lines added and removed between two texts: the common start and end set aside, then a line diff
    of the rest (so an inserted item counts its own lines, as git's minimal diff does)."""
    a, b = original.splitlines(), new.splitlines()
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    a, b = a[head : len(a) - tail], b[head : len(b) - tail]
    if not a or not b:
        return len(b), len(a)
    same = sum(block.size for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return len(b) - same, len(a) - same


@dataclasses.dataclass(frozen=True, slots=True)
class Assignment:
    path: tuple[Step, ...]
    text: str  # the VALUE as typed

    def __str__(self) -> str:
        return f"{show(self.path)}={self.text}"


@dataclasses.dataclass(slots=True)
class EditResult:
    file: Path
    original: str
    text: str  # the new content (== original when nothing changed)
    findings: list[Diagnostic]  # errors the edit would add: when any, nothing may be written
    notes: list[str] = dataclasses.field(default_factory=list)  # what the command chose for the user

    @property
    def changed(self) -> bool:
        return self.text != self.original

    @property
    def line_changes(self) -> tuple[int, int]:
        """(added, removed) lines, as ``git diff --numstat`` counts them."""
        return line_changes(self.original, self.text)

    @property
    def ok(self) -> bool:
        return not self.findings


def parse_assignment(text: str) -> Assignment:
    depth, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "[":
            depth += 1
        elif not quoted and ch == "]":
            depth -= 1
        elif ch == "=" and not quoted and depth == 0:
            return Assignment(parse_path(text[:i]), text[i + 1 :])
    raise UsageError(
        f"{text!r} is not PATH=VALUE",
        hint="for example spec.tier=large or spec.services[checkout].image=ghcr.io/acme/app:1.2.3",
    )


def read_value(text: str, expected: set[str]) -> t.Any:
    try:
        value = RoundTrip.make().load(text) if text.strip() else None
    except YAMLError:
        return text
    if value is None and text.strip() not in ("null", "~"):
        value = None if "null" in expected and "string" not in expected else text
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}.get(type(value))
    if ("integer" in expected and kind == "integer") or ("number" in expected and kind in ("integer", "number")):
        return value
    if kind is None and ("object" in expected or "array" in expected or not expected):
        return value
    if "string" in expected and kind != "string":
        return text
    return value


def _styled(old: t.Any, new: t.Any) -> t.Any:
    if not isinstance(new, str):
        return new
    if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        return type(old)(new)
    return DoubleQuotedScalarString(new) if needs_quotes(new) else new


def _names(items: list[t.Any]) -> str:
    names = [str(i.get("name")) for i in items if isinstance(i, dict) and i.get("name") is not None]
    return ", ".join(names) if names else f"positions 0–{len(items) - 1}" if items else "the list is empty"


def _missing_item_hint(items: list[t.Any], step: Index | Named, where: t.Sequence[Step]) -> str:
    """A typo of an item's name gets "did you mean"; another name, the items and how to add it."""
    if isinstance(step, Named):
        names = [str(i.get("name")) for i in items if isinstance(i, dict) and i.get("name") is not None]
        close = close_matches(step.name, names)
        if close:
            return f"did you mean [{close[0]}]?"
        return f"items: {_names(items)}; to add one: genplat add FILE {show(where)} '{{name: {step.name}, …}}'"
    return f"items: {_names(items)}"


def _assign(data: t.Any, a: Assignment, kind: str | None) -> None:
    node = data
    steps = a.path
    for n, step in enumerate(steps):
        last = n == len(steps) - 1
        where = show(steps[: n + 1])
        if isinstance(step, Key):
            if not isinstance(node, dict):
                raise PathError(f"{show(steps[:n]) or 'the document'} is not a mapping, so it has no key {step.name!r}")
            if last:
                expected = types_at(kind, json_steps(data, steps)) if kind else set()
                node[step.name] = _styled(node.get(step.name), read_value(a.text, expected))
                return
            if step.name not in node or node[step.name] is None:
                if not isinstance(steps[n + 1], Key):
                    raise PathError(
                        f"{where} does not exist, so it has no list items",
                        hint=f"add the first with genplat add FILE {where} ITEM",
                    )
                node[step.name] = CommentedMap()
            node = node[step.name]
        else:
            if not isinstance(node, list):
                raise PathError(f"{show(steps[:n])} is not a list, so [{step}] selects nothing")
            i = find_item(node, step)
            if i is None:
                what = f"no item named {step.name!r}" if isinstance(step, Named) else f"no position {step.position}"
                raise PathError(f"{show(steps[:n])} has {what}", hint=_missing_item_hint(node, step, steps[:n]))
            if last:
                expected = types_at(kind, json_steps(data, steps)) if kind else set()
                node[i] = _styled(node[i], read_value(a.text, expected))
                return
            node = node[i]


def edit_text(original: str, assignments: t.Sequence[Assignment]) -> str:
    """The text with every assignment applied, changed only where the values are."""
    try:
        rt = RoundTrip(original)
    except YAMLError as exc:
        raise unreadable(exc) from exc
    if not isinstance(rt.data, dict):
        raise UsageError("the file does not hold a blueprint (a mapping with apiVersion, kind, metadata and spec)")
    before = rt.dump()
    kind = kind_of(rt.data)
    for a in assignments:
        _assign(rt.data, a, kind)
    return minimal_patch(original, before, rt.dump())


def checked_edit(file: Path, new_text: str, original: str) -> EditResult:
    """Validate the project with ``new_text`` in place of ``file``; the errors it would add, if any."""
    root = blueprint_folder_of(file) or file.parent
    if new_text == original:
        return EditResult(file, original, new_text, [])
    target: Path = root if blueprint_folder_of(file) else file
    before = validate_with(target)
    after = validate_with(target, {file: new_text.encode("utf-8")})
    return EditResult(file, original, new_text, new_errors(before, after))


def set_values(file: Path, assignments: t.Sequence[Assignment]) -> EditResult:
    original = file.read_bytes().decode("utf-8")
    return checked_edit(file, edit_text(original, assignments), original)


def set_image(root: Path, tenant: str, service: str, image: str) -> EditResult:
    """Set ``spec.services[SERVICE].image`` in the blueprint of ``tenant`` (found by its name)."""

    project = load_project(root)
    bp = project.tenant(tenant)
    if bp is None:
        names = sorted(b.name for b in project.tenants)
        raise UsageError(
            f"no tenant named {tenant!r} in {root}", hint=did_you_mean(tenant, names) or f"tenants: {', '.join(names)}"
        )
    services = [s.get("name") for s in bp.spec.get("services") or [] if isinstance(s, dict)]
    if service not in services:
        raise UsageError(
            f"tenant {tenant!r} has no service {service!r}",
            hint=did_you_mean(service, [str(s) for s in services])
            or f"services: {', '.join(map(str, services)) or 'none'}",
        )
    return set_values(Path(bp.file), [Assignment((Key("spec"), Key("services"), Named(service), Key("image")), image)])
