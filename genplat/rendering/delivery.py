"""Render stage, last step: what each cluster's GitOps controller needs to know about an object.

Runs after every family renderer, once per object, for the controller the cluster is delivered by
(``Cluster.gitops``):

* **Layer.** Objects in ``platform/`` (XRDs, Compositions, the Function, policies, platform RBAC) are the
  *platform* layer; objects in ``tenants/`` the *tenant* layer, applied only once the platform layer is
  in place and healthy. Flux applies each layer as its own Kustomization (``dependsOn``; see
  :mod:`genplat.packaging.gitops`). kapp has one app, so the layer is a change group:
  ``kapp.k14s.io/change-group`` on every object, and on tenant objects the rule
  ``upsert after upserting genplat.dev/platform`` (platform objects: ``delete after deleting
  genplat.dev/tenants``). Namespaces join the platform group on kapp; Flux applies them first within the
  tenant layer by itself.
* **Deletion protection.** Objects that hold data are never deleted by the controller when they drop out
  of a bundle (a blueprint removed by mistake): tenant Namespaces, and the composite resources of
  offerings whose ``deletionPolicy`` is ``Orphan`` (the default). Flux:
  ``kustomize.toolkit.fluxcd.io/prune: disabled``; kapp: ``kapp.k14s.io/delete-strategy: orphan``. The
  Compositions of those offerings keep Crossplane from deleting the cloud resources as well
  (:func:`genplat.rendering.crossplane.composition`). ``genplat diff`` flags a removal of such objects.
"""

from __future__ import annotations

import typing as t

from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext
from genplat.rendering.addons import installed, kapp_group

LAYER_ADDONS = "addons"
LAYER_PLATFORM = "platform"
LAYER_TENANTS = "tenants"
LAYERS = (LAYER_ADDONS, LAYER_PLATFORM, LAYER_TENANTS)

KAPP_GROUP = "kapp.k14s.io/change-group"
KAPP_RULE = "kapp.k14s.io/change-rule"
KAPP_DELETE = "kapp.k14s.io/delete-strategy"
FLUX_PRUNE = "kustomize.toolkit.fluxcd.io/prune"
#: Annotations that say "keep this object when it leaves the bundle", with the value that does.
PROTECTED = {FLUX_PRUNE: "disabled", KAPP_DELETE: "orphan"}

GROUP_PREFIX = "genplat.dev/"
PROTECTED_OFFERING_LABEL = "genplat.dev/offering"


def layer_of(ro: RenderedObject) -> str:
    """``addons`` for objects under ``addons/``, ``platform`` for those under ``platform/``, ``tenants`` for
    the rest."""
    file = ro.file or "platform/"
    if file.startswith(LAYER_ADDONS + "/"):
        return LAYER_ADDONS
    return LAYER_PLATFORM if file.startswith("platform/") else LAYER_TENANTS


def protected_offerings(ctx: BundleContext) -> frozenset[str]:
    """Offerings whose composite resources (and cloud resources) outlive their removal from a bundle."""
    return frozenset(o["name"] for o in ctx.platform.offerings if o.get("deletionPolicy", "Orphan") == "Orphan")


def is_protected(ro: RenderedObject, offerings: t.Collection[str]) -> bool:
    if ro.tenant is None:
        return False
    if ro.kind == "Namespace" and ro.api_version == "v1":
        return True
    labels = (ro.obj.get("metadata") or {}).get("labels") or {}
    return labels.get(PROTECTED_OFFERING_LABEL) in offerings and not ro.api_version.startswith(
        "apiextensions.crossplane.io/"
    )


def annotate(ctx: BundleContext, objects: t.Iterable[RenderedObject]) -> None:
    """Add the delivery annotations of ``ctx.cluster``'s controller to ``objects`` (in place)."""
    gitops = ctx.cluster.gitops
    if gitops not in ("flux", "kapp-controller"):
        return
    offerings = protected_offerings(ctx)
    ctx_has_addons = bool(installed(ctx))
    for ro in objects:
        extra: dict[str, str] = {}
        if gitops == "kapp-controller":
            layer = layer_of(ro)
            if layer == LAYER_TENANTS and ro.kind == "Namespace":
                layer = LAYER_PLATFORM
            if layer == LAYER_ADDONS:
                group = kapp_group(ro)
                extra[KAPP_GROUP] = GROUP_PREFIX + group
                if group != LAYER_ADDONS:
                    previous = LAYER_ADDONS if group == f"{LAYER_ADDONS}-packages" else f"{LAYER_ADDONS}-packages"
                    extra[KAPP_RULE] = f"upsert after upserting {GROUP_PREFIX}{previous}"
            else:
                extra[KAPP_GROUP] = GROUP_PREFIX + layer
                if layer == LAYER_TENANTS:
                    extra[KAPP_RULE] = f"upsert after upserting {GROUP_PREFIX}{LAYER_PLATFORM}"
                else:
                    extra[KAPP_RULE] = f"delete after deleting {GROUP_PREFIX}{LAYER_TENANTS}"
                    if ctx_has_addons:
                        extra[KAPP_RULE + ".addons"] = f"upsert after upserting {GROUP_PREFIX}{LAYER_ADDONS}"
            if is_protected(ro, offerings):
                extra[KAPP_DELETE] = PROTECTED[KAPP_DELETE]
        elif is_protected(ro, offerings):
            extra[FLUX_PRUNE] = PROTECTED[FLUX_PRUNE]
        if extra:
            meta = ro.obj.setdefault("metadata", {})
            annotations = meta.get("annotations")
            if not isinstance(annotations, dict):
                annotations = meta["annotations"] = {}
            for key, value in extra.items():
                annotations.setdefault(key, value)
