"""Delivery stage: what ``genplat status`` found, as plain data (the CLI formats it; ``to_dict`` is the
stable JSON shape documented in docs/delivery.md)."""

from __future__ import annotations

import dataclasses
import typing as t

#: A delivery object's state against the digest the lock pins.
CONVERGED, BEHIND, FAILING = "converged", "behind", "failing"
#: A cluster genplat could not read (no context, unreachable, refused): its state is unknown.
UNKNOWN = "unknown"
_RANK = {CONVERGED: 0, BEHIND: 1, FAILING: 2, UNKNOWN: 3}


def worst(states: t.Iterable[str]) -> str:
    return max(states, key=lambda s: _RANK[s], default=CONVERGED)


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    """One Kubernetes Event about a delivery object (the controller's own record of an attempt)."""

    type: str  # Warning | Normal
    reason: str
    message: str
    time: str  # RFC 3339, the last time it happened
    count: int = 1
    revision: str | None = None  # the revision the controller annotated it with

    def to_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True)
class ObjectProblem:
    """An object of the bundle that a controller named in a failure, traced back to its blueprint."""

    ref: str  # Kind/namespace/name
    message: str  # the part of the controller's (or the server's) message about it
    file: str | None = None  # the blueprint file that produced it
    line: int | None = None
    source: str | None = None  # the ``# source:`` comment
    out: str | None = None  # its file:line in out/
    tenant: str | None = None

    def to_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)

    @property
    def where(self) -> str | None:
        if self.file is None:
            return None
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclasses.dataclass(frozen=True, slots=True)
class Inventory:
    """A layer's inventory on the cluster against the bundle's objects of that layer."""

    applied: int
    expected: int
    missing: tuple[str, ...] = ()  # in the bundle, not in the inventory
    extra: tuple[str, ...] = ()  # in the inventory, not in the bundle

    def to_dict(self) -> dict[str, t.Any]:
        return {
            "applied": self.applied,
            "expected": self.expected,
            "missing": list(self.missing),
            "extra": list(self.extra),
        }


@dataclasses.dataclass(slots=True)
class UnitStatus:
    """One delivery object (OCIRepository, Kustomization, HelmRelease, App) as its controller reports it."""

    api_version: str
    kind: str
    name: str
    namespace: str
    layer: str
    state: str
    summary: str  # one line: why it is in that state
    expected: str | None = None  # the revision the lock pins (None: whatever the spec asks)
    applied: str | None = None  # the revision it last applied (or fetched)
    attempted: str | None = None
    reason: str | None = None  # the Ready condition's reason
    message: str | None = None  # the Ready (or Stalled) condition's message
    events: list[Event] = dataclasses.field(default_factory=list)
    objects: list[ObjectProblem] = dataclasses.field(default_factory=list)
    inventory: Inventory | None = None
    nested: list[UnitStatus] = dataclasses.field(default_factory=list)  # delivery objects it applied

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"

    def to_dict(self) -> dict[str, t.Any]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "layer": self.layer,
            "state": self.state,
            "summary": self.summary,
            "expected": self.expected,
            "applied": self.applied,
            "attempted": self.attempted,
            "reason": self.reason,
            "message": self.message,
            "events": [e.to_dict() for e in self.events],
            "objects": [o.to_dict() for o in self.objects],
            "inventory": self.inventory.to_dict() if self.inventory else None,
            "nested": [n.to_dict() for n in self.nested],
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Drift:
    """An object of the bundle whose live state differs from what its controller would apply."""

    ref: str
    tenant: str | None  # None: a platform object
    paths: tuple[str, ...]  # the fields that differ (JSON paths)
    managers: tuple[str, ...]  # who else wrote to the object (managedFields), newest first
    file: str | None = None
    line: int | None = None
    error: str | None = None  # the dry run was refused: the reason

    def to_dict(self) -> dict[str, t.Any]:
        d = dataclasses.asdict(self)
        d["paths"], d["managers"] = list(self.paths), list(self.managers)
        return d


@dataclasses.dataclass(slots=True)
class ClusterStatus:
    """One cluster: every delivery object of its bundle, and drift when asked for."""

    bundle: str
    environment: str
    cluster: str
    fmt: str
    digest: str  # what the lock pins
    wiring: str  # the wiring file in out/
    context: str | None = None
    units: list[UnitStatus] = dataclasses.field(default_factory=list)
    error: str | None = None  # why the cluster could not be read
    drift: list[Drift] | None = None  # None: not asked for

    @property
    def state(self) -> str:
        if self.error:
            return UNKNOWN
        return worst([u.state for u in self.units] + [n.state for u in self.units for n in u.nested])

    def to_dict(self) -> dict[str, t.Any]:
        return {
            "bundle": self.bundle,
            "environment": self.environment,
            "cluster": self.cluster,
            "format": self.fmt,
            "digest": self.digest,
            "wiring": self.wiring,
            "context": self.context,
            "state": self.state,
            "error": self.error,
            "units": [u.to_dict() for u in self.units],
            "drift": [d.to_dict() for d in self.drift] if self.drift is not None else None,
        }


JSON_VERSION = 1


@dataclasses.dataclass(slots=True)
class StatusReport:
    clusters: list[ClusterStatus]
    waited: float | None = None  # seconds, with --wait

    @property
    def converged(self) -> bool:
        return all(c.state == CONVERGED for c in self.clusters)

    @property
    def drifted(self) -> bool:
        return any(c.drift for c in self.clusters)

    @property
    def unreachable(self) -> bool:
        return any(c.state == UNKNOWN for c in self.clusters)

    def to_dict(self) -> dict[str, t.Any]:
        return {
            "version": JSON_VERSION,
            "converged": self.converged,
            "drifted": self.drifted,
            "waited": self.waited,
            "clusters": [c.to_dict() for c in self.clusters],
        }
