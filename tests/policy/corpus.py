"""The violation corpus (``corpus/<rule>.yaml``) and the policies it is judged by.

The policies are rendered by genplat from the example platform's settings, with ``localhost:5000``
added to the allowed registries (so ``localhost:5000/builder`` breaks the tag rule alone), for a
cluster with every capability: Kyverno forms with ``kyverno``, native admission without it.
"""

from __future__ import annotations

import dataclasses
import functools
import typing as t
from pathlib import Path

import yaml

import genplat
from genplat.core.objects import RenderedObject
from genplat.policy import RULES
from genplat.rendering import policy
from genplat.rendering._base import BundleContext
from genplat.resolver.model import PlatformModel, resolve

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
REPO = HERE.parent.parent
TENANT = "corpus"
WORKLOAD_NS, BUILD_NS = "corpus-dev", "corpus-dev-build"
NAMESPACE_LABELS = {
    WORKLOAD_NS: {"genplat.dev/tenant": TENANT, "genplat.dev/environment": "dev"},
    BUILD_NS: {"genplat.dev/tenant": TENANT, "genplat.dev/environment": "dev", "genplat.dev/purpose": "build"},
}


@dataclasses.dataclass(frozen=True)
class Case:
    rule: str  # guardrail/<file stem>
    obj: dict[str, t.Any]

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"]["namespace"])

    @property
    def refused(self) -> bool:
        return self.name.startswith("fail-")

    @property
    def id(self) -> str:
        return self.name


@functools.cache
def cases() -> tuple[Case, ...]:
    out = []
    for path in sorted(CORPUS.glob("*.yaml")):
        rule = f"guardrail/{path.stem}"
        assert rule in RULES, f"{path.name}: no admission rule {rule}"
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            out.append(Case(rule, doc))
    names = [(c.namespace, c.name) for c in out]
    assert len(names) == len(set(names)), "corpus names must be unique"
    return tuple(out)


@functools.cache
def example_platform() -> PlatformModel:
    return resolve(genplat.load_project(REPO / "blueprints"))[0]


@functools.cache
def platform() -> PlatformModel:
    base = example_platform()
    policies = dict(base.policies)
    policies["allowedRegistries"] = [*policies["allowedRegistries"], "localhost:5000"]
    return dataclasses.replace(base, policies=policies)


def rendered_policies(
    *, kyverno: str | None, examples: bool = False, policies: t.Mapping[str, t.Any] | None = None
) -> list[RenderedObject]:
    """The corpus policies (``examples``: the example platform's own; ``policies``: these settings) for
    a cluster with every capability: ``kyverno`` ValidatingPolicy/ClusterPolicy, or None for native
    admission."""
    model = example_platform() if examples else platform()
    if policies is not None:
        model = dataclasses.replace(model, policies=dict(policies))
    cluster = next(c for c in model.clusters if c.name == "dev-eu")
    caps = set(cluster.capabilities) - {"kyverno"}
    if kyverno is not None:
        caps.add("kyverno")
        policies = dict(model.policies, kyverno={"policyKind": kyverno})
        model = dataclasses.replace(model, policies=policies)
    cluster = dataclasses.replace(cluster, capabilities=frozenset(caps))
    return policy.render(BundleContext(model, cluster, []))


def policy_names(objects: t.Sequence[RenderedObject]) -> dict[str, str]:
    """Policy name → the rule it enforces (from its genplat.dev/rule annotation)."""
    return {
        o.name: o.obj["metadata"]["annotations"]["genplat.dev/rule"]
        for o in objects
        if o.kind in ("ValidatingPolicy", "ClusterPolicy", "ValidatingAdmissionPolicy")
    }


@functools.cache
def example_objects() -> tuple[RenderedObject, ...]:
    """Everything the example blueprints render, every bundle (as ``genplat build`` does)."""
    from genplat.rendering import render_platform, render_tenant

    model, bundles = resolve(genplat.load_project(REPO / "blueprints"))
    out: list[RenderedObject] = []
    for bundle, tenants in bundles.items():
        cluster = next(c for c in model.clusters if c.bundle == bundle)
        ctx = BundleContext(model, cluster, tenants)
        out += render_platform(ctx)
        for tenant in tenants:
            out += render_tenant(ctx, tenant)
    return tuple(out)
