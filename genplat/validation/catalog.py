"""What the platform offers, by name, and the name rules both kinds of blueprint follow."""

from __future__ import annotations

import re
import typing as t

from genplat.core.addons import raw_cluster_capabilities
from genplat.core.diagnostics import Diagnostic
from genplat.core.readers import as_dict, as_list, as_str, by_name
from genplat.loader.project import Blueprint

RESERVED_NAMES = re.compile(
    r"^(kube-.*|default|flux-system|crossplane-system|tekton-.*|knative-.*|kyverno|cert-manager|genplat-.*)$"
)


MAX_LABEL = 63


# Knative names revisions "<service>-00001" and routes tags as "<tag>-<service>" inside host names.
REVISION_SUFFIX = len("-00001")


# Workloads that run on any cluster: core Kubernetes kinds, no Knative.
CORE_WORKLOADS = ("deployment", "cronjob", "job")

# Which capability each tenant feature needs on the clusters it lands on.
CAPABILITY_FOR = {
    "services": "knative-serving",
    "build": "tekton",
    "events": "knative-eventing",
    "resources": "crossplane",
    "secrets": "external-secrets",
}


class Catalog:
    """What the platform offers, by name."""

    def __init__(self, platform: Blueprint) -> None:
        spec = platform.spec
        self.platform = platform
        self.environments: dict[str, dict[str, dict[str, t.Any]]] = {}
        for env in as_list(spec.get("environments")):
            env = as_dict(env)
            name = as_str(env.get("name"))
            if name:
                # Each cluster with "capabilities" as its add-ons give them (the old list, or what its
                # addons bring), so checks ask one thing whichever form the blueprint uses.
                self.environments[name] = {
                    as_str(as_dict(c).get("name")) or "": {
                        **as_dict(c),
                        "capabilities": sorted(raw_cluster_capabilities(as_dict(c), spec)),
                    }
                    for c in as_list(env.get("clusters"))
                }
        self.tiers: dict[str, dict[str, t.Any]] = {k: as_dict(v) for k, v in as_dict(spec.get("tiers")).items()}
        self.offerings = by_name(as_list(spec.get("offerings")))
        self.pipelines = by_name(as_list(spec.get("pipelines")))
        self.imagepull = bool(as_dict(as_dict(spec.get("secrets")).get("imagePullSecret")))


def duplicates(bp: Blueprint, items: list[t.Any], base: tuple[str | int, ...], what: str) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    out = []
    for i, item in enumerate(items):
        name = as_str(as_dict(item).get("name"))
        if name is None:
            continue
        if name in seen:
            out.append(
                bp.diagnostic(
                    "duplicate-name",
                    f"{what} {name!r} is defined twice",
                    (*base, i, "name"),
                    hint=f"the first is {base[-1]}[{seen[name]}]; names must be unique",
                )
            )
        else:
            seen[name] = i
    return out


def param_problems(value: t.Any, schema: dict[str, t.Any]) -> list[str]:
    """Why ``value`` does not fit an offering parameter's schema (empty when it fits)."""
    declared = schema.get("type")
    ptype = declared if isinstance(declared, str) else ""  # a bad type was reported by the schema
    ok_type = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }.get(ptype, True)
    if not ok_type:
        hint = " (put it in quotes)" if ptype == "string" and not isinstance(value, (dict, list)) else ""
        return [f"must be {'an' if ptype == 'integer' else 'a'} {ptype}, got {value!r}{hint}"]
    problems = []
    if "enum" in schema and value not in as_list(schema["enum"]):
        problems.append(f"is {value!r}, expected one of: {', '.join(repr(v) for v in as_list(schema['enum']))}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(schema.get("minimum"), (int, float)) and value < schema["minimum"]:
            problems.append(f"is {value}, below the minimum {schema['minimum']}")
        if isinstance(schema.get("maximum"), (int, float)) and value > schema["maximum"]:
            problems.append(f"is {value}, above the maximum {schema['maximum']}")
    if isinstance(value, str) and isinstance(schema.get("pattern"), str):
        try:
            if not re.search(schema["pattern"], value):
                problems.append(f"is {value!r}, which does not match {schema['pattern']!r}")
        except re.error:
            problems.append(f"cannot be checked: pattern {schema['pattern']!r} is not a valid regular expression")
    return problems
