"""Namespace, quota, limit range, service account, image pull secret and role bindings per tenant."""

from __future__ import annotations

import typing as t

from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext, meta, quantity, tenant_labels, tenant_object
from genplat.resolver.model import Cluster, TenantTarget

WORKLOAD_SERVICE_ACCOUNT = "workload"
# Tenant roles map onto Kubernetes' built-in aggregated ClusterRoles; never cluster-admin.
ROLE_FOR = {"admins": "admin", "developers": "edit", "viewers": "view"}
QUOTA_KEYS = (
    ("cpu", "limits.cpu"),
    ("memory", "limits.memory"),
    ("requestsCpu", "requests.cpu"),
    ("requestsMemory", "requests.memory"),
    ("pods", "pods"),
    ("services", "services"),
    ("persistentVolumeClaims", "persistentvolumeclaims"),
    ("storage", "requests.storage"),
)
# Core Services one Knative Service may hold: its route's placeholder, one per traffic tag (two allowed for),
# and two (public, private) per revision Knative keeps: the active one plus the 20 non-active revisions its
# garbage collector keeps by default (config-gc min-non-active-revisions).
KNATIVE_CORE_SERVICES = 1 + 2 + 2 * 21


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    out = [
        namespace(ctx, tenant),
        resource_quota(tenant, ctx.cluster),
        limit_range(tenant),
        service_account(ctx, tenant),
    ]
    pull = ctx.platform.secrets.get("imagePullSecret")
    if pull and ctx.cluster.has("external-secrets"):
        out.append(image_pull_secret(ctx, tenant, pull))
    out.extend(role_bindings(tenant))
    if tenant.build_namespace is not None:
        out.extend(build_namespace(ctx, tenant))
    return out


def build_namespace(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    """``<tenant>-<env>-build``: where the tenant's pipelines run, apart from its workloads.

    Builders often need more than restricted Pod Security allows (kaniko runs as root), and build pods
    hold push credentials and run the tenant's Dockerfiles: a namespace of their own gives them the
    level their pipeline template asks for (``enforce``; ``audit`` and ``warn`` stay at the platform's
    levels so weaker pods stay visible), the tier's quota and limits, the same people's access, and the
    image pull secret. Tekton's own objects and NetworkPolicies for it come from the Tekton and network
    renderers.
    """
    build = tenant.for_builds()
    # The pipeline templates' own build resources (and the tenant's overrides) over the tier's.
    res = tenant.build_resources
    origin = build_resources_origin(ctx, tenant) if res else tenant.origins["tier"]
    quota = {**tenant.tier.get("quota", {}), **(res.get("quota") or {})}
    container = {
        part: {**tenant.tier.get("container", {}).get(part, {}), **(res.get("container") or {}).get(part, {})}
        for part in ("defaultRequest", "default", "max")
    }
    out = [
        namespace(ctx, build, enforce=tenant.build_pod_security, purpose="build"),
        resource_quota(build, quota=quota, origin=origin),
        limit_range(build, container=container, origin=origin),
    ]
    pull = ctx.platform.secrets.get("imagePullSecret")
    if pull and ctx.cluster.has("external-secrets"):
        out.append(image_pull_secret(ctx, build, pull))
    out.extend(role_bindings(build))
    return out


def build_resources_origin(ctx: BundleContext, tenant: TenantTarget) -> t.Any:
    """Where a build namespace's sizes come from: the tenant's spec.builds when it overrides them,
    else the first pipeline template (of the tenant's builds) that declares resources."""
    builds = tenant.blueprint.spec.get("builds") or {}
    if any(k in builds for k in ("quota", "container", "workspace")):
        return tenant.origins["builds"]
    names = list(ctx.platform.pipelines)
    for svc in tenant.services:
        name = (svc.build or {}).get("pipeline")
        if name in ctx.platform.pipelines and ctx.platform.pipelines[name].get("resources"):
            return ctx.platform.origin(("spec", "pipelines", names.index(name), "resources"))
    return tenant.origins["tier"]


def namespace(
    ctx: BundleContext, tenant: TenantTarget, *, enforce: str | None = None, purpose: str | None = None
) -> RenderedObject:
    labels = tenant_labels(tenant)
    if purpose is not None:
        labels["genplat.dev/purpose"] = purpose
    version = f"v{ctx.cluster.kubernetes_version or ctx.platform.kubernetes_version}"
    for mode in ("enforce", "audit", "warn"):
        level = enforce if mode == "enforce" and enforce is not None else ctx.platform.pod_security[mode]
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = version
    obj: dict[str, t.Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(tenant.namespace, labels=labels)}
    if tenant.description:
        obj["metadata"]["annotations"] = {"genplat.dev/description": tenant.description}
    return RenderedObject(
        obj, tenant.origin, bundle=tenant.cluster.bundle, file=f"tenants/{tenant.name}.yaml", tenant=tenant.name
    )


def resource_quota(
    tenant: TenantTarget, cluster: Cluster | None = None, *, quota: dict[str, t.Any] | None = None, origin: t.Any = None
) -> RenderedObject:
    quota = tenant.tier.get("quota", {}) if quota is None else quota
    hard: dict[str, str] = {}
    for key, k8s in QUOTA_KEYS:
        if key in quota:
            hard[k8s] = quantity(quota[key])
    if cluster is not None and cluster.has("knative-serving") and "services" in quota:
        # Tenants run Knative Services, and Knative makes core Services for every route, tag and revision:
        # the tier's number caps Knative Services, core Services get room for what Knative makes of them.
        hard["count/services.serving.knative.dev"] = quantity(quota["services"])
        hard["services"] = quantity(int(quota["services"]) * KNATIVE_CORE_SERVICES)
    # Requests never exceed limits, so unless the tier says otherwise they share the limit's ceiling.
    hard.setdefault("requests.cpu", quantity(quota["cpu"]))
    hard.setdefault("requests.memory", quantity(quota["memory"]))
    hard = dict(sorted(hard.items()))
    return tenant_object(
        tenant, "v1", "ResourceQuota", "tenant-quota", origin or tenant.origins["tier"], spec={"hard": hard}
    )


def limit_range(
    tenant: TenantTarget, *, container: dict[str, t.Any] | None = None, origin: t.Any = None
) -> RenderedObject:
    c = tenant.tier.get("container", {}) if container is None else container
    limit = {
        "type": "Container",
        "default": {k: quantity(v) for k, v in c.get("default", {}).items()},
        "defaultRequest": {k: quantity(v) for k, v in c.get("defaultRequest", {}).items()},
        "max": {k: quantity(v) for k, v in c.get("max", {}).items()},
    }
    return tenant_object(
        tenant, "v1", "LimitRange", "tenant-limits", origin or tenant.origins["tier"], spec={"limits": [limit]}
    )


def service_account(ctx: BundleContext, tenant: TenantTarget) -> RenderedObject:
    body: dict[str, t.Any] = {"automountServiceAccountToken": False}
    pull = ctx.platform.secrets.get("imagePullSecret")
    if pull:
        body["imagePullSecrets"] = [{"name": pull["name"]}]
    return tenant_object(tenant, "v1", "ServiceAccount", WORKLOAD_SERVICE_ACCOUNT, tenant.origin, **body)


def secret_store_ref(ctx: BundleContext) -> dict[str, str]:
    store = ctx.platform.secrets.get("store", {})
    return {"kind": store.get("kind", "ClusterSecretStore"), "name": store["name"]}


def external_secret_spec(ctx: BundleContext, name: str, data: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """An ExternalSecret's spec: ``data`` fetched from the platform's store into Secret ``name``."""
    return {
        "refreshInterval": ctx.platform.secrets.get("refreshInterval", "1h"),
        "secretStoreRef": secret_store_ref(ctx),
        "target": {"name": name, "creationPolicy": "Owner"},
        "data": data,
    }


def remote_ref(ref: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Where a secret reference points in the store: its key, and its property when it names one."""
    return {"key": ref["key"], **({"property": ref["property"]} if ref.get("property") else {})}


def image_pull_secret(ctx: BundleContext, tenant: TenantTarget, pull: dict[str, str]) -> RenderedObject:
    spec = {
        "refreshInterval": ctx.platform.secrets.get("refreshInterval", "1h"),
        "secretStoreRef": secret_store_ref(ctx),
        "target": {
            "name": pull["name"],
            "creationPolicy": "Owner",
            "template": {"type": "kubernetes.io/dockerconfigjson"},
        },
        "data": [{"secretKey": ".dockerconfigjson", "remoteRef": {"key": pull["key"]}}],
    }
    return tenant_object(
        tenant,
        "external-secrets.io/v1",
        "ExternalSecret",
        pull["name"],
        ctx.platform.origin(("spec", "secrets", "imagePullSecret")),
        spec=spec,
    )


def role_bindings(tenant: TenantTarget) -> list[RenderedObject]:
    out = []
    for role, cluster_role in ROLE_FOR.items():
        subjects = tenant.access.get(role)
        if not subjects:
            continue
        items = [
            {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": g} for g in subjects.get("groups", [])
        ]
        items += [
            {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": u} for u in subjects.get("users", [])
        ]
        if not items:
            continue
        out.append(
            tenant_object(
                tenant,
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                f"tenant-{role}",
                tenant.blueprint.origin(("spec", "access", role)),
                roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role},
                subjects=items,
            )
        )
    return out
