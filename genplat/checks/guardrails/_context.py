"""What the guardrail rules see: the platform's settings, the objects, and a place to put findings."""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.core.diagnostics import Severity
from genplat.core.objects import RenderedObject
from genplat.core.secrets import NO_ALLOWANCES, Allowances
from genplat.policy import PlatformImage
from genplat.policy.workloads import PathT as PathT

# Pod Security levels, weakest first: a namespace may be stricter than the platform asks, never weaker.
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")
POD_SECURITY_MODES = ("enforce", "audit", "warn")


@dataclasses.dataclass(frozen=True)
class GuardrailContext:
    """Platform settings the build fills in from the blueprints.

    ``tenant_namespaces`` maps each tenant to the namespaces it owns; ``pod_security`` maps a Pod
    Security mode (enforce/audit/warn) to the level every tenant namespace must carry at least, and
    ``namespace_pod_security`` replaces it for the namespaces the platform chose otherwise (tenant
    build namespaces run at their pipeline template's level);
    ``required_labels`` are label keys every tenant pod must carry;
    ``disabled`` maps a rule id to the reason it is switched off for this platform;
    ``allowed_registries`` are registry hosts or host/path prefixes images may come from (empty: the
    ``guardrail/image-registry`` rule has nothing to enforce and reports that once);
    ``platform_images`` the images the platform's controllers put into tenant pods
    (``policies.platformImages``) and ``build_namespaces`` the tenants' build namespaces (where the
    ``build``-scoped ones may run).
    """

    allowed_registries: tuple[str, ...] = ()
    pod_security: t.Mapping[str, str] = dataclasses.field(default_factory=lambda: {"enforce": "restricted"})
    tenant_namespaces: t.Mapping[str, t.AbstractSet[str]] = dataclasses.field(default_factory=dict)
    namespace_pod_security: t.Mapping[str, t.Mapping[str, str]] = dataclasses.field(default_factory=dict)
    disabled: t.Mapping[str, str] = dataclasses.field(default_factory=dict)
    required_labels: tuple[str, ...] = ()
    platform_images: tuple[PlatformImage, ...] = ()
    build_namespaces: frozenset[str] = frozenset()
    # Values the platform declares not secret (spec.secrets.allow): the secret scan lets them pass.
    secret_allowances: Allowances = NO_ALLOWANCES

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

    def __init__(
        self,
        objects: t.Sequence[RenderedObject],
        context: GuardrailContext | None,
        cluster_scoped: t.Callable[[str, str], bool],
    ) -> None:
        self.objects = objects
        self.context = context
        self.cluster_scoped = cluster_scoped
        self.by_kind: dict[str, list[RenderedObject]] = {}
        self._by_ns: dict[tuple[str, str | None], list[RenderedObject]] = {}
        self._first_in_ns: dict[str, RenderedObject] = {}
        self._namespaces: dict[str, RenderedObject] = {}
        self._owner: dict[str, str] = {}
        if context is not None:
            for tenant, nss in sorted(context.tenant_namespaces.items(), reverse=True):
                for n in nss:
                    self._owner[n] = tenant
        for ro in objects:
            if not isinstance(ro.obj, dict):
                continue
            kind, ns = ro.kind, ro.namespace
            self.by_kind.setdefault(kind, []).append(ro)
            self._by_ns.setdefault((kind, ns), []).append(ro)
            if ns is not None:
                self._first_in_ns.setdefault(ns, ro)
            if kind == "Namespace" and ro.api_version == "v1":
                self._namespaces.setdefault(ro.name, ro)

    def kinds(self, *kinds: str) -> t.Iterator[RenderedObject]:
        for k in kinds:
            yield from self.by_kind.get(k, ())

    def tenant_owned(self, ro: RenderedObject) -> bool:
        """Rules 'for tenants' apply to tenant objects; without blueprints every object counts."""
        if self.context is None:
            return True
        return ro.tenant is not None or (ro.namespace is not None and ro.namespace in self._owner)

    def in_namespace(self, kind: str, namespace: str) -> list[RenderedObject]:
        return self._by_ns.get((kind, namespace), [])

    def namespace_object(self, namespace: str) -> RenderedObject | None:
        return self._namespaces.get(namespace)

    def anchor(self, namespace: str) -> RenderedObject | None:
        """Something to point a namespace-level finding at: the Namespace, else any object in it."""
        ns = self.namespace_object(namespace)
        if ns is not None:
            return ns
        return self._first_in_ns.get(namespace)

    def tenant_namespaces(self) -> list[tuple[str, str]]:
        """(tenant, namespace) pairs, sorted, from the context."""
        if self.context is None:
            return []
        return sorted((tenant, ns) for tenant, nss in self.context.tenant_namespaces.items() for ns in nss)
