"""Crossplane: offerings become XRDs, Compositions and the patch-and-transform Function; orders become XRs.

Naming convention (documented in docs/blueprints.md):

* Crossplane v2 (default): the offering's ``kind`` is the composite resource (XR) kind, namespaced, and
  tenants create the XR itself in their namespace. XRD ``<plural>.<group>``, version ``v1alpha1``.
* Crossplane v1 (``crossplane.apiVersion: v1``): tenants create a *claim* of the offering's ``kind``; the
  cluster-scoped XR kind is ``X<kind>`` (plural ``x<plural>``), the XRD is ``x<plural>.<group>``.

One Composition per provider, named ``<offering>-<provider>`` and labelled ``provider: <provider>``; the
tenant's XR/claim selects it with ``compositionSelector.matchLabels.provider`` (the cluster's provider, or
``default`` when the offering has no composition for that provider).

Connection details (``offerings[].connectionDetails``, filled by the composed resources'
``connectionDetails``) land in the Secret ``<resource>-connection`` in the tenant's namespace
(:func:`genplat.rendering.connections.connection_secret_name`):

* v2: the function composes that Secret itself (function-patch-and-transform v0.10 or later), named by
  the input's ``writeConnectionSecretToRef``; each composed resource that contributes keys of its own
  connection secret writes that secret as ``<xr>-<resource>-connection`` beside it.
* v1: the XRD lists ``connectionSecretKeys``, the Composition writes XR secrets to
  ``crossplane-system`` (composed resources there too, named by the XR's uid), and the claim's
  ``writeConnectionSecretToRef`` brings the keys into the tenant's namespace.
"""

from __future__ import annotations

import copy
import re
import typing as t

from genplat.core.names import CONNECTION_SUFFIX, connection_secret_name
from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext, platform_object, tenant_object
from genplat.resolver.model import Resource, TenantTarget

FILE = "crossplane.yaml"
CAPABILITY = "crossplane"
XR_VERSION = "v1alpha1"
XRD_API = {"v1": "apiextensions.crossplane.io/v1", "v2": "apiextensions.crossplane.io/v2"}
COMPOSITION_API = "apiextensions.crossplane.io/v1"
FUNCTION_API = "pkg.crossplane.io/v1"
PT_INPUT_API = "pt.fn.crossplane.io/v1beta1"
DEFAULT_FUNCTION = "function-patch-and-transform"
PROVIDER_LABEL = "provider"
OFFERING_LABEL = "genplat.dev/offering"
DEFAULT_PROVIDER = "default"
# On v1 the XR is cluster-scoped with a generated name: the claim's namespace and name live in labels.
V1_CLAIM_FIELDS = {
    "metadata.namespace": "metadata.labels[crossplane.io/claim-namespace]",
    "metadata.name": "metadata.labels[crossplane.io/claim-name]",
}
_SCHEMA_KEYS = ("type", "description", "enum", "default", "minimum", "maximum", "pattern")
# Where Crossplane v1 keeps cluster-scoped XRs' and composed resources' connection secrets.
V1_SECRETS_NAMESPACE = "crossplane-system"


def api_mode(ctx: BundleContext) -> str:
    return str(ctx.platform.crossplane.get("apiVersion") or "v2")


def plural(kind: str) -> str:
    """English plural of a kind, lower-cased, as Kubernetes resource names are (PostgresInstance → postgresinstances)."""
    low = kind.lower()
    if re.search(r"(s|x|z|ch|sh)$", low):
        return low + "es"
    if re.search(r"[^aeiou]y$", low):
        return low[:-1] + "ies"
    return low + "s"


def names(offering: dict[str, t.Any], mode: str) -> dict[str, str]:
    """Kinds and plurals of the XR (and claim on v1) for one offering."""
    kind = offering["kind"]
    if mode == "v1":
        return {
            "xr_kind": f"X{kind}",
            "xr_plural": f"x{plural(kind)}",
            "claim_kind": kind,
            "claim_plural": plural(kind),
        }
    return {"xr_kind": kind, "xr_plural": plural(kind)}


def function_name(ctx: BundleContext) -> str:
    fn = ctx.platform.crossplane.get("function") or {}
    return str(fn.get("name") or DEFAULT_FUNCTION)


# ---------------------------------------------------------------------------------------------- platform


def render_platform(ctx: BundleContext) -> list[RenderedObject]:
    if not ctx.cluster.has(CAPABILITY):
        return []
    mode = api_mode(ctx)
    out: list[RenderedObject] = []
    fn = ctx.platform.crossplane.get("function")
    # A declared function stays installed without offerings: other compositions may still run it.
    if fn:
        out.append(
            platform_object(
                ctx,
                FUNCTION_API,
                "Function",
                fn["name"],
                ctx.platform.origin(("spec", "crossplane", "function")),
                FILE,
                spec={"package": fn["package"]},
            )
        )
    for oi, offering in enumerate(ctx.platform.offerings):
        out.append(xrd(ctx, offering, oi, mode))
        for ci, comp in enumerate(offering.get("compositions") or []):
            out.append(composition(ctx, offering, oi, comp, ci, mode))
    return out


def parameters_schema(offering: dict[str, t.Any]) -> dict[str, t.Any]:
    """The offering's parameter schema as the OpenAPI v3 schema of ``spec.parameters``."""
    props: dict[str, t.Any] = {}
    required: list[str] = []
    for pname, p in (offering.get("parameters") or {}).items():
        props[pname] = {k: copy.deepcopy(p[k]) for k in _SCHEMA_KEYS if k in p}
        if p.get("required") and "default" not in p:
            required.append(pname)
    schema: dict[str, t.Any] = {
        "type": "object",
        "description": f"Parameters of {offering['name']}.",
        "properties": props,
    }
    if required:
        schema["required"] = required
    return schema


def xrd(ctx: BundleContext, offering: dict[str, t.Any], oi: int, mode: str) -> RenderedObject:
    n = names(offering, mode)
    params = parameters_schema(offering)
    spec_schema: dict[str, t.Any] = {"type": "object", "properties": {"parameters": params}}
    if params.get("required"):
        spec_schema["required"] = ["parameters"]
    else:
        # An empty default lets the API server fill in every parameter default when a tenant sets none.
        params["default"] = {}
    version = {
        "name": XR_VERSION,
        "served": True,
        "referenceable": True,
        "schema": {
            "openAPIV3Schema": {
                "type": "object",
                "description": offering.get("description") or f"{offering['kind']} offering.",
                "properties": {"spec": spec_schema},
                "required": ["spec"],
            }
        },
    }
    spec: dict[str, t.Any] = {"group": offering["group"], "names": {"kind": n["xr_kind"], "plural": n["xr_plural"]}}
    if mode == "v1":
        # No ``scope`` on v1: older control planes do not know the field, and its v2 default
        # (LegacyCluster) is what claims need anyway.
        spec["claimNames"] = {"kind": n["claim_kind"], "plural": n["claim_plural"]}
    else:
        spec["scope"] = "Namespaced"
    if any(c.get("provider") == DEFAULT_PROVIDER for c in offering.get("compositions") or []):
        spec["defaultCompositionRef"] = {"name": composition_name(offering, DEFAULT_PROVIDER)}
    if mode == "v1" and offering.get("connectionDetails"):
        spec["connectionSecretKeys"] = list(offering["connectionDetails"])
    spec["versions"] = [version]
    obj = platform_object(
        ctx,
        XRD_API["v1" if mode == "v1" else "v2"],
        "CompositeResourceDefinition",
        f"{n['xr_plural']}.{offering['group']}",
        ctx.platform.origin(("spec", "offerings", oi)),
        FILE,
        spec=spec,
    )
    obj.obj["metadata"]["labels"][OFFERING_LABEL] = offering["name"]
    return obj


def composition_name(offering: dict[str, t.Any], provider: str) -> str:
    return f"{offering['name']}-{provider}"


def function_input(offering: dict[str, t.Any], comp: dict[str, t.Any], mode: str) -> dict[str, t.Any]:
    """The function-patch-and-transform input (``pt.fn.crossplane.io`` ``Resources``) of one composition."""
    params = offering.get("parameters") or {}
    resources = []
    keep = offering.get("deletionPolicy", "Orphan") == "Orphan"
    for res in comp.get("resources") or []:
        item: dict[str, t.Any] = {"name": res["name"], "base": copy.deepcopy(res["base"])}
        if keep:
            _orphan_on_delete(item["base"])
        patches = [patch(p, params, mode) for p in res.get("patches") or []]
        details = [connection_detail(d) for d in res.get("connectionDetails") or []]
        if any("fromConnectionSecretKey" in d for d in details):
            patches += own_connection_secret(item["base"], res["name"], mode)
        if patches:
            item["patches"] = patches
        if details:
            item["connectionDetails"] = details
        resources.append(item)
    fn_input: dict[str, t.Any] = {"apiVersion": PT_INPUT_API, "kind": "Resources"}
    if mode != "v1" and offering.get("connectionDetails"):
        # The function composes the XR's connection Secret (v2 XRs have none of their own).
        fn_input["writeConnectionSecretToRef"] = {
            "patches": [
                {
                    "type": "FromCompositeFieldPath",
                    "fromFieldPath": "metadata.name",
                    "toFieldPath": "name",
                    "transforms": [{"type": "string", "string": {"type": "Format", "fmt": f"%s{CONNECTION_SUFFIX}"}}],
                }
            ]
        }
    fn_input["resources"] = resources
    return fn_input


def composition(
    ctx: BundleContext, offering: dict[str, t.Any], oi: int, comp: dict[str, t.Any], ci: int, mode: str
) -> RenderedObject:
    n = names(offering, mode)
    spec: dict[str, t.Any] = {
        "compositeTypeRef": {"apiVersion": f"{offering['group']}/{XR_VERSION}", "kind": n["xr_kind"]},
        "mode": "Pipeline",
        "pipeline": [
            {
                "step": "patch-and-transform",
                "functionRef": {"name": function_name(ctx)},
                "input": function_input(offering, comp, mode),
            }
        ],
    }
    if mode == "v1" and offering.get("connectionDetails"):
        spec = {"writeConnectionSecretsToNamespace": V1_SECRETS_NAMESPACE, **spec}
    obj = platform_object(
        ctx,
        COMPOSITION_API,
        "Composition",
        composition_name(offering, comp["provider"]),
        ctx.platform.origin(("spec", "offerings", oi, "compositions", ci)),
        FILE,
        spec=spec,
    )
    obj.obj["metadata"]["labels"].update({PROVIDER_LABEL: comp["provider"], OFFERING_LABEL: offering["name"]})
    return obj


def connection_detail(d: dict[str, t.Any]) -> dict[str, t.Any]:
    """A blueprint connection detail → function-patch-and-transform's, with its type spelled out."""
    for field, kind in (
        ("fromConnectionSecretKey", "FromConnectionSecretKey"),
        ("fromFieldPath", "FromFieldPath"),
        ("value", "FromValue"),
    ):
        if field in d:
            return {"name": d["name"], "type": kind, field: str(d[field])}
    raise ValueError(f"connection detail {d.get('name')!r} has no source")  # the schema requires one


def own_connection_secret(base: dict[str, t.Any], resource: str, mode: str) -> list[dict[str, t.Any]]:
    """Patches that make a composed resource write its own connection secret where the function reads it."""
    ref = (base.get("spec") or {}).get("writeConnectionSecretToRef")
    if isinstance(ref, dict) and ref.get("name"):
        return []  # the platform named it itself
    if mode == "v1":
        base.setdefault("spec", {})["writeConnectionSecretToRef"] = {"namespace": V1_SECRETS_NAMESPACE}
        source, fmt = "metadata.uid", f"%s-{resource}"
    else:
        source, fmt = "metadata.name", f"%s-{resource}{CONNECTION_SUFFIX}"
    return [
        {
            "type": "FromCompositeFieldPath",
            "fromFieldPath": source,
            "toFieldPath": "spec.writeConnectionSecretToRef.name",
            "transforms": [{"type": "string", "string": {"type": "Format", "fmt": fmt}}],
        }
    ]


def from_field_path(source: str, params: dict[str, t.Any], mode: str) -> str:
    """A blueprint patch's ``from``: a parameter name, or a raw field path of the composite."""
    if source in params:
        return f"spec.parameters.{source}"
    if mode == "v1":
        return V1_CLAIM_FIELDS.get(source, source)
    return source


def transforms(transform: dict[str, t.Any], param: dict[str, t.Any] | None) -> list[dict[str, t.Any]]:
    """Blueprint transform → function-patch-and-transform transforms, applied as multiply → map → format."""
    out: list[dict[str, t.Any]] = []
    if "multiply" in transform:
        m = transform["multiply"]
        # The function takes an int64 multiplier; 2.0 in YAML means 2.
        out.append({"type": "math", "math": {"type": "Multiply", "multiply": int(m) if float(m).is_integer() else m}})
    if "map" in transform:
        if param is not None and param.get("type") != "string":
            # A map transform only accepts string input: turn booleans and numbers into their string form first.
            out.append({"type": "convert", "convert": {"toType": "string"}})
        out.append({"type": "map", "map": copy.deepcopy(transform["map"])})
    if "format" in transform:
        out.append({"type": "string", "string": {"type": "Format", "fmt": transform["format"]}})
    return out


def patch(p: dict[str, t.Any], params: dict[str, t.Any], mode: str) -> dict[str, t.Any]:
    out: dict[str, t.Any] = {
        "type": "FromCompositeFieldPath",
        "fromFieldPath": from_field_path(p["from"], params, mode),
        "toFieldPath": p["to"],
    }
    tr = transforms(p.get("transform") or {}, params.get(p["from"]))
    if tr:
        out["transforms"] = tr
    return out


# ---------------------------------------------------------------------------------------------- tenant


def selected_provider(offering: dict[str, t.Any], cluster_provider: str) -> str:
    providers = {c.get("provider") for c in offering.get("compositions") or []}
    if cluster_provider in providers:
        return cluster_provider
    return DEFAULT_PROVIDER if DEFAULT_PROVIDER in providers else cluster_provider


# What a managed resource does without "Delete": it keeps the cloud resource when the object goes.
ORPHAN_POLICIES = ["Observe", "Create", "Update", "LateInitialize"]


def _orphan_on_delete(base: t.Any) -> None:
    """Keep the cloud resource behind a composed resource when its XR is deleted (offerings with
    ``deletionPolicy: Orphan``, the default). Namespaced managed resources (``*.m.*`` groups, Crossplane
    v2) have no ``deletionPolicy``: there it is the management policies without ``Delete``. A base that
    sets either itself is left alone."""
    if not isinstance(base, dict):
        return
    spec = base.setdefault("spec", {})
    if not isinstance(spec, dict) or "managementPolicies" in spec or "deletionPolicy" in spec:
        return
    group = str(base.get("apiVersion", "")).partition("/")[0]
    if ".m." in f".{group}.":
        spec["managementPolicies"] = list(ORPHAN_POLICIES)
    else:
        spec["deletionPolicy"] = "Orphan"


def render_tenant(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    if not ctx.cluster.has(CAPABILITY) or not tenant.resources:
        return []
    offerings = {o["name"]: o for o in ctx.platform.offerings}
    mode = api_mode(ctx)
    return [
        composite(ctx, tenant, res, offerings[res.offering], mode)
        for res in tenant.resources
        if res.offering in offerings
    ]


def composite(
    ctx: BundleContext, tenant: TenantTarget, res: Resource, offering: dict[str, t.Any], mode: str
) -> RenderedObject:
    """The XR (v2) or claim (v1) a tenant resource becomes, with the offering's defaults applied."""
    n = names(offering, mode)
    selector = {"matchLabels": {PROVIDER_LABEL: selected_provider(offering, ctx.cluster.provider)}}
    spec: dict[str, t.Any] = {"parameters": copy.deepcopy(res.parameters)}
    if mode == "v1":
        spec["compositionSelector"] = selector
        if offering.get("connectionDetails"):
            spec["writeConnectionSecretToRef"] = {"name": connection_secret_name(res.name)}
        kind = n["claim_kind"]
    else:
        # v2 keeps Crossplane's own machinery under spec.crossplane.
        spec["crossplane"] = {"compositionSelector": selector}
        kind = n["xr_kind"]
    obj = tenant_object(tenant, f"{offering['group']}/{XR_VERSION}", kind, res.name, res.origin, spec=spec)
    obj.obj["metadata"]["labels"][OFFERING_LABEL] = offering["name"]
    return obj


# ---------------------------------------------------------------------------------------------- checking


def composite_crd(xrd_obj: dict[str, t.Any]) -> dict[str, t.Any]:
    """The CustomResourceDefinition Crossplane serves for a rendered XRD's tenant-facing kind (the XR on v2,
    the claim on v1), so XRs and claims can be schema-checked offline like any custom resource.

    The XRD's own schema plus the machinery Crossplane adds that tenants may set: composition selection
    (under ``spec.crossplane`` on v2, directly under ``spec`` on v1) and, on v1, the connection secret.
    """
    spec = xrd_obj["spec"]
    v1 = xrd_obj["apiVersion"] == XRD_API["v1"]
    labels = {"type": "object", "additionalProperties": {"type": "string"}}
    machinery: dict[str, t.Any] = {
        "compositionRef": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
        "compositionSelector": {"type": "object", "properties": {"matchLabels": labels}, "required": ["matchLabels"]},
        "compositionUpdatePolicy": {"type": "string", "enum": ["Automatic", "Manual"]},
    }
    names = spec["claimNames"] if v1 else spec["names"]
    versions = []
    for version in spec["versions"]:
        given = (
            (version.get("schema") or {}).get("openAPIV3Schema") if isinstance(version.get("schema"), dict) else None
        )
        # The XRD API leaves a version's schema optional (the API server takes such an XRD); without one,
        # only the machinery below is typed and the rest of spec is kept as written.
        schema: dict[str, t.Any] = (
            copy.deepcopy(given)
            if isinstance(given, dict)
            else {
                "type": "object",
                "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            }
        )
        props = schema.setdefault("properties", {}).setdefault("spec", {"type": "object"}).setdefault("properties", {})
        if v1:
            props.update(machinery)
            props["writeConnectionSecretToRef"] = {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            }
        else:
            props["crossplane"] = {"type": "object", "properties": machinery}
        # Crossplane's xcrd stores the referenceable version (exactly one per XRD).
        storage = version.get("referenceable", len(spec["versions"]) == 1)
        versions.append(
            {
                "name": version["name"],
                "served": version.get("served", True),
                "storage": bool(storage),
                "schema": {"openAPIV3Schema": schema},
            }
        )
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{names['plural']}.{spec['group']}"},
        "spec": {
            "group": spec["group"],
            "names": {"kind": names["kind"], "plural": names["plural"]},
            "scope": "Namespaced",
            "versions": versions,
        },
    }
