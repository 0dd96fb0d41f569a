"""Composition checks: what each offering's Compositions compose, against the providers' schemas.

Every finding points at the offering's line in the platform blueprint that causes it (the composed
resource's ``apiVersion``, a patch's ``from`` or ``to``, a field of the ``base``):

* ``composed-kind-unknown``: no provider serves the kind (a misspelt kind or group; with a "did you
  mean"). ``composed-version-unserved``: the kind is served, not at this version (the hint names the
  served ones; the resource is then checked against the newest of them). ``composed-kind-scope``: a
  cluster-scoped kind in a namespaced composite resource (Crossplane v2 composes namespaced resources
  only). ``composed-kind-unchecked`` (warning, build only): no CRD of the kind's API group was given.
* ``composition-patch-source``: a patch reads a field the composite resource does not define.
* ``composition-patch-target``: a patch writes a field the composed kind does not have.
  ``composition-patch-shape``: it writes through a list as if it were an object, or the reverse.
  ``composition-patch-type``: the value it writes has a type the field refuses.
* ``composition-transform``: a transform the function would fail on, or whose result is Go's error
  text (``%!d(string=16)``); ``composition-unsupported``: a format genplat cannot compose offline.
* ``composed-base-invalid``: the base, with the patches applied to the offering's defaults, is refused
  by the provider's schema; ``composed-value-invalid``: a default, once patched, is refused.

The per-order check (a tenant's actual values) is below (`genplat/checks/composed.py`).
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from genplat.checks.checker import CLUSTER_SCOPED
from genplat.checks.crd_schema import convert_crd
from genplat.checks.providers import ProviderSchemas
from genplat.checks.schema import SchemaFinding, SchemaIndex
from genplat.checks.schema_walk import TYPES, types_of, walk
from genplat.core.diagnostics import Diagnostic, Severity, json_path
from genplat.core.kube import split_api_version
from genplat.core.suggest import did_you_mean
from genplat.rendering import crossplane
from genplat.rendering.composed import composite_of, platform_context, selected_composition
from genplat.rendering.patch_transform import (
    FORMAT_VERBS,
    Composed,
    ComposeFailure,
    NotFound,
    PathError,
    PathSyntaxError,
    Write,
    compose,
    format_path,
    format_verbs,
    get_value,
    go_float_f,
    go_sprintf,
    parse_path,
)

if t.TYPE_CHECKING:
    from genplat.resolver.model import PlatformModel

PathT = tuple[str | int, ...]
# What a placeholder XR is called when a composition is tried with the offering's defaults.
EXAMPLE_NAME = "example"
EXAMPLE_NAMESPACE = "example-dev"


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    """One composed resource template: where it is in the blueprint and what the build renders of it."""

    oi: int
    ci: int
    ri: int
    template: dict[str, t.Any]  # the function input's resource (base with genplat's additions, patches)
    blueprint_patches: int  # how many of its patches the blueprint wrote (genplat adds some after them)

    @property
    def path(self) -> PathT:
        return ("spec", "offerings", self.oi, "compositions", self.ci, "resources", self.ri)

    def patch_path(self, pi: int, field: str) -> PathT:
        if pi < self.blueprint_patches:
            return (*self.path, "patches", pi, field)
        return (*self.path, "connectionDetails")  # genplat's patch for the resource's own connection secret


@dataclasses.dataclass(slots=True)
class Resolved:
    """A composed kind as a schema set knows it."""

    schema: dict[str, t.Any] | None  # the CRD's converted schema (None: a Kubernetes kind, or unknown)
    api_version: str  # the version it is checked at (the served one suggested when the given is not)
    scope: str | None


@dataclasses.dataclass(slots=True)
class Outcome:
    diagnostics: list[Diagnostic] = dataclasses.field(default_factory=list)
    # (offering, composition, resource) whose kind is wrong: their orders are not checked further.
    broken: set[tuple[int, int, int]] = dataclasses.field(default_factory=set)
    # (offering, composition, resource, patch) whose target is wrong: what they write is not the tenant's fault.
    broken_patches: set[tuple[int, int, int, int]] = dataclasses.field(default_factory=set)


def check_offerings(platform: PlatformModel, schemas: ProviderSchemas, *, report_unchecked: bool = False) -> Outcome:
    """Findings for every composition of every offering of a validated platform."""
    out = Outcome()
    bp = platform.blueprint
    unchecked: set[str] = set()  # API groups already reported as not checked: once per group is enough
    mode = str(platform.crossplane.get("apiVersion") or "v2")
    ctx = platform_context(platform)
    for oi, offering in enumerate(platform.offerings):
        source_schema = _composite_schema(ctx, offering, oi, mode)
        for ci, comp in enumerate(offering.get("compositions") or []):
            fn_input = crossplane.function_input(offering, comp, mode)
            indexes = _indexes(platform, schemas, offering, ci)
            composed, failure = _example(offering, fn_input, mode)
            for ri, tmpl in enumerate(fn_input["resources"]):
                target = Target(oi, ci, ri, tmpl, len(comp["resources"][ri].get("patches") or []))
                out.diagnostics += _sources(bp, target, offering, source_schema, mode)
                out.diagnostics += _transforms(bp, target, offering)
                for index in indexes:
                    label = schemas.label(index)
                    resolved, found = _resolve(bp, target, index, schemas, mode, label, report_unchecked)
                    for d in found:
                        if d.rule == "composed-kind-unchecked":
                            group = split_api_version(str(tmpl["base"].get("apiVersion", "")))[0]
                            if group in unchecked:
                                continue
                            unchecked.add(group)
                        out.diagnostics.append(d)
                    if any(d.is_error for d in found):
                        out.broken.add((oi, ci, ri))
                    if resolved is None or any(d.rule == "composed-kind-scope" for d in found):
                        continue
                    shape = _targets(bp, target, offering, resolved, label)
                    out.diagnostics += shape
                    for d in shape:
                        out.broken_patches.add((oi, ci, ri, _patch_index(d.path)))
                    if composed is not None:
                        out.diagnostics += _base(bp, target, offering, composed[ri], resolved, index, label, shape)
            if failure is not None:
                out.diagnostics += _failed(bp, offering, oi, ci, comp, failure, out.diagnostics)
    return out


def _patch_index(path: str) -> int:
    """The patch a finding's blueprint path points into (``…patches[3].to`` → 3; -1 for none)."""
    m = re.search(r"\.patches\[(\d+)\]", path)
    return int(m.group(1)) if m else -1


def _failed(
    bp: t.Any,
    offering: dict[str, t.Any],
    oi: int,
    ci: int,
    comp: dict[str, t.Any],
    failure: ComposeFailure,
    found: list[Diagnostic],
) -> list[Diagnostic]:
    """The function fails on the offering's defaults: every order would fail (unless a finding at that
    patch already says why)."""
    target = Target(oi, ci, failure.index, {}, len(comp["resources"][failure.index].get("patches") or []))
    where = target.patch_path(failure.patch, "to")
    prefix = json_path(where[:-1])
    if any(d.path.startswith(prefix) for d in found):
        return []
    return [
        bp.diagnostic(
            "composition-failed",
            f"composition {crossplane.composition_name(offering, comp['provider'])} fails on the offering's defaults "
            f"(resource {failure.resource!r}, patch {failure.patch}): {failure.message}",
            where,
            hint="function-patch-and-transform would fail every composite resource of this offering",
        )
    ]


# ---------------------------------------------------------------------------------------------- where


def _indexes(
    platform: PlatformModel, schemas: ProviderSchemas, offering: dict[str, t.Any], ci: int
) -> list[SchemaIndex]:
    """The schema sets of the clusters whose XRs select composition ``ci`` (the default set when none)."""
    found: list[SchemaIndex] = []
    for cluster in platform.clusters:
        if cluster.has(crossplane.CAPABILITY) and selected_composition(offering, cluster.provider) == ci:
            index = schemas.for_cluster(cluster.name)
            if all(index is not f for f in found):
                found.append(index)
    return found or [schemas.default]


def _composite_schema(ctx: t.Any, offering: dict[str, t.Any], oi: int, mode: str) -> dict[str, t.Any]:
    """The composite resource's schema (what a patch may read), from the XRD the build renders."""
    xrd = crossplane.xrd(ctx, offering, oi, mode)
    crd = crossplane.composite_crd(xrd.obj)
    if mode == "v1":  # the XR, not the claim: cluster-scoped, with the claim's reference
        crd["spec"]["names"] = {"kind": xrd.obj["spec"]["names"]["kind"], "plural": xrd.obj["spec"]["names"]["plural"]}
        for v in crd["spec"]["versions"]:
            props = v["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            props["claimRef"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    versions, _ = convert_crd(crd, "xrd")
    return versions[0].schema


def _example(
    offering: dict[str, t.Any], fn_input: dict[str, t.Any], mode: str
) -> tuple[list[Composed] | None, ComposeFailure | None]:
    """The composition tried on an XR holding the offering's defaults (None and the failure when the
    function fails on them)."""
    params = {k: p["default"] for k, p in (offering.get("parameters") or {}).items() if "default" in p}
    n = crossplane.names(offering, mode)
    claim = {
        "apiVersion": f"{offering['group']}/{crossplane.XR_VERSION}",
        "kind": n.get("claim_kind", n["xr_kind"]),
        "metadata": {"name": EXAMPLE_NAME, "namespace": EXAMPLE_NAMESPACE},
        "spec": {"parameters": params},
    }
    xr = composite_of(claim, offering, mode)
    composed, failure = compose(xr, fn_input)
    return (None, failure) if failure is not None else (composed, None)


# ---------------------------------------------------------------------------------------------- sources


def _sources(
    bp: t.Any, target: Target, offering: dict[str, t.Any], schema: dict[str, t.Any], mode: str
) -> list[Diagnostic]:
    """Every patch reads a field the composite resource defines."""
    out = []
    params = offering.get("parameters") or {}
    for pi, patch in enumerate(target.template.get("patches") or []):
        if pi >= target.blueprint_patches:
            break
        source = str(patch.get("fromFieldPath", ""))
        if "." not in source and "[" not in source:
            continue  # a bare name that is no parameter: validation's unknown-parameter says so
        try:
            segments = parse_path(source)
        except PathSyntaxError as exc:
            out.append(
                bp.diagnostic(
                    "composition-patch-source", f"patch reads {source!r}: {exc}", target.patch_path(pi, "from")
                )
            )
            continue
        w = walk(schema, segments)
        if w.problem is None:
            continue
        where = format_path(segments[: w.at]) or "the composite resource"
        if w.problem == "unknown-field":
            missing = segments[w.at]
            if segments[: w.at] == ("spec", "parameters"):
                hint = did_you_mean(str(missing), params) if params else "the offering defines no parameters"
            else:
                hint = did_you_mean(str(missing), w.known)
            message = (
                f"patch reads {source!r}, which {offering['kind']} does not define: {where} has no field {missing!r}"
            )
        else:
            hint = None
            message = f"patch reads {source!r}, but {where} is of type {w.holds} in {offering['kind']}"
        out.append(bp.diagnostic("composition-patch-source", message, target.patch_path(pi, "from"), hint=hint))
    return out


# ---------------------------------------------------------------------------------------------- transforms


def _source_types(patch: t.Mapping[str, t.Any], offering: dict[str, t.Any]) -> set[str]:
    """JSON types the patch reads: the parameter's type, or string for the composite's own fields."""
    source = str(patch.get("fromFieldPath", ""))
    prefix = "spec.parameters."
    if source.startswith(prefix):
        p = (offering.get("parameters") or {}).get(source[len(prefix) :])
        if isinstance(p, dict):
            return {"integer", "number"} if p.get("type") == "number" else {str(p.get("type"))}
        return set()
    if source.startswith("metadata."):
        return {"string"}
    return set()


def _param(patch: t.Mapping[str, t.Any], offering: dict[str, t.Any]) -> dict[str, t.Any] | None:
    source = str(patch.get("fromFieldPath", ""))
    if source.startswith("spec.parameters."):
        p = (offering.get("parameters") or {}).get(source[len("spec.parameters.") :])
        return p if isinstance(p, dict) else None
    return None


def _json_types(values: t.Iterable[t.Any]) -> set[str]:
    out = set()
    for v in values:
        if isinstance(v, bool):
            out.add("boolean")
        elif isinstance(v, int) or (isinstance(v, float) and v.is_integer()):
            out.add("integer")
        elif isinstance(v, float):
            out.add("number")
        elif isinstance(v, str):
            out.add("string")
        elif isinstance(v, list):
            out.add("array")
        elif isinstance(v, dict):
            out.add("object")
    return out


def _go_string(value: t.Any) -> str:
    """A value after the convert-to-string transform genplat puts before a map."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return go_float_f(float(value))
    return str(value)


def written_types(patch: t.Mapping[str, t.Any], offering: dict[str, t.Any]) -> set[str]:
    """JSON types a patch may write (empty: unknown), following its transforms."""
    types = _source_types(patch, offering)
    for tr in patch.get("transforms") or []:
        kind = tr.get("type")
        if kind == "math":
            types = {"number"} if "number" in types and "integer" not in types else types & {"integer", "number"}
        elif kind == "convert" or kind == "string":
            types = {"string"}
        elif kind == "map":
            types = _json_types((tr.get("map") or {}).values())
    return types


def _transforms(bp: t.Any, target: Target, offering: dict[str, t.Any]) -> list[Diagnostic]:
    """Transforms the function would fail on, or whose result is Go's error text, and formats genplat
    does not compose offline."""
    out = []
    for pi, patch in enumerate(target.template.get("patches") or []):
        if pi >= target.blueprint_patches:
            break
        param = _param(patch, offering)
        types = _source_types(patch, offering)
        where = (*target.patch_path(pi, "from")[:-1], "transform")
        for tr in patch.get("transforms") or []:
            kind = tr.get("type")
            if kind == "math":
                factor = (tr.get("math") or {}).get("multiply")
                if isinstance(factor, float):
                    out.append(
                        bp.diagnostic(
                            "composition-transform",
                            f"multiply by {factor}: function-patch-and-transform multiplies by an integer only",
                            (*where, "multiply"),
                            hint="multiply by a whole number, or give the parameter in the unit the field wants",
                        )
                    )
                if types and not types & {"integer", "number"}:
                    out.append(
                        bp.diagnostic(
                            "composition-transform",
                            f"multiply needs a number; the patch reads a {' or '.join(sorted(types))}",
                            (*where, "multiply"),
                        )
                    )
                types = {"number"} if "number" in types and "integer" not in types else types & {"integer", "number"}
            elif kind == "convert":
                types = {"string"}
            elif kind == "map":
                keys = set((tr.get("map") or {}).keys())
                expected: list[t.Any] = []
                if param is not None and isinstance(param.get("enum"), list):
                    expected = list(param["enum"])
                elif param is not None and param.get("type") == "boolean":
                    expected = [True, False]
                missing = [_go_string(v) for v in expected if _go_string(v) not in keys]
                if missing:
                    out.append(
                        bp.diagnostic(
                            "composition-transform",
                            f"map has no entry for {', '.join(repr(m) for m in missing)}: a tenant choosing "
                            f"{'it' if len(missing) == 1 else 'them'} gets a composition error from the function",
                            (*where, "map"),
                            hint="map every value the parameter allows",
                        )
                    )
                types = _json_types((tr.get("map") or {}).values())
            elif kind == "string":
                fmt = str((tr.get("string") or {}).get("fmt"))
                out += _format(bp, (*where, "format"), fmt, types)
                types = {"string"}
    return out


# An example value of each type as the function reads it from the XR (every number a float64), to
# show what Go's fmt makes of a verb it cannot apply.
_SAMPLES: dict[str, t.Any] = {"string": "16", "integer": 20.0, "number": 1.5, "boolean": True}


def _plain(value: t.Any) -> t.Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _format(bp: t.Any, where: PathT, fmt: str, types: set[str]) -> list[Diagnostic]:
    verbs = format_verbs(fmt)
    if len(verbs) != 1 or verbs[0] not in FORMAT_VERBS:
        return [
            bp.diagnostic(
                "composition-unsupported",
                f"format {fmt!r}: genplat composes formats with exactly one plain verb, one of %s, %v, %t or %d "
                "(%% for a percent sign)",
                where,
                hint="write the text around a single %s (strings), %t (booleans) or %v (numbers, or any value)",
            )
        ]
    out = []
    for typ in sorted(types):
        sample = _SAMPLES.get(typ)
        if sample is None:
            continue
        text = go_sprintf(fmt, sample)
        if "%!" in text:
            out.append(
                bp.diagnostic(
                    "composition-transform",
                    f"format {fmt!r} on a {typ} gives Go's error text ({text!r} for {_plain(sample)!r})"
                    + (": the function reads every number of the XR as a float64" if typ == "integer" else ""),
                    where,
                    hint={"string": "use %s", "boolean": "use %t"}.get(typ, "use %v"),
                )
            )
    return out


# ---------------------------------------------------------------------------------------------- kinds


_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_rank(version: str) -> tuple[int, int, int]:
    """Kubernetes' version priority as a sort key (GA above beta above alpha, higher numbers first)."""
    m = _VERSION.match(version)
    if not m:
        return (-1, 0, 0)
    level = {"alpha": 0, "beta": 1, None: 2}[m.group(2)]
    return (level, int(m.group(1)), int(m.group(3) or 0))


def _builtin_group(group: str) -> bool:
    return "." not in group or group.endswith(".k8s.io")


def _resolve(
    bp: t.Any,
    target: Target,
    index: SchemaIndex,
    schemas: ProviderSchemas,
    mode: str,
    label: str,
    report_unchecked: bool,
) -> tuple[Resolved | None, list[Diagnostic]]:
    """Is the kind served (at this version, in this scope)? What schema checks the rest?"""
    base = target.template["base"]
    api_version, kind = str(base.get("apiVersion", "")), str(base.get("kind", ""))
    group, version = split_api_version(api_version)
    where = (*target.path, "base", "apiVersion")
    crds = index.crds
    name = f"{kind}.{group}" if group else kind
    resolved: Resolved | None = None
    out: list[Diagnostic] = []
    found = crds.get(group, version, kind) if group else None
    if found is not None:
        resolved = Resolved(found.schema, api_version, found.scope)
    elif _builtin_group(group) and index.kubernetes.schema(api_version, kind) is not None:
        resolved = Resolved(None, api_version, "Cluster" if kind in CLUSTER_SCOPED else "Namespaced")
    else:
        served = crds.served_versions(group, kind)
        if served:
            best = max(served, key=version_rank)
            crd = crds.get(group, best, kind)
            assert crd is not None
            resolved = Resolved(crd.schema, f"{group}/{best}", crd.scope)
            listing = ", ".join(f"{group}/{v}" for v in sorted(served, key=version_rank, reverse=True))
            out.append(
                bp.diagnostic(
                    "composed-version-unserved",
                    f"{name} is not served at {version}{label}: its CRD serves {listing}",
                    where,
                    hint=f"write apiVersion: {group}/{best} (the rest of this resource is checked against it)",
                )
            )
        else:
            out += _unknown(bp, where, index, schemas, group, version, kind, label, report_unchecked)
    if resolved is not None and mode != "v1" and resolved.scope == "Cluster":
        out.append(
            bp.diagnostic(
                "composed-kind-scope",
                f"{name} is cluster-scoped: a namespaced composite resource (Crossplane v2) composes "
                "namespaced resources only",
                where,
                hint=_namespaced_alternative(crds, group, kind)
                or "compose the provider's namespaced kind (its *.m.* API group)",
            )
        )
    return resolved, out


def _unknown(
    bp: t.Any,
    where: PathT,
    index: SchemaIndex,
    schemas: ProviderSchemas,
    group: str,
    version: str,
    kind: str,
    label: str,
    report_unchecked: bool,
) -> list[Diagnostic]:
    crds = index.crds
    name = f"{kind}.{group}" if group else kind
    if _builtin_group(group):
        known = sorted({k for api, k in index.kubernetes.kinds() if split_api_version(api)[0] == group})
        served = sorted(
            {
                split_api_version(api)[1]
                for api, k in index.kubernetes.kinds()
                if k == kind and split_api_version(api)[0] == group
            },
            key=version_rank,
        )
        if served:
            return [
                bp.diagnostic(
                    "composed-version-unserved",
                    f"{name} is not served at {version} by Kubernetes {index.kubernetes.version}",
                    where,
                    hint=f"write apiVersion: {(group + '/') if group else ''}{served[-1]}",
                )
            ]
        return [
            bp.diagnostic(
                "composed-kind-unknown",
                f"Kubernetes {index.kubernetes.version} has no kind {kind!r} in API group {group or 'core'!r}",
                where,
                hint=did_you_mean(kind, known),
            )
        ]
    kinds = {k for (g, _v, k) in crds.versions if g == group}
    if kinds:
        return [
            bp.diagnostic(
                "composed-kind-unknown",
                f"no provider CRD serves {name}{label}: API group {group!r} has no kind {kind!r}",
                where,
                hint=did_you_mean(kind, kinds),
            )
        ]
    if schemas.complete(index):
        # No "did you mean" across groups: provider groups share long suffixes (helm.m.crossplane.io,
        # kubernetes.m.crossplane.io), so the closest one is rarely the one meant.
        return [
            bp.diagnostic(
                "composed-kind-unknown",
                f"no provider of the cluster serves API group {group!r}{label} ({name})",
                where,
                hint=schemas.hint,
            )
        ]
    if not report_unchecked:
        return []
    return [
        dataclasses.replace(
            bp.diagnostic(
                "composed-kind-unchecked",
                f"{name} ({group}/{version}) is not checked, nor any kind of API group {group!r}: no CRD of "
                f"the group was given{label}",
                where,
                hint=schemas.hint,
            ),
            severity=Severity.WARNING,
        )
    ]


def _namespaced_alternative(crds: t.Any, group: str, kind: str) -> str | None:
    """The namespaced twin of a cluster-scoped provider kind (Crossplane v2 providers serve both:
    ``sql.gcp.upbound.io`` and ``sql.gcp.m.upbound.io``)."""
    for (g, _v, k), cv in sorted(crds.versions.items()):
        if k == kind and cv.scope == "Namespaced" and g.replace(".m.", ".", 1) == group:
            return f"compose {k} from {g}/{max(crds.served_versions(g, k), key=version_rank)}, its namespaced kind"
    return None


# ---------------------------------------------------------------------------------------------- targets


def _describe(resolved: Resolved, kind: str) -> str:
    return f"{kind} ({resolved.api_version})"


def _targets(bp: t.Any, target: Target, offering: dict[str, t.Any], resolved: Resolved, label: str) -> list[Diagnostic]:
    """Every patch writes a path the composed kind has, with the right shape and type."""
    if resolved.schema is None:
        return []
    kind = str(target.template["base"].get("kind"))
    out = []
    for pi, patch in enumerate(target.template.get("patches") or []):
        to = str(patch.get("toFieldPath", ""))
        where = target.patch_path(pi, "to")
        try:
            segments = parse_path(to)
        except PathSyntaxError as exc:
            out.append(bp.diagnostic("composition-patch-target", f"patch writes {to!r}: {exc}", where))
            continue
        w = walk(resolved.schema, segments)
        parent = format_path(segments[: w.at])
        of = f"{_describe(resolved, kind)}{label}"
        if w.problem == "unknown-field":
            out.append(
                bp.diagnostic(
                    "composition-patch-target",
                    f"patch writes {to!r}, but {parent or kind} of {of} has no field {segments[w.at]!r}",
                    where,
                    hint=did_you_mean(str(segments[w.at]), w.known),
                )
            )
        elif w.problem == "object":
            fixed = format_path((*segments[: w.at], *segments[w.at + 1 :]))
            out.append(
                bp.diagnostic(
                    "composition-patch-shape",
                    f"patch writes {to!r}, but {parent} is an object in {of}, not a list",
                    where,
                    hint=f"write to: {fixed}",
                )
            )
        elif w.problem == "list":
            fixed = format_path((*segments[: w.at], 0, *segments[w.at :]))
            out.append(
                bp.diagnostic(
                    "composition-patch-shape",
                    f"patch writes {to!r}, but {parent} is a list in {of}, not an object",
                    where,
                    hint=f"index the list, e.g. to: {fixed}",
                )
            )
        elif w.problem == "scalar":
            out.append(
                bp.diagnostic(
                    "composition-patch-shape",
                    f"patch writes {to!r}, but {parent} is of type {w.holds} in {of}: it has no fields or items",
                    where,
                )
            )
        elif w.node is not None and pi < target.blueprint_patches:
            out += _type(bp, patch, offering, w.node, to, of, where)
    return out


def _accepts(field: set[str], value: set[str]) -> bool:
    if not field or not value:
        return True
    if "number" in field:
        field = field | {"integer"}
    if "integer" in field and "number" in value:
        value = value - {"number"} | {"integer"}  # a whole number fits; a fraction is the tenant's problem
    return bool(field & value) and value <= field | ({"integer"} if "number" in field else set())


def _type(
    bp: t.Any,
    patch: t.Mapping[str, t.Any],
    offering: dict[str, t.Any],
    node: dict[str, t.Any],
    to: str,
    of: str,
    where: PathT,
) -> list[Diagnostic]:
    field = types_of(node)
    if node.get("x-kubernetes-int-or-string") or field == {"integer", "string"}:
        field = {"integer", "string"}
    value = written_types(patch, offering)
    if _accepts(field, value):
        return []
    names = [x for x in TYPES if x in value]
    wants = [x for x in TYPES if x in field]
    return [
        bp.diagnostic(
            "composition-patch-type",
            f"patch writes a {' or '.join(names)} to {to!r}, a field of type {' or '.join(wants)} in {of}",
            where,
            hint="change the parameter's type, or add a transform (map, format) that gives a " + " or ".join(wants),
        )
    ]


# ---------------------------------------------------------------------------------------------- base


def _base(
    bp: t.Any,
    target: Target,
    offering: dict[str, t.Any],
    composed: Composed,
    resolved: Resolved,
    index: SchemaIndex,
    label: str,
    shape: list[Diagnostic],
) -> list[Diagnostic]:
    """The base with the offering's defaults patched in, against the provider's schema."""
    obj = dict(composed.obj, apiVersion=resolved.api_version)
    kind = str(obj.get("kind"))
    _, findings = index.validate(obj)
    out = []
    broken = {d.path for d in shape}
    patches = target.template.get("patches") or []
    targets = [_safe_path(p.get("toFieldPath")) for p in patches]
    for f in findings:
        verdict, write = attribute(f, composed, targets, target.template["base"])
        if verdict == "skip":
            continue
        of = f"{_describe(resolved, kind)}{label}"
        if verdict == "patch" and write is not None:
            where = target.patch_path(write.patch, "to")
            if json_path(where) in broken:
                continue
            if write.source.startswith("spec.parameters."):
                what = f"the default of {write.source.removeprefix('spec.parameters.')!r} ({write.value!r})"
            else:
                what = f"{write.source} = {write.value!r} (an example composite resource)"
            out.append(
                bp.diagnostic(
                    "composed-value-invalid",
                    f"with {what} patched in, {of} refuses {json_path(f.path) or 'the object'}: {f.message}",
                    where,
                    hint=f.hint or "change the default, or transform it into a value the provider takes",
                )
            )
            continue
        where = (*target.path, "base", *_blueprint_path(f))
        out.append(
            bp.diagnostic(
                "composed-base-invalid",
                f"{of} refuses the base at {json_path(_blueprint_path(f)) or 'its root'}: {f.message}",
                where,
                hint=f.hint,
                key=f.key,
            )
        )
    return out


def _safe_path(path: t.Any) -> tuple[str | int, ...] | None:
    try:
        return parse_path(str(path))
    except PathSyntaxError:
        return None


def _blueprint_path(f: SchemaFinding) -> PathT:
    return tuple(f.path)


def _prefix(a: t.Sequence[t.Any], b: t.Sequence[t.Any]) -> bool:
    return len(a) <= len(b) and tuple(b[: len(a)]) == tuple(a)


def attribute(
    f: SchemaFinding,
    composed: Composed,
    targets: t.Sequence[tuple[str | int, ...] | None],
    base: t.Mapping[str, t.Any],
) -> tuple[str, Write | None]:
    """Who put what a schema refuses into a composed resource: ``("patch", write)`` when a patch wrote
    the value (or a value around it), ``("skip", None)`` when a patch will fill a missing field or made
    the structure a shape check already refused, else ``("base", None)``."""
    path = tuple(f.path)
    for w in composed.writes:
        if _prefix(w.path, path):
            return "patch", w
    if f.rule == "schema-required" and f.field is not None:
        missing = (*path, f.field)
        if any(tp is not None and _prefix(missing, tp) for tp in targets):
            return "skip", None
    if any(_prefix(path, w.path) for w in composed.writes):
        return ("base", None) if _in_base(base, path) else ("skip", None)
    return "base", None


def _in_base(base: t.Mapping[str, t.Any], path: PathT) -> bool:
    """Whether the base itself holds a value at ``path`` (else a patch made it)."""
    try:
        return get_value(base, tuple(path)) is not None
    except (NotFound, PathError):
        return False
