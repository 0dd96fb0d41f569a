"""``genplat tenant new NAME``: a tenant blueprint that asks only for what the platform offers.

The tier, environments and offerings come from the platform blueprint; each offering a resource
orders has its parameters written out as comments (type, allowed values, default, description) to
fill in, and each service starts at its tier's default requests and limits. The text is validated
with the whole project before it is written.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing as t

from genplat.authoring._edit import needs_quotes
from genplat.loader.project import Project


@dataclasses.dataclass(frozen=True, slots=True)
class TenantRequest:
    name: str
    tier: str | None = None  # default: the platform's first tier
    environments: tuple[str, ...] = ()  # default: every environment
    services: tuple[tuple[str, str], ...] = ()  # (name, image)
    resources: tuple[tuple[str, str], ...] = ()  # (name, offering)
    description: str | None = None


def _scalar(value: t.Any) -> str:
    """A YAML flow scalar for ``value`` (JSON is valid YAML; plain where that reads back the same)."""
    if (
        isinstance(value, str)
        and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/@:+-]*", value)
        and not needs_quotes(value)
        and value.lower() not in ("yes", "no", "on", "off", "y", "n")
    ):  # YAML 1.1 readers take those for booleans
        return value
    return json.dumps(value, ensure_ascii=False)


def _param_comment(name: str, schema: t.Mapping[str, t.Any]) -> str:
    facts: list[str] = []
    ty = schema.get("type")
    if isinstance(ty, str):
        facts.append(ty)
    if isinstance(schema.get("enum"), list):
        facts.append("one of " + ", ".join(_scalar(v) for v in schema["enum"]))
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None or hi is not None:
        facts.append(f"{lo if lo is not None else '…'}–{hi if hi is not None else '…'}")
    if isinstance(schema.get("pattern"), str):
        facts.append(f"matching {schema['pattern']}")
    if schema.get("required"):
        facts.append("required")
    if "default" in schema:
        value = _scalar(schema["default"])
    elif isinstance(schema.get("enum"), list) and schema["enum"]:
        value = _scalar(schema["enum"][0])
    else:
        value = (
            '""' if ty == "string" else "0" if ty in ("integer", "number") else "false" if ty == "boolean" else "null"
        )
    default = f"default {_scalar(schema['default'])}" if "default" in schema else "no default"
    about = f": {schema['description']}" if isinstance(schema.get("description"), str) else ""
    return f"{name}: {value}   # {', '.join(facts + [default])}{about}"


def new_tenant_text(project: Project, request: TenantRequest) -> str:
    platform = project.platform.spec if project.platform is not None else {}
    raw_tiers = platform.get("tiers")
    tiers: dict[str, t.Any] = raw_tiers if isinstance(raw_tiers, dict) else {}
    envs: list[str] = [
        e["name"] for e in platform.get("environments") or [] if isinstance(e, dict) and isinstance(e.get("name"), str)
    ]
    offerings = {o.get("name"): o for o in platform.get("offerings") or [] if isinstance(o, dict)}
    tier = request.tier or next(iter(tiers), "small")
    chosen = list(request.environments) or envs
    container = (tiers.get(tier) or {}).get("container") if isinstance(tiers.get(tier), dict) else None
    container = container if isinstance(container, dict) else {}

    lines = [
        "# yaml-language-server: $schema=../../schemas/tenant.schema.json",
        f"# Tenant {request.name}: written by `genplat tenant new`; fill in what the comments offer.",
        "apiVersion: genplat.dev/v1alpha1",
        "kind: Tenant",
        "metadata:",
        f"  name: {request.name}",
        "spec:",
        f"  description: {_scalar(request.description or request.name)}",
        f"  tier: {_scalar(tier)}   # offered: {', '.join(str(k) for k in tiers) or 'none'}",
        "  # access:                     # who may do what in the tenant's namespaces",
        f"  #   admins: {{groups: [{request.name}-admins]}}",
        f"  #   developers: {{groups: [{request.name}-developers]}}",
        f"  environments:                 # offered: {', '.join(envs) or 'none'}",
    ]
    lines += [f"    - name: {_scalar(e)}" for e in chosen]
    if request.services:
        lines.append("  services:")
        for name, image in request.services:
            requests = container.get("defaultRequest") if isinstance(container.get("defaultRequest"), dict) else {}
            limits = container.get("default") if isinstance(container.get("default"), dict) else {}
            lines += [
                f"    - name: {_scalar(name)}",
                f"      image: {_scalar(image)}",
                "      port: 8080",
                "      scaling: {min: 1, max: 3}",
            ]
            if requests or limits:
                lines.append(f"      resources:                # the {tier} tier's defaults")
                if requests:
                    lines.append(
                        "        requests: {" + ", ".join(f"{k}: {_scalar(v)}" for k, v in requests.items()) + "}"
                    )
                if limits:
                    lines.append("        limits: {" + ", ".join(f"{k}: {_scalar(v)}" for k, v in limits.items()) + "}")
    if request.resources:
        lines.append(f"  resources:                    # offerings: {', '.join(str(o) for o in offerings) or 'none'}")
        for name, offering in request.resources:
            lines += [f"    - name: {_scalar(name)}", f"      offering: {_scalar(offering)}"]
            params = (offerings.get(offering) or {}).get("parameters")
            if isinstance(params, dict) and params:
                required = {
                    k: v for k, v in params.items() if isinstance(v, dict) and v.get("required") and "default" not in v
                }
                if required:
                    lines.append("      parameters:")
                    lines += [f"        {_param_comment(k, v)}" for k, v in required.items()]
                    lines.append("        # optional:")
                else:
                    lines.append("      # parameters:")
                lines += [
                    f"      #   {_param_comment(k, v)}" if not required else f"        # {_param_comment(k, v)}"
                    for k, v in params.items()
                    if isinstance(v, dict) and k not in required
                ]
    return "\n".join(lines) + "\n"
