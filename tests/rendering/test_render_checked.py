"""Every rendered object passes the upstream CRDs (pinned releases), the Kubernetes schemas and the guardrails;
and each family appears only on clusters with its capability."""

from __future__ import annotations

import copy
import dataclasses
import typing as t

import pytest

from genplat.checks import Checker
from genplat.checks.build import guardrail_context, namespaces_of
from genplat.core.diagnostics import Severity
from genplat.core.objects import RenderedObject
from genplat.rendering import crossplane
from tests.upstream_parts import crd_files

from .conftest import CRD_PROJECTS, Rendered, render_all, with_platform

FAMILY_KINDS = {
    "crossplane": {
        "CompositeResourceDefinition",
        "Composition",
        "Function",
        "PostgresInstance",
        "DedicatedCluster",
        "VirtualCluster",
    },
    "tekton": {"Pipeline", "EventListener", "TriggerBinding", "TriggerTemplate"},
    "knative-serving": {"Service"},
    "knative-eventing": {"Broker", "Trigger"},
}


def check(rendered: Rendered) -> list[t.Any]:
    checker = Checker(
        kubernetes_version=rendered.platform.kubernetes_version,
        crd_paths=[f for p in CRD_PROJECTS for f in crd_files(p)],
    )
    xrds = {
        o.name: o.obj for objs in rendered.objects.values() for o in objs if o.kind == "CompositeResourceDefinition"
    }
    checker.add_crds((crossplane.composite_crd(x), f"xrd {name}") for name, x in xrds.items())
    by_placement, levels = namespaces_of(rendered.platform, rendered.bundles)
    context = dataclasses.replace(guardrail_context(rendered.platform), namespace_pod_security=levels)
    out = []
    for bundle, objects in rendered.objects.items():
        owned = {tt.name: by_placement[(tt.name, bundle)] for tt in rendered.bundles[bundle]}
        out.extend(
            checker.check(objects, guardrails=dataclasses.replace(context, tenant_namespaces=owned), strict=True)
        )
        # The PipelineRun a TriggerTemplate creates is checked against the PipelineRun CRD too.
        runs = [
            RenderedObject(r, o.origin, bundle=bundle, file=o.file, tenant=o.tenant)
            for o in objects
            if o.kind == "TriggerTemplate"
            for r in o.obj["spec"]["resourcetemplates"]
        ]
        out.extend(checker.check(runs, include_setup=False, strict=True))
    return out


def _problems(diags: list[t.Any]) -> list[str]:
    return [
        f"{d.rule} {d.object} {d.path}: {d.message}" for d in diags if d.severity in (Severity.ERROR, Severity.WARNING)
    ]


def test_examples_pass_crds_schemas_and_guardrails(examples: Rendered) -> None:
    kinds = {o.kind for objs in examples.objects.values() for o in objs}
    assert set().union(*FAMILY_KINDS.values()) <= kinds
    assert _problems(check(examples)) == []


def test_crossplane_v1_passes(examples: Rendered) -> None:
    v1 = with_platform(examples, crossplane={**examples.platform.crossplane, "apiVersion": "v1"})
    assert _problems(check(v1)) == []


def test_checker_catches_a_bad_field(examples: Rendered) -> None:
    """The check above can fail: a misspelt field in a rendered Knative Service is reported."""
    broken = copy.deepcopy(examples)
    svc = next(o for o in broken.objects["dev/dev-eu"] if o.kind == "Service" and o.api_version.startswith("serving."))
    svc.obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    problems = _problems(check(broken))
    assert any("schema-unknown-field" in p and "imagePullPolicyy" in p for p in problems), problems


def _kinds(rendered: Rendered, bundle: str) -> set[str]:
    return {o.kind for o in rendered.objects[bundle]}


def test_capability_gating_in_examples(examples: Rendered) -> None:
    # prod-eu: no tekton (tools builds only in dev); prod-us: neither tekton nor crossplane.
    assert not _kinds(examples, "prod/prod-eu") & FAMILY_KINDS["tekton"]
    assert _kinds(examples, "prod/prod-eu") >= FAMILY_KINDS["crossplane"]
    assert not _kinds(examples, "prod/prod-us") & (FAMILY_KINDS["tekton"] | FAMILY_KINDS["crossplane"])
    assert {"Service", "Broker", "Trigger"} <= _kinds(examples, "prod/prod-us")
    assert _kinds(examples, "dev/dev-eu") >= set().union(*FAMILY_KINDS.values())


@pytest.mark.parametrize("capability", ["crossplane", "tekton", "knative-serving", "knative-eventing"])
def test_removing_a_capability_removes_its_family(examples: Rendered, capability: str) -> None:
    clusters = [dataclasses.replace(c, capabilities=c.capabilities - {capability}) for c in examples.platform.clusters]
    platform = dataclasses.replace(examples.platform, clusters=clusters)
    by_name = {c.bundle: c for c in clusters}
    bundles = {b: [dataclasses.replace(tt, cluster=by_name[b]) for tt in ts] for b, ts in examples.bundles.items()}
    r = render_all(platform, bundles)
    gone = FAMILY_KINDS[capability]
    if capability == "knative-serving":
        gone = gone | FAMILY_KINDS["knative-eventing"]  # Triggers need a Knative Service to deliver to
    for bundle in r.objects:
        left = {o.kind for o in r.objects[bundle] if o.api_version != "v1"} & gone
        assert not left, (bundle, left)
    if capability == "tekton":
        assert not [
            o
            for objs in r.objects.values()
            for o in objs
            if o.name in ("build", "build-triggers", "allow-build-egress")
        ]


def test_composite_crd_checks_parameters(examples: Rendered) -> None:
    """XRs are checked against the CRD derived from their XRD: a value outside the offering's enum fails."""
    broken = copy.deepcopy(examples)
    xr = next(o for o in broken.objects["dev/dev-eu"] if o.kind == "PostgresInstance")
    xr.obj["spec"]["parameters"]["version"] = "9"
    xr.obj["spec"]["parameters"]["sizeGB"] = 1
    problems = _problems(check(broken))
    assert any("schema-enum" in p and "PostgresInstance" in p for p in problems), problems
    assert any("schema-unknown-field" in p and "sizeGB" in p for p in problems), problems
