"""Render the example blueprints once per test module and look objects up by kind and name."""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

import pytest

import genplat
from genplat.core.objects import RenderedObject
from genplat.rendering import render_platform, render_tenant
from genplat.rendering._base import BundleContext
from genplat.resolver.model import PlatformModel, TenantTarget, resolve

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLES = REPO / "blueprints"
CRD_PROJECTS = (
    "crossplane",
    "tekton-pipeline",
    "tekton-triggers",
    "knative-serving",
    "knative-eventing",
    "cert-manager",
    "external-secrets",
    "kyverno",
    "flux-source",
    "flux-kustomize",
    "flux-helm",
    "kapp-controller",
    "provider-helm",
    "cilium",
    "knative-networking",
    "gateway-api",
    "prometheus-operator",
)


@dataclasses.dataclass
class Rendered:
    platform: PlatformModel
    bundles: dict[str, list[TenantTarget]]
    objects: dict[str, list[RenderedObject]]  # bundle → every object rendered for it

    def find(
        self, bundle: str, kind: str, name: str | None = None, namespace: str | None = None
    ) -> list[RenderedObject]:
        return [
            o
            for o in self.objects[bundle]
            if o.kind == kind and (name is None or o.name == name) and (namespace is None or o.namespace == namespace)
        ]

    def one(self, bundle: str, kind: str, name: str, namespace: str | None = None) -> dict[str, t.Any]:
        found = self.find(bundle, kind, name, namespace)
        assert len(found) == 1, f"{kind}/{namespace}/{name} in {bundle}: {len(found)} found"
        return found[0].obj


def render_all(platform: PlatformModel, bundles: dict[str, list[TenantTarget]]) -> Rendered:
    objects: dict[str, list[RenderedObject]] = {}
    for bundle, tenants in bundles.items():
        cluster = next(c for c in platform.clusters if c.bundle == bundle)
        ctx = BundleContext(platform, cluster, tenants)
        objs = render_platform(ctx)
        for tenant in tenants:
            objs.extend(render_tenant(ctx, tenant))
        objects[bundle] = objs
    return Rendered(platform, bundles, objects)


def with_platform(rendered: Rendered, **changes: t.Any) -> Rendered:
    """The same project rendered with a changed platform model (e.g. Crossplane v1)."""
    platform = dataclasses.replace(rendered.platform, **changes)
    bundles = {b: [dataclasses.replace(tt) for tt in ts] for b, ts in rendered.bundles.items()}
    return render_all(platform, bundles)


@pytest.fixture(scope="session")
def examples() -> Rendered:
    project = genplat.load_project(EXAMPLES)
    platform, bundles = resolve(project)
    return render_all(platform, bundles)
