"""The diff's data: snapshots of rendered output, object identities, field changes, risk flags.

Everything here is plain data so the formats (text, Markdown, JSON) and library callers see the same
result. Values inside objects are JSON-like (dict, list, str, int, float, bool, None) plus
:class:`Masked` for anything that may be secret material.
"""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.diff._mask import Masked as Masked
from genplat.diff._mask import mask_object


class _Missing:
    """Marks the absent side of an added or removed field (``None`` is a real YAML value)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: t.Any = _Missing()


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    """How objects are matched between the two sides."""

    bundle: str
    api_version: str
    kind: str
    namespace: str
    name: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""


@dataclasses.dataclass(slots=True)
class Document:
    """One rendered object as read from an output folder, with where it lives."""

    key: ObjectKey
    raw: dict[str, t.Any]  # as read, secrets and all: only ever compared, never shown
    file: str  # path inside the bundle, e.g. "tenants/acme.yaml"
    line: int  # first line of the document in that file
    source: str | None  # the blueprint "file:line" from the "# source:" comment, if any
    tenant: str | None  # from the file path (tenants/<tenant>.yaml); None for platform objects
    _masked: dict[str, t.Any] | None = None

    @property
    def obj(self) -> dict[str, t.Any]:
        """The object with every value that may be secret masked: what reports and risk rules see.

        Computed on first use, so objects that turn out equal on both sides are never masked.
        """
        if self._masked is None:
            self._masked = mask_object(self.raw)
        return self._masked


# One step of a field path: a mapping key, a list index, or a list item matched by an identifying
# field, e.g. ("name", "app") for ``containers[name=app]``.
Segment = str | int | tuple[str, str]


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    op: t.Literal["add", "remove", "change"]
    path: tuple[Segment, ...]
    old: t.Any = MISSING
    new: t.Any = MISSING

    @property
    def masked(self) -> bool:
        return isinstance(self.old, Masked) or isinstance(self.new, Masked)


Status = t.Literal["added", "removed", "changed", "renamed", "moved"]
STATUSES: tuple[Status, ...] = ("added", "changed", "removed", "renamed", "moved")


@dataclasses.dataclass(slots=True)
class ObjectDiff:
    """One object that differs. ``base`` is None for added objects, ``head`` for removed ones."""

    status: Status
    base: Document | None
    head: Document | None
    changes: list[Change] = dataclasses.field(default_factory=list)
    # The blueprint value that caused the change (a genplat.loader.sources.Cause), set by attribution.
    cause: t.Any = None

    @property
    def doc(self) -> Document:
        """The side that describes the object now (the head side, or the base side when removed)."""
        d = self.head or self.base
        assert d is not None
        return d

    @property
    def key(self) -> ObjectKey:
        return self.doc.key

    @property
    def tenant(self) -> str | None:
        return self.doc.tenant


@dataclasses.dataclass(frozen=True, slots=True)
class Risk:
    """A flag on one object (``key``), or on a blueprint value alone (``key`` None: a loosened
    platform policy, ``cause`` says where). ``cause`` is the blueprint value behind it."""

    rule: str
    key: ObjectKey | None
    message: str
    cause: t.Any = None


@dataclasses.dataclass(slots=True)
class SideInfo:
    """What a side was: ``kind`` is dir, git, worktree, oci or empty; ``label`` is for people."""

    kind: str
    spec: str
    label: str


@dataclasses.dataclass(slots=True)
class DiffResult:
    base: SideInfo
    head: SideInfo
    objects: list[ObjectDiff]
    risks: list[Risk]
    warnings: list[str] = dataclasses.field(default_factory=list)
    # What changed in the blueprints (genplat.diff._summary.SummaryItem), and why it may be partial:
    # "" when both sides had blueprints, else which side had none (the summary then comes from objects).
    summary: list[t.Any] = dataclasses.field(default_factory=list)
    summary_note: str = ""
    # Bundles only one side has (a new or removed cluster).
    bundles_added: list[str] = dataclasses.field(default_factory=list)
    bundles_removed: list[str] = dataclasses.field(default_factory=list)
    # Objects compared in files whose bytes differed (files with identical bytes are skipped unread).
    compared: int = 0

    @property
    def has_differences(self) -> bool:
        return bool(self.objects)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {s: 0 for s in STATUSES}
        for o in self.objects:
            out[o.status] += 1
        return out


def spec_of(obj: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """An object's ``spec`` mapping (empty when it has none or it is not a mapping)."""
    spec = (obj or {}).get("spec")
    return spec if isinstance(spec, dict) else {}
