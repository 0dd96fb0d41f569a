"""Render stage: a service's volumes — config files, secret files, scratch space — and what feeds them.

* ``config: {files: {name: content}}`` → an immutable ``ConfigMap <service>-<volume>-<hash>``, the hash
  taken from the files' names and content (:func:`genplat.core.names.config_map_name`). Changing a file
  changes the name, so the pod template changes and the pods roll (a Deployment rolls out, a Knative
  Service makes a new revision, a CronJob's next run uses it); nothing else changes. The previous
  ConfigMap leaves the bundle, and the GitOps controller prunes it.
* ``secret: {files: {name: {key, property}}}`` → an ``ExternalSecret <service>-<volume>`` whose Secret
  holds one entry per file, fetched from the platform's store (values never pass through Git).
* ``scratch: {sizeLimit, memory}`` → an ``emptyDir`` with that ``sizeLimit`` (``medium: Memory`` when
  memory-backed).

Config and secret files are mounted read-only (Knative refuses them writable); scratch is writable.
"""

from __future__ import annotations

import typing as t

from genplat.core.names import config_map_name, secret_volume_name
from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext, quantity, tenant_object
from genplat.rendering.tenancy import external_secret_spec, remote_ref
from genplat.resolver.model import Service, TenantTarget


def _source(svc: Service, volume: dict[str, t.Any]) -> dict[str, t.Any]:
    if "config" in volume:
        return {"configMap": {"name": config_map_name(svc.name, volume["name"], volume["config"]["files"])}}
    if "secret" in volume:
        return {"secret": {"secretName": secret_volume_name(svc.name, volume["name"])}}
    scratch = volume["scratch"]
    empty: dict[str, t.Any] = {"sizeLimit": quantity(scratch["sizeLimit"])}
    if scratch.get("memory"):
        empty["medium"] = "Memory"
    return {"emptyDir": empty}


def pod_volumes(svc: Service) -> list[dict[str, t.Any]]:
    """The pod spec's ``volumes`` (blueprint order)."""
    return [{"name": v["name"], **_source(svc, v)} for v in svc.volumes]


def volume_mounts(svc: Service) -> list[dict[str, t.Any]]:
    """The container's ``volumeMounts``: config and secret files read-only, scratch writable."""
    return [
        {"name": v["name"], "mountPath": v["mountPath"], **({} if "scratch" in v else {"readOnly": True})}
        for v in svc.volumes
    ]


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    out: list[RenderedObject] = []
    for svc in tenant.services:
        for volume in svc.volumes:
            if "config" in volume:
                files = volume["config"]["files"]
                out.append(
                    tenant_object(
                        tenant,
                        "v1",
                        "ConfigMap",
                        config_map_name(svc.name, volume["name"], files),
                        svc.origins["volumes"],
                        immutable=True,
                        data={name: files[name] for name in sorted(files)},
                    )
                )
            elif "secret" in volume and ctx.cluster.has("external-secrets"):
                files = volume["secret"]["files"]
                name = secret_volume_name(svc.name, volume["name"])
                data = [{"secretKey": file, "remoteRef": remote_ref(files[file])} for file in sorted(files)]
                out.append(
                    tenant_object(
                        tenant,
                        "external-secrets.io/v1",
                        "ExternalSecret",
                        name,
                        svc.origins["volumes"],
                        spec=external_secret_spec(ctx, name, data),
                    )
                )
    return out
