"""``genplat tenant new NAME``: a tenant blueprint that asks only for what the platform offers.

The tier, environments and offerings come from the platform blueprint; each offering a resource
orders has its parameters written out as comments (type, allowed values, default, description) to
fill in, and each service starts at its tier's default requests and limits. The text is validated
with the whole project before it is written.
"""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.authoring._items import as_dict, as_list, resource_text, scalar, service_text, tier_container
from genplat.loader.project import Project


@dataclasses.dataclass(frozen=True, slots=True)
class TenantRequest:
    name: str
    tier: str | None = None  # default: the platform's first tier
    environments: tuple[str, ...] = ()  # default: every environment
    services: tuple[tuple[str, str], ...] = ()  # (name, image)
    resources: tuple[tuple[str, str], ...] = ()  # (name, offering)
    description: str | None = None


def new_tenant_text(project: Project, request: TenantRequest) -> str:
    platform = project.platform.spec if project.platform is not None else {}
    raw_tiers = platform.get("tiers")
    tiers: dict[str, t.Any] = raw_tiers if isinstance(raw_tiers, dict) else {}
    envs: list[str] = [
        e["name"] for e in as_list(platform.get("environments")) if isinstance(as_dict(e).get("name"), str)
    ]
    offerings = {o.get("name"): o for o in as_list(platform.get("offerings")) if isinstance(o, dict)}
    tier = request.tier or next(iter(tiers), "small")
    chosen = list(request.environments) or envs

    lines = [
        "# yaml-language-server: $schema=../../schemas/tenant.schema.json",
        f"# Tenant {request.name}: written by `genplat tenant new`; fill in what the comments offer.",
        "apiVersion: genplat.dev/v1alpha1",
        "kind: Tenant",
        "metadata:",
        f"  name: {request.name}",
        "spec:",
        f"  description: {scalar(request.description or request.name)}",
        f"  tier: {scalar(tier)}   # offered: {', '.join(str(k) for k in tiers) or 'none'}",
        "  # access:                     # who may do what in the tenant's namespaces",
        f"  #   admins: {{groups: [{request.name}-admins]}}",
        f"  #   developers: {{groups: [{request.name}-developers]}}",
        f"  environments:                 # offered: {', '.join(envs) or 'none'}",
    ]
    lines += [f"    - name: {scalar(e)}" for e in chosen]
    if request.services:
        lines.append("  services:")
        for name, image in request.services:
            text = service_text(name, image, tier=tier, container=tier_container(platform, tier))
            lines += ["    " + line for line in text.splitlines()]
    if request.resources:
        lines.append(f"  resources:                    # offerings: {', '.join(str(o) for o in offerings) or 'none'}")
        for name, offering in request.resources:
            params = as_dict(as_dict(offerings.get(offering)).get("parameters"))
            lines += ["    " + line for line in resource_text(name, offering, params).splitlines()]
    return "\n".join(lines) + "\n"
