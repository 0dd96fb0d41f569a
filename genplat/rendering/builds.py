"""Render stage: what a tenant's builds get beside their Tekton objects, in the build namespace.

* **Push credentials** are the tenant's own: an ExternalSecret ``registry-push`` from
  ``spec.builds.pushSecret`` (every built service), or ``<service>-registry-push`` from a service's
  ``build.pushSecret``; each a ``kubernetes.io/dockerconfigjson`` Secret that runs mount, as
  ``config.json``, in the template's push-credentials workspace. The platform's image pull secret
  stays what it is for: pulling.
* **Workspaces** shared between tasks are a volume claimed per run, of the template's
  ``resources.workspace`` size (the tenant's ``spec.builds.workspace`` over it; default 1Gi).
* **Exposed listeners**: when a template's ``triggers.expose`` names a domain, each EventListener
  gets an Ingress at ``<service>-push.<tenant>-<environment>.<domain>`` to its Service
  (``el-<listener>``, port 8080), with TLS from a cert-manager ``Certificate`` where the cluster has
  the ``cert-manager`` capability and the template names an issuer.

The build namespace's quota and limits come from :func:`genplat.rendering.tenancy.build_namespace`.
"""

from __future__ import annotations

import re
import typing as t

from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext, tenant_object
from genplat.rendering.tenancy import secret_store_ref
from genplat.resolver.model import Service, TenantTarget

DEFAULT_WORKSPACE_SIZE = "1Gi"
TENANT_PUSH_SECRET = "registry-push"
LISTENER_PORT = 8080  # the port Tekton Triggers gives an EventListener's Service (el-<name>)
CERT_API = "cert-manager.io/v1"
PUSH = "push-credentials"


def built_services(tenant: TenantTarget, ctx: BundleContext) -> list[tuple[Service, dict[str, t.Any]]]:
    out = []
    for svc in tenant.services:
        if svc.build and svc.build.get("pipeline") in ctx.platform.pipelines:
            out.append((svc, ctx.platform.pipelines[svc.build["pipeline"]]))
    return out


def triggers_enabled(template: dict[str, t.Any]) -> bool:
    return bool((template.get("triggers") or {}).get("enabled", False))


def workspace_purpose(workspace: dict[str, t.Any]) -> str:
    if workspace.get("purpose"):
        return str(workspace["purpose"])
    return PUSH if re.search(r"docker|registry", str(workspace["name"])) else "shared"


def push_secret(tenant: TenantTarget, svc: Service) -> tuple[str, dict[str, str]] | None:
    """(Secret name, store reference) of the credentials a service's image is pushed with."""
    own = (svc.build or {}).get("pushSecret")
    if own:
        return f"{svc.name}-{TENANT_PUSH_SECRET}", own
    if tenant.build_push_secret:
        return TENANT_PUSH_SECRET, tenant.build_push_secret
    return None


def workspace_size(tenant: TenantTarget) -> str:
    return str(tenant.build_resources.get("workspace") or DEFAULT_WORKSPACE_SIZE)


def workspace_binding(tenant: TenantTarget, svc: Service, workspace: dict[str, t.Any]) -> dict[str, t.Any]:
    """How a PipelineRun binds one of the template's workspaces."""
    name = workspace["name"]
    if workspace_purpose(workspace) == PUSH:
        found = push_secret(tenant, svc)
        if found is None:  # validation asks for a push secret; without one the push has no credentials
            return {"name": name, "emptyDir": {}}
        return {
            "name": name,
            "secret": {"secretName": found[0], "items": [{"key": ".dockerconfigjson", "path": "config.json"}]},
        }
    # Shared between tasks (separate pods), so it needs a volume: one PVC per run.
    return {
        "name": name,
        "volumeClaimTemplate": {
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": workspace_size(tenant)}}}
        },
    }


def listener_host(tenant: TenantTarget, svc: Service, domain: str) -> str:
    # ``tenant`` is the build placement: its namespace is <tenant>-<env>-build, the host uses <tenant>-<env>.
    return f"{svc.name}-push.{tenant.name}-{tenant.environment}.{domain}"


def _push_secrets(
    ctx: BundleContext, build: TenantTarget, built: list[tuple[Service, dict[str, t.Any]]]
) -> list[RenderedObject]:
    out: list[RenderedObject] = []
    seen: set[str] = set()
    for svc, template in built:
        if not any(workspace_purpose(w) == PUSH for w in template.get("workspaces") or []):
            continue
        found = push_secret(build, svc)
        if found is None or found[0] in seen:
            continue
        name, ref = found
        seen.add(name)
        remote = {"key": ref["key"]}
        if ref.get("property"):
            remote["property"] = ref["property"]
        origin = svc.origins["build"] if (svc.build or {}).get("pushSecret") else build.origins["builds"]
        out.append(
            tenant_object(
                build,
                "external-secrets.io/v1",
                "ExternalSecret",
                name,
                origin,
                spec={
                    "refreshInterval": ctx.platform.secrets.get("refreshInterval", "1h"),
                    "secretStoreRef": secret_store_ref(ctx),
                    "target": {
                        "name": name,
                        "creationPolicy": "Owner",
                        "template": {"type": "kubernetes.io/dockerconfigjson"},
                    },
                    "data": [{"secretKey": ".dockerconfigjson", "remoteRef": remote}],
                },
            )
        )
    return out


def _exposed(ctx: BundleContext, build: TenantTarget, svc: Service, template: dict[str, t.Any]) -> list[RenderedObject]:
    expose = (template.get("triggers") or {}).get("expose") or {}
    listener = f"{svc.name}-push"
    host = listener_host(build, svc, expose["domain"])
    origin = svc.origins["build"]
    spec: dict[str, t.Any] = {}
    if expose.get("ingressClassName"):
        spec["ingressClassName"] = expose["ingressClassName"]
    out: list[RenderedObject] = []
    issuer = expose.get("issuer")
    if issuer and ctx.cluster.has("cert-manager"):
        tls_secret = f"{listener}-tls"
        out.append(
            tenant_object(
                build,
                CERT_API,
                "Certificate",
                listener,
                origin,
                spec={
                    "secretName": tls_secret,
                    "dnsNames": [host],
                    "issuerRef": {
                        "group": "cert-manager.io",
                        "kind": issuer.get("kind", "ClusterIssuer"),
                        "name": issuer["name"],
                    },
                },
            )
        )
        spec["tls"] = [{"hosts": [host], "secretName": tls_secret}]
    spec["rules"] = [
        {
            "host": host,
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": f"el-{listener}", "port": {"number": LISTENER_PORT}}},
                    }
                ]
            },
        }
    ]
    out.append(tenant_object(build, "networking.k8s.io/v1", "Ingress", listener, origin, spec=spec))
    return out


def render_tenant(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    if not ctx.cluster.has("tekton") or tenant.build_namespace is None:
        return []
    built = built_services(tenant, ctx)
    if not built:
        return []
    build = tenant.for_builds()
    out = _push_secrets(ctx, build, built) if ctx.cluster.has("external-secrets") else []
    for svc, template in built:
        if triggers_enabled(template) and ((template.get("triggers") or {}).get("expose") or {}).get("domain"):
            out.extend(_exposed(ctx, build, svc, template))
    return out
