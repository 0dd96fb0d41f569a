"""What ``genplat status`` reads from out/ and how it names objects, offline (the cluster side is in
tests/cluster/test_flux_controllers.py): the committed example output, real Flux and kapp messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genplat.core.errors import UsageError
from genplat.delivery.kubeconfig import KubeConfig
from genplat.delivery.model import BEHIND, FAILING, ClusterStatus, Drift, Event, StatusReport, UnitStatus
from genplat.delivery.report import diagnostics, format_github, format_json, format_text
from genplat.delivery.status import _mentions, _settled, contexts_for, select
from genplat.delivery.wiring import read_deliveries
from genplat.loader.sources import blueprints_from_folder, resolve_source, template_line

REPO = Path(__file__).resolve().parents[2]


def _deliveries() -> list:  # type: ignore[type-arg]
    return read_deliveries(REPO / "out")


def test_every_wired_bundle_with_its_units_digest_and_objects() -> None:
    deliveries = {d.bundle: d for d in _deliveries()}
    assert sorted(deliveries) == ["dev-dev-eu", "prod-prod-eu", "prod-prod-us"]
    lock = json.loads((REPO / "out" / "genplat.lock.json").read_text())
    eu = deliveries["prod-prod-eu"]
    assert eu.fmt == "flux" and eu.digest == lock["bundles"]["prod/prod-eu"]["oci"]["flux"]
    assert [(u.kind, u.layer) for u in eu.units] == [
        ("OCIRepository", "source"),
        ("Kustomization", "platform"),
        ("Kustomization", "tenants"),
    ]
    us = deliveries["prod-prod-us"]
    assert us.fmt == "imgpkg" and [(u.kind, u.layer) for u in us.units] == [("App", "all")]
    # Every object has its layer, its place in out/ and the source comment genplat wrote before it.
    assert {o.layer for o in eu.objects} == {"platform", "tenants"}
    ns = next(o for o in eu.objects if o.ref.kind == "Namespace" and o.ref.name == "globex-prod")
    assert ns.tenant == "globex" and ns.source and ns.source.startswith("blueprints/tenants/globex.yaml")
    lines = (REPO / ns.file).read_text().splitlines()
    assert lines[ns.line - 1].startswith(("apiVersion", "---", "#"))
    assert all(o.source for o in eu.objects)


def test_sources_resolve_to_blueprint_lines() -> None:
    blueprints = blueprints_from_folder(REPO)
    eu = next(d for d in _deliveries() if d.bundle == "prod-prod-eu")
    for o in eu.objects:
        cause = resolve_source(o.source or "", blueprints)
        assert cause.file.startswith("blueprints/") and cause.line, o.source


def test_template_anchor_lines() -> None:
    text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\nkind: Service\nmetadata:\n  name: "b"\n---\nkind: ConfigMap\nmetadata:\n  name: {{ x }}\n'
    assert template_line(text, "Service/ns/b") == 6
    assert template_line(text, "Service/a") == 2
    assert template_line(text, "ConfigMap/ns/whatever") == 10  # the only ConfigMap, its name templated
    assert template_line(text, "Service/zzz") is None and template_line(text, "Secret/x") is None


FLUX_APPLY = (
    'Service/globex-prod/checkout dry-run failed (Invalid): Service "checkout" is invalid: spec.clusterIPs: '
    'Invalid value: ["10.200.0.10"]: failed to allocate IP\nNamespace/initech-prod dry-run failed (Forbidden): nope\n'
)
FLUX_HEALTH = (
    "health check failed after 5m0s: timeout waiting for: [CompositeResourceDefinition/postgresinstances.platform.acme.example "
    "status: 'InProgress', ValidatingPolicy/genplat-image-tag status: 'InProgress']"
)
KAPP = "kapp: Error: Applying create namespace/globex-prod (v1) cluster:\n  Creating resource namespace/globex-prod (v1): forbidden"


def test_messages_name_the_bundle_objects_they_are_about() -> None:
    eu = next(d for d in _deliveries() if d.bundle == "prod-prod-eu")
    found = _mentions(FLUX_APPLY, eu.objects)
    assert [str(o.ref) for o, _ in found] == ["Namespace/initech-prod"] or [str(o.ref) for o, _ in found][
        -1
    ] == "Namespace/initech-prod"
    parts = dict((str(o.ref), part) for o, part in found)
    assert parts["Namespace/initech-prod"] == "Namespace/initech-prod dry-run failed (Forbidden): nope"
    health = {str(o.ref): part for o, part in _mentions(FLUX_HEALTH, eu.objects)}
    assert health == {
        "CompositeResourceDefinition/postgresinstances.platform.acme.example": "CompositeResourceDefinition/postgresinstances.platform.acme.example status: 'InProgress'",
        "ValidatingPolicy/genplat-image-tag": "ValidatingPolicy/genplat-image-tag status: 'InProgress'",
    }
    # A reference to something that is not in the bundle is not blamed on it.
    assert _mentions("Service/elsewhere/x dry-run failed", eu.objects) == []
    us = next(d for d in _deliveries() if d.bundle == "prod-prod-us")
    # kapp names an object once per level of its error; the last part carries the server's words.
    assert [(str(o.ref), part) for o, part in _mentions(KAPP, us.objects)] == [
        ("Namespace/globex-prod", "namespace/globex-prod (v1): forbidden")
    ]


def test_select_and_contexts() -> None:
    deliveries = _deliveries()
    assert [d.bundle for d in select(deliveries, ["prod-eu"])] == ["prod-prod-eu"]
    assert [d.bundle for d in select(deliveries, ["prod/prod-us", "prod-prod-us"])] == ["prod-prod-us"]
    with pytest.raises(UsageError, match=r"no cluster 'nope'.*dev-dev-eu"):
        select(deliveries, ["nope"])
    config = KubeConfig({"prod-eu": {}, "other": {}}, {}, {}, "other", (Path("k"),))
    # Named after the cluster; the rest mapped explicitly; a bare context for one cluster only.
    assert contexts_for(deliveries, config, ["dev-dev-eu=other", "prod-us=other"]) == {
        "dev-dev-eu": "other",
        "prod-prod-us": "other",
        "prod-prod-eu": "prod-eu",
    }
    with pytest.raises(UsageError, match="no kubeconfig context for dev-dev-eu, prod-prod-us"):
        contexts_for(deliveries, config, [])
    with pytest.raises(UsageError, match="names one context, but 3 clusters"):
        contexts_for(deliveries, config, ["x"])
    one = select(deliveries, ["dev-eu"])
    assert contexts_for(one, config, []) == {"dev-dev-eu": "other"}  # the current context
    assert contexts_for(one, config, ["x"]) == {"dev-dev-eu": "x"}


def _failing_report(count: int) -> StatusReport:
    unit = UnitStatus(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        "b-tenants",
        "flux-system",
        "tenants",
        FAILING,
        "apply failed",
        events=[
            Event(
                "Warning",
                "ReconciliationFailed",
                "Service/ns/x dry-run failed",
                "2026-01-01T00:00:00Z",
                count,
                "sha256:1",
            )
        ],
    )
    cluster = ClusterStatus("b", "prod", "eu", "flux", "sha256:1", "out/_gitops/flux/b.yaml", "ctx", [unit])
    return StatusReport([cluster])


def test_wait_settles_on_a_failure_the_controller_repeated() -> None:
    assert not _settled(_failing_report(1))  # one failure may be a webhook briefly away
    assert _settled(_failing_report(2))
    behind = _failing_report(2)
    behind.clusters[0].units[0].state = BEHIND
    assert not _settled(behind)


def test_report_formats() -> None:
    from genplat.delivery.model import ObjectProblem

    report = _failing_report(2)
    unit = report.clusters[0].units[0]
    unit.objects = [ObjectProblem("Service/ns/x", "Service/ns/x dry-run failed", "blueprints/templates/tenant/x.j2", 2)]
    report.clusters[0].drift = [
        Drift(
            "ResourceQuota/ns/q",
            "globex",
            ("spec.hard.pods",),
            ("kubectl-edit (Update, t)",),
            "blueprints/tenants/globex.yaml",
            9,
        )
    ]
    text = format_text(report)
    assert "b: failing" in text and "✗ Service/ns/x  blueprints/templates/tenant/x.j2:2" in text
    assert "globex:\n      ResourceQuota/ns/q  blueprints/tenants/globex.yaml:9" in text
    assert "0 of 1 cluster(s) converged" in text
    doc = json.loads(format_json(report))
    assert doc["version"] == 1 and doc["converged"] is False and doc["drifted"] is True
    assert doc["clusters"][0]["units"][0]["objects"][0]["line"] == 2
    gh = format_github(report)
    assert "::error file=blueprints/templates/tenant/x.j2,line=2" in gh
    assert "::warning file=blueprints/tenants/globex.yaml,line=9" in gh
    assert [d.rule for d in diagnostics(report)] == ["delivery/failing", "delivery/drift"]
    # Messages from a cluster cannot forge lines or workflow commands.
    unit.objects = [ObjectProblem("Service/ns/x", "bad\n::error file=x::forged", "f", 1)]
    assert "\n::error file=x" not in format_github(report) and "\n::error file=x" not in format_text(report)
