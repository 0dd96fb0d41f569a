"""The workloads a real tenant runs, applied to the real control plane: every bundle of the examples, one
after the other (server-side apply, strict field validation, Pod Security admission warnings count).

Covers what issue 17 added: initech's Deployment worker (Deployment, Service, HorizontalPodAutoscaler,
PodDisruptionBudget) reading its database's connection Secret, the Crossplane v2 composition that
writes that Secret, the Maven pipeline and the build namespace sized by its template, the tenant's
push ExternalSecret, and the exposed EventListener's Ingress and Certificate.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from genplat.rendering import crossplane
from tests.control_plane import controller_order

pytestmark = pytest.mark.cluster

OUT = Path(__file__).resolve().parents[2] / "out"
BUNDLES = ("prod/prod-us", "prod/prod-eu", "dev/dev-eu")  # dev last: the assertions below read it


def _bundle_docs(bundle: str) -> list[dict[str, t.Any]]:
    """What the controllers apply: the bundle's kustomization (kapp bundles also hold kbld's and kapp's
    own Config files beside it, which are read by those tools, not applied)."""
    from .bundles import kustomize

    return kustomize(OUT / bundle)


@pytest.fixture(scope="module")
def applied(control_plane: t.Any) -> list[dict[str, t.Any]]:
    for bundle in BUNDLES:
        docs = _bundle_docs(bundle)
        # Crossplane serves a CRD for each XRD's composite kind; no Crossplane runs here, so install genplat's.
        xrds = [d for d in docs if d["kind"] == "CompositeResourceDefinition"]
        control_plane.install_crds([crossplane.composite_crd(x) for x in xrds])
        results = control_plane.apply(controller_order(docs), check=False)
        assert [(bundle, r.key, r.error) for r in results if r.error] == []
        # kyverno.io/v1 ClusterPolicy itself is deprecated by Kyverno 1.19 (the policy renderer's concern, not
        # these workloads'): every other object must pass without a warning.
        warned = [(bundle, r.key, r.warnings) for r in results if r.warnings and r.sent.get("kind") != "ClusterPolicy"]
        assert warned == []
    return docs  # the dev bundle


def test_dev_bundle_applies_with_zero_rejections(applied: list[dict[str, t.Any]], control_plane: t.Any) -> None:
    kinds = {d["kind"] for d in applied}
    assert {
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Ingress",
        "Certificate",
        "Pipeline",
        "PostgresInstance",
        "Composition",
    } <= kinds
    for doc in applied:
        meta = doc["metadata"]
        assert control_plane.get(doc["apiVersion"], doc["kind"], meta["name"], meta.get("namespace")) is not None, meta


def test_the_server_stored_the_worker_as_rendered(applied: list[dict[str, t.Any]], control_plane: t.Any) -> None:
    dep = control_plane.get("apps/v1", "Deployment", "report-worker", "initech-dev")
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in c["env"]}
    assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "reports-db-connection", "key": "password"}
    hpa = control_plane.get("autoscaling/v2", "HorizontalPodAutoscaler", "report-worker", "initech-dev")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    svc = control_plane.get("v1", "Service", "report-worker", "initech-dev")
    assert svc["spec"]["clusterIP"]  # allocated by the server
    quota = control_plane.get("v1", "ResourceQuota", "tenant-quota", "initech-dev-build")
    assert quota["spec"]["hard"]["limits.cpu"] == "8"
    comp = control_plane.get("apiextensions.crossplane.io/v1", "Composition", "postgres-gke")
    assert comp["spec"]["pipeline"][0]["input"]["writeConnectionSecretToRef"]["patches"][0]["toFieldPath"] == "name"
    # A Deployment whose pods would break the namespace's restricted Pod Security is warned about, and
    # the fixture turns a warning into a failure: the same object without its security context proves it.
    loose = {k: v for k, v in dep.items() if k in ("apiVersion", "kind")}
    loose["metadata"] = {"name": "loose-worker", "namespace": "initech-dev"}
    spec = {
        "selector": dep["spec"]["selector"],
        "template": {
            "metadata": {"labels": dep["spec"]["template"]["metadata"]["labels"]},
            "spec": {"containers": [{"name": "w", "image": c["image"]}]},
        },
    }
    loose["spec"] = spec
    (result,) = control_plane.apply([loose], check=False, dry_run=True)
    assert any("restricted" in w for w in result.warnings), result.warnings
