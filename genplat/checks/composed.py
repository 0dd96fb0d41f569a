"""Every tenant order, composed with the tenant's own values and checked against the providers' schemas.

A value can suit the offering's parameter schema (the XRD) and still be refused by the provider: an
enum mapped into a field with a pattern, a number beyond the provider's range, a string where the
provider wants another format. The cluster would report it per tenant, as a composition error, long
after the merge. Here each XR is composed as function-patch-and-transform composes it
(`genplat/rendering/composed.py`) and each composed resource is validated; a refusal is reported at
the tenant's line that set the value:

* ``composed-value-invalid``: the provider's schema refuses a value the tenant set (through a patch);
* ``composition-failed``: the function itself fails on the tenant's value (a map without that key).

Problems of the base or of the offering's defaults are the offering's (above) and are not repeated per
tenant; nor is anything about a composed resource whose kind, or a patch whose target, is refused there.
"""

from __future__ import annotations

import json
import typing as t

from genplat.checks.compositions import attribute, version_rank
from genplat.checks.providers import ProviderSchemas
from genplat.checks.schema import SchemaIndex
from genplat.core.diagnostics import Diagnostic, json_path
from genplat.core.kube import split_api_version
from genplat.core.objects import Origin
from genplat.rendering.composed import ComposedXR, compose_bundle
from genplat.rendering.patch_transform import PathSyntaxError, parse_path

if t.TYPE_CHECKING:
    from genplat.resolver.model import PlatformModel, TenantTarget

PARAMETER_PREFIX = "spec.parameters."


def check_orders(
    platform: PlatformModel,
    bundles: t.Mapping[str, t.Sequence[TenantTarget]],
    schemas: ProviderSchemas,
    *,
    broken: t.Collection[tuple[int, int, int]] = (),
    broken_patches: t.Collection[tuple[int, int, int, int]] = (),
) -> list[Diagnostic]:
    """Findings at tenants' lines for every order of every placement (``broken``: composed resources,
    ``broken_patches``: patches, refused at the offering's line already)."""
    out: dict[tuple[t.Any, ...], Diagnostic] = {}
    for targets in bundles.values():
        for item in compose_bundle(platform, targets):
            index = schemas.for_cluster(item.tenant.cluster.name)
            for d in check_order(item, index, broken=broken, broken_patches=broken_patches):
                out.setdefault((d.file, d.line, d.column, d.rule, d.message), d)
    return list(out.values())


def _origin(item: ComposedXR, source: str) -> Origin | None:
    """Where the tenant set what a patch reads (None: the offering's default, not the tenant's)."""
    if source.startswith(PARAMETER_PREFIX):
        return item.resource.parameter_origins.get(source[len(PARAMETER_PREFIX) :])
    if source.startswith("metadata."):
        return item.resource.origin  # the order's name, and the tenant's namespace
    return None


def _what(source: str) -> str:
    return f"parameter {source[len(PARAMETER_PREFIX) :]!r}" if source.startswith(PARAMETER_PREFIX) else source


def _diagnostic(rule: str, message: str, origin: Origin, hint: str | None, ref: str) -> Diagnostic:
    return Diagnostic(
        rule=rule,
        message=message,
        file=origin.file,
        line=origin.line,
        column=origin.column,
        path=origin.path,
        hint=hint,
        object=ref,
    )


def check_order(
    item: ComposedXR,
    index: SchemaIndex,
    *,
    broken: t.Collection[tuple[int, int, int]] = (),
    broken_patches: t.Collection[tuple[int, int, int, int]] = (),
) -> list[Diagnostic]:
    """One order: the function's failure on the tenant's values, and the provider's refusals of them."""
    out: list[Diagnostic] = []
    ref = item.xr.ref()
    comp = item.composition_name
    if item.failure is not None:
        fail = item.failure
        origin = None if fail.unsupported else _origin(item, fail.source)
        if origin is not None:
            out.append(
                _diagnostic(
                    "composition-failed",
                    f"{item.resource.name}: composition {comp} fails on {_what(fail.source)} = {fail.value!r} "
                    f"(resource {fail.resource!r}, patch {fail.patch}): {fail.message}",
                    origin,
                    "choose a value the offering maps, or ask the platform team to map this one",
                    ref,
                )
            )
        return out
    assert item.composition_index is not None or not item.resources
    for composed in item.resources:
        if (item.offering_index, item.composition_index, composed.index) in broken:
            continue
        obj = composed.obj
        api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
        group, version = split_api_version(api_version)
        if group and index.crds.get(group, version, kind) is None:
            served = index.crds.served_versions(group, kind)
            if not served:
                continue  # not checked (or refused) at the offering's line
            obj = dict(obj, apiVersion=f"{group}/{max(served, key=version_rank)}")
        validated, findings = index.validate(obj)
        if not validated:
            continue
        tmpl_targets = _targets(item, composed.index)
        base = _base(item, composed.index)
        for f in findings:
            verdict, write = attribute(f, composed, tmpl_targets, base)
            if verdict != "patch" or write is None:
                continue
            if (item.offering_index, item.composition_index, composed.index, write.patch) in broken_patches:
                continue
            origin = _origin(item, write.source)
            if origin is None:
                continue
            out.append(
                _diagnostic(
                    "composed-value-invalid",
                    f"{item.resource.name}: {_what(write.source)} = {json.dumps(write.value)} is refused by "
                    f"{kind} ({obj['apiVersion']}) at {json_path(f.path) or 'its root'}: {f.message} "
                    f"(composition {comp}, resource {composed.name!r})",
                    origin,
                    f.hint or "choose a value the provider accepts (the offering's schema allows more than it does)",
                    ref,
                )
            )
    return out


def _template(item: ComposedXR, ri: int) -> dict[str, t.Any]:
    assert item.composition_index is not None
    comp = item.offering["compositions"][item.composition_index]
    return t.cast("dict[str, t.Any]", comp["resources"][ri])


def _targets(item: ComposedXR, ri: int) -> list[tuple[str | int, ...] | None]:
    out: list[tuple[str | int, ...] | None] = []
    for p in _template(item, ri).get("patches") or []:
        try:
            out.append(parse_path(str(p.get("to"))))
        except PathSyntaxError:
            out.append(None)
    return out


def _base(item: ComposedXR, ri: int) -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", _template(item, ri).get("base") or {})
