"""One external-secrets ExternalSecret per secret reference: values stay in the store, never in Git."""

from __future__ import annotations

from genplat.core.names import secret_object_name
from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext, tenant_object
from genplat.rendering.tenancy import external_secret_spec, remote_ref
from genplat.resolver.model import Service, TenantTarget


def secret_name(service: Service, env_var: str) -> str:
    return secret_object_name(service.name, env_var)


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    if not ctx.cluster.has("external-secrets"):
        return []
    out = []
    for svc in tenant.services:
        for ref in svc.secrets:
            name = secret_name(svc, ref["env"])
            out.append(
                tenant_object(
                    tenant,
                    "external-secrets.io/v1",
                    "ExternalSecret",
                    name,
                    svc.origins["secrets"],
                    spec=external_secret_spec(ctx, name, [{"secretKey": ref["env"], "remoteRef": remote_ref(ref)}]),
                )
            )
    return out
