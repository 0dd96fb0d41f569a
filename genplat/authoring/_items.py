"""The list items the growth commands write, from what the platform offers.

An environment or cluster copies a cluster of the platform (its provider, region and capabilities)
unless told otherwise; a service starts at its tier's default requests and limits; a resource writes
the offering's parameters, those given as values and the others as comments that say their type,
allowed values, default and purpose. ``genplat tenant new`` writes its services and resources with the
same functions, so both read alike.
"""

from __future__ import annotations

import copy
import json
import re
import typing as t

from genplat.authoring._roundtrip import RoundTrip, needs_quotes
from genplat.core.errors import UsageError
from genplat.core.suggest import did_you_mean


def scalar(value: t.Any) -> str:
    """A YAML flow scalar for ``value`` (JSON is valid YAML; plain where that reads back the same)."""
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/@:+-]*", value) and not needs_quotes(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def as_dict(value: t.Any) -> dict[str, t.Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: t.Any) -> list[t.Any]:
    return value if isinstance(value, list) else []


# --- Platform: environments and clusters ----------------------------------------------------------------


def clusters_of(platform: t.Mapping[str, t.Any]) -> dict[str, tuple[str, dict[str, t.Any]]]:
    """Cluster name → (its environment, the cluster) for every cluster of the platform."""
    out: dict[str, tuple[str, dict[str, t.Any]]] = {}
    for env in as_list(platform.get("environments")):
        for cluster in as_list(as_dict(env).get("clusters")):
            if isinstance(as_dict(cluster).get("name"), str):
                out[cluster["name"]] = (str(env.get("name")), cluster)
    return out


def cluster_item(
    platform: t.Mapping[str, t.Any],
    name: str,
    *,
    like: str | None = None,
    env: str | None = None,
    provider: str | None = None,
    region: str | None = None,
    capabilities: t.Sequence[str] = (),
    addons: t.Sequence[str] = (),
) -> tuple[dict[str, t.Any], str | None]:
    """A cluster, and which cluster it copied (the one named by ``like``, else the first of ``env``, else
    the platform's first) for what was not given. What runs on it: ``addons`` and ``capabilities`` when
    either is given, else the copied cluster's (its add-ons, pinned versions included, and capabilities)."""
    known = clusters_of(platform)
    if name in known:
        raise UsageError(
            f"the platform already has a cluster named {name!r} (in environment {known[name][0]!r})",
            hint="cluster names are unique across environments: pick another",
        )
    if like is not None and like not in known:
        raise UsageError(f"no cluster named {like!r} to copy", hint=did_you_mean(like, known, listing="clusters"))
    model_name = like or next((c for c, (e, _) in known.items() if e == env), None) or next(iter(known), None)
    model = known[model_name][1] if model_name else {}
    item: dict[str, t.Any] = {"name": name, "provider": provider or model.get("provider") or "existing"}
    if region or (model.get("region") and not provider):
        item["region"] = region or model["region"]
    runs_given = bool(addons or capabilities)
    if runs_given:
        if addons:
            item["addons"] = list(addons)
        if capabilities:
            item["capabilities"] = list(capabilities)
    else:
        for key in ("addons", "capabilities"):
            if key in model:
                item[key] = copy.deepcopy(as_list(model.get(key)))
        if "addons" not in item:
            item["capabilities"] = list(as_list(model.get("capabilities")))
    given = {"provider": bool(provider), "region": bool(region), "addons": runs_given, "capabilities": runs_given}
    copied = [k for k in ("provider", "region", "addons", "capabilities") if k in item and not given[k]]
    note = (
        f"copied {', '.join(copied)} from cluster {model_name!r} "
        "(choose with --like, --provider, --region, --addon, --capability)"
        if copied and model_name
        else None
    )
    return item, note


def environment_item(
    platform: t.Mapping[str, t.Any],
    name: str,
    *,
    cluster: str | None = None,
    description: str | None = None,
    like: str | None = None,
    provider: str | None = None,
    region: str | None = None,
    capabilities: t.Sequence[str] = (),
    addons: t.Sequence[str] = (),
) -> tuple[dict[str, t.Any], str | None]:
    envs = [str(as_dict(e).get("name")) for e in as_list(platform.get("environments"))]
    if name in envs:
        raise UsageError(
            f"the platform already has an environment named {name!r}", hint=f"environments: {', '.join(envs)}"
        )
    first, note = cluster_item(
        platform,
        cluster or f"{name}-1",
        like=like,
        provider=provider,
        region=region,
        capabilities=capabilities,
        addons=addons,
    )
    item: dict[str, t.Any] = {"name": name}
    if description:
        item["description"] = description
    item["clusters"] = [first]
    return item, note


# --- Tenant: services and resources ---------------------------------------------------------------------


def tier_container(platform: t.Mapping[str, t.Any], tier: str) -> dict[str, t.Any]:
    return as_dict(as_dict(as_dict(platform.get("tiers")).get(tier)).get("container"))


def _flow(mapping: t.Mapping[str, t.Any]) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in mapping.items()) + "}"


def service_text(
    name: str,
    image: str,
    *,
    tier: str,
    container: t.Mapping[str, t.Any],
    port: int = 8080,
    pipeline: str | None = None,
    repository: str | None = None,
    revision: str | None = None,
) -> str:
    """A service list item (``- name: …`` at column 0), at the tier's default requests and limits."""
    lines = [f"- name: {scalar(name)}", f"  image: {scalar(image)}", f"  port: {port}", "  scaling: {min: 1, max: 3}"]
    requests, limits = as_dict(container.get("defaultRequest")), as_dict(container.get("default"))
    if requests or limits:
        lines.append(f"  resources:                # the {tier} tier's defaults")
        if requests:
            lines.append(f"    requests: {_flow(requests)}")
        if limits:
            lines.append(f"    limits: {_flow(limits)}")
    if pipeline:
        lines += ["  build:", f"    pipeline: {scalar(pipeline)}", f"    repository: {scalar(repository or '')}"]
        if revision:
            lines.append(f"    revision: {scalar(revision)}")
    return "\n".join(lines) + "\n"


def param_comment(name: str, schema: t.Mapping[str, t.Any], value: t.Any = None, *, given: bool = False) -> str:
    """``name: value   # type, allowed values, range, default: description`` for an offering parameter."""
    facts: list[str] = []
    ty = schema.get("type")
    if isinstance(ty, str):
        facts.append(ty)
    if isinstance(schema.get("enum"), list):
        facts.append("one of " + ", ".join(scalar(v) for v in schema["enum"]))
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None or hi is not None:
        facts.append(f"{lo if lo is not None else '…'}–{hi if hi is not None else '…'}")
    if isinstance(schema.get("pattern"), str):
        facts.append(f"matching {schema['pattern']}")
    if schema.get("required"):
        facts.append("required")
    if given:
        shown = scalar(value)
    elif "default" in schema:
        shown = scalar(schema["default"])
    elif isinstance(schema.get("enum"), list) and schema["enum"]:
        shown = scalar(schema["enum"][0])
    else:
        shown = (
            '""' if ty == "string" else "0" if ty in ("integer", "number") else "false" if ty == "boolean" else "null"
        )
    default = f"default {scalar(schema['default'])}" if "default" in schema else "no default"
    about = f": {schema['description']}" if isinstance(schema.get("description"), str) else ""
    return f"{name}: {shown}   # {', '.join([*facts, default])}{about}"


def parameter_value(name: str, text: str, schema: t.Mapping[str, t.Any]) -> t.Any:
    """``text`` (from the command line) as the type the offering's parameter schema says."""
    if schema.get("type") == "string":
        return text
    try:
        value = RoundTrip.make().load(text)
    except Exception:
        return text
    return value if isinstance(value, (int, float, bool)) else text


def resource_text(
    name: str, offering: str, params: t.Mapping[str, t.Any], given: t.Mapping[str, t.Any] | None = None
) -> str:
    """A resource list item: the parameters given (and required ones) written, the others as comments."""
    given = dict(given or {})
    lines = [f"- name: {scalar(name)}", f"  offering: {scalar(offering)}"]
    schemas = {k: v for k, v in params.items() if isinstance(v, dict)}
    written = [k for k in schemas if k in given or (schemas[k].get("required") and "default" not in schemas[k])]
    if written:
        lines.append("  parameters:")
        lines += [f"    {param_comment(k, schemas[k], given.get(k), given=k in given)}" for k in written]
        rest = [k for k in schemas if k not in written]
        if rest:
            lines.append("    # optional:")
            lines += [f"    # {param_comment(k, schemas[k])}" for k in rest]
    elif schemas:
        lines.append("  # parameters:")
        lines += [f"  #   {param_comment(k, v)}" for k, v in schemas.items()]
    return "\n".join(lines) + "\n"
