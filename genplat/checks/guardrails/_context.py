"""What the guardrail rules see: the platform's settings, the objects, and a place to put findings."""

from __future__ import annotations

import dataclasses
import typing as t

from ..._diagnostics import Severity
from ..._objects import RenderedObject

PathT = tuple[t.Union[str, int], ...]

# Pod Security levels, weakest first: a namespace may be stricter than the platform asks, never weaker.
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")
POD_SECURITY_MODES = ("enforce", "audit", "warn")


@dataclasses.dataclass(frozen=True)
class GuardrailContext:
    """Platform settings the build fills in from the blueprints.

    ``tenant_namespaces`` maps each tenant to the namespaces it owns; ``pod_security`` maps a Pod
    Security mode (enforce/audit/warn) to the level every tenant namespace must carry at least;
    ``required_labels`` are label keys every tenant pod must carry;
    ``disabled`` maps a rule id to the reason it is switched off for this platform;
    ``allowed_registries`` are registry hosts or host/path prefixes images may come from (empty: the
    ``guardrail/image-registry`` rule has nothing to enforce and reports that once).
    """

    allowed_registries: tuple[str, ...] = ()
    pod_security: t.Mapping[str, str] = dataclasses.field(default_factory=lambda: {"enforce": "restricted"})
    tenant_namespaces: t.Mapping[str, t.AbstractSet[str]] = dataclasses.field(default_factory=dict)
    disabled: t.Mapping[str, str] = dataclasses.field(default_factory=dict)
    required_labels: tuple[str, ...] = ()

    def tenant_of_namespace(self, namespace: str | None) -> str | None:
        if namespace is None:
            return None
        for tenant, namespaces in self.tenant_namespaces.items():
            if namespace in namespaces:
                return tenant
        return None


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """A rule's verdict on one object (``obj`` None: nothing in the output to point at)."""

    obj: RenderedObject | None
    message: str
    path: PathT = ()
    hint: str | None = None
    object_ref: str | None = None  # when obj is None: what the finding is about, e.g. "Namespace/payments"
    severity: Severity | None = None  # None: the rule's own severity


class View:
    """The objects under check, grouped once so each rule touches only the kinds it cares about."""

    def __init__(self, objects: t.Sequence[RenderedObject], context: GuardrailContext | None,
                 cluster_scoped: t.Callable[[str, str], bool]) -> None:
        self.objects = objects
        self.context = context
        self.cluster_scoped = cluster_scoped
        self.by_kind: dict[str, list[RenderedObject]] = {}
        for ro in objects:
            if isinstance(ro.obj, dict):
                self.by_kind.setdefault(ro.kind, []).append(ro)

    def kinds(self, *kinds: str) -> t.Iterator[RenderedObject]:
        for k in kinds:
            yield from self.by_kind.get(k, ())

    def tenant_owned(self, ro: RenderedObject) -> bool:
        """Rules 'for tenants' apply to tenant objects; without blueprints every object counts."""
        if self.context is None:
            return True
        return ro.tenant is not None or self.context.tenant_of_namespace(ro.namespace) is not None

    def in_namespace(self, kind: str, namespace: str) -> list[RenderedObject]:
        return [ro for ro in self.by_kind.get(kind, ()) if ro.namespace == namespace]

    def namespace_object(self, namespace: str) -> RenderedObject | None:
        for ro in self.by_kind.get("Namespace", ()):
            if ro.api_version == "v1" and ro.name == namespace:
                return ro
        return None

    def anchor(self, namespace: str) -> RenderedObject | None:
        """Something to point a namespace-level finding at: the Namespace, else any object in it."""
        ns = self.namespace_object(namespace)
        if ns is not None:
            return ns
        for ro in self.objects:
            if ro.namespace == namespace:
                return ro
        return None

    def tenant_namespaces(self) -> list[tuple[str, str]]:
        """(tenant, namespace) pairs, sorted, from the context."""
        if self.context is None:
            return []
        return sorted((tenant, ns) for tenant, nss in self.context.tenant_namespaces.items() for ns in nss)
