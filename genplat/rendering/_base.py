"""Helpers every renderer uses: object skeletons, common labels, and the per-bundle context."""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.core.objects import Origin, RenderedObject
from genplat.resolver.model import Cluster, PlatformModel, TenantTarget

MANAGED_BY = {"app.kubernetes.io/managed-by": "genplat"}
TENANT_LABEL = "genplat.dev/tenant"
# The label every workload's pods carry with their service's name: what selectors and policies pick pods by.
APP_NAME_LABEL = "app.kubernetes.io/name"
ENV_LABEL = "genplat.dev/environment"


@dataclasses.dataclass(slots=True)
class BundleContext:
    platform: PlatformModel
    cluster: Cluster
    tenants: list[TenantTarget]
    _callees: dict[str, list[str]] | None = None

    def callees(self, namespace: str) -> list[str]:
        """Namespaces in this bundle whose tenants accept traffic from ``namespace`` (indexed once)."""
        if self._callees is None:
            index: dict[str, list[str]] = {}
            for tenant in self.tenants:
                for caller in tenant.allow_from:
                    index.setdefault(caller, []).append(tenant.namespace)
            self._callees = {k: sorted(set(v)) for k, v in index.items()}
        return self._callees.get(namespace, [])


def tenant_labels(tenant: TenantTarget) -> dict[str, str]:
    labels = dict(MANAGED_BY)
    labels[TENANT_LABEL] = tenant.name
    labels[ENV_LABEL] = tenant.environment
    for k, v in sorted(tenant.labels.items()):
        labels.setdefault(k, v)
    return labels


def meta(
    name: str,
    *,
    namespace: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, t.Any]:
    m: dict[str, t.Any] = {"name": name}
    if namespace is not None:
        m["namespace"] = namespace
    if labels:
        m["labels"] = dict(labels)
    if annotations:
        m["annotations"] = dict(annotations)
    return m


def tenant_object(
    tenant: TenantTarget,
    api_version: str,
    kind: str,
    name: str,
    origin: Origin,
    *,
    namespaced: bool = True,
    file: str | None = None,
    **body: t.Any,
) -> RenderedObject:
    obj: dict[str, t.Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": meta(name, namespace=tenant.namespace if namespaced else None, labels=tenant_labels(tenant)),
    }
    obj.update(body)
    return RenderedObject(
        obj, origin, bundle=tenant.cluster.bundle, file=file or f"tenants/{tenant.name}.yaml", tenant=tenant.name
    )


def platform_object(
    ctx: BundleContext,
    api_version: str,
    kind: str,
    name: str,
    origin: Origin,
    file: str,
    *,
    namespace: str | None = None,
    layer: str = "platform",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    **body: t.Any,
) -> RenderedObject:
    """A cluster-level object of the bundle, in ``<layer>/<file>`` (the platform layer unless told)."""
    obj: dict[str, t.Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": meta(name, namespace=namespace, labels=labels or dict(MANAGED_BY), annotations=annotations),
    }
    obj.update(body)
    return RenderedObject(obj, origin, bundle=ctx.cluster.bundle, file=f"{layer}/{file}", tenant=None)


def quantity(value: t.Any) -> str:
    """Quantities as strings, so '1' stays the string Kubernetes prints back."""
    return str(value)
