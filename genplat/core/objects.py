"""Rendered objects: a Kubernetes object as data plus where it came from.

Every stage after render passes these around. ``origin`` points back at the blueprint file and line
whose value produced the object, so a problem found in the output can be reported against the input;
its ``anchor`` names the same place by keys and list-item names, which is what output files record.
"""

from __future__ import annotations

import dataclasses
import typing as t


@dataclasses.dataclass(frozen=True, slots=True)
class Origin:
    """A place in a blueprint (or in a manifest file for ``genplat check``)."""

    file: str
    line: int | None = None
    column: int | None = None
    path: str = ""
    #: The place by names, not positions (``spec.services[checkout]``): what output files name as their
    #: source, so an edit elsewhere in the blueprint (a line added above) leaves the output's bytes alone.
    anchor: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclasses.dataclass(slots=True)
class RenderedObject:
    obj: dict[str, t.Any]
    origin: Origin
    # Bundle the object belongs to, "<env>/<cluster>"; None for objects read by ``genplat check``.
    bundle: str | None = None
    # Output file inside the bundle, e.g. "tenants/payments.yaml" or "platform/kyverno.yaml".
    file: str | None = None
    # Tenant whose blueprint produced the object; None for platform objects.
    tenant: str | None = None

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str | None:
        ns = (self.obj.get("metadata") or {}).get("namespace")
        return None if ns is None else str(ns)

    def ref(self) -> str:
        """Short human name: ``Kind/namespace/name`` or ``Kind/name``."""
        ns = self.namespace
        return f"{self.kind}/{ns}/{self.name}" if ns else f"{self.kind}/{self.name}"
