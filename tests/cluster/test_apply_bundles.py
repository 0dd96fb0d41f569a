"""Every example bundle applies to the real API server as the controllers would apply it.

out/<env>/<cluster> through ``kubectl kustomize``, server-side with strict field validation, CRDs and
Namespaces first (kustomize-controller's order), composite-resource CRDs from the XRDs first (stand-in
for Crossplane, see bundles.py); zero refusals, zero warnings, and a second apply changes nothing
(``kubectl diff --server-side``'s comparison). The GitOps wiring (out/_gitops) applies against the Flux
and kapp-controller CRDs in those controllers' namespaces.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from tests.control_plane import ApplyFailed, load_yaml

from .bundles import KNOWN_WARNINGS, apply_bundle, kustomize

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "out"
BUNDLES = sorted(
    p.parent.relative_to(OUT).as_posix()
    for p in OUT.glob("*/*/kustomization.yaml")
    if not p.parent.parent.name.startswith("_")
)
SEEN: set[tuple[str, str]] = set()


def test_there_are_bundles() -> None:
    assert BUNDLES == ["dev/dev-eu", "prod/prod-eu", "prod/prod-us"]


@pytest.mark.parametrize("bundle", BUNDLES)
def test_bundle_applies(control_plane: t.Any, bundle: str) -> None:
    docs = kustomize(OUT / bundle)
    kinds = {d["kind"] for d in docs}
    # The add-ons layer's install objects live in the delivery's namespace, which bootstrapping it creates.
    control_plane.apply(
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
            for ns in ("flux-system", "kapp-controller")
        ]
    )
    assert {"Namespace", "ResourceQuota", "RoleBinding", "NetworkPolicy"} <= kinds
    applied = apply_bundle(control_plane, docs, seen=SEEN)
    assert len(applied) == len(docs)
    # The server stored what was sent: every object is there, and composite resources were accepted.
    for r in applied:
        assert r.obj is not None and r.obj["metadata"]["uid"], r.key
    if bundle != "prod/prod-us":  # the clusters with crossplane carry tenants' composite resources
        xrs = [d for d in docs if d["apiVersion"].startswith("platform.acme.example/")]
        assert xrs, "the XRDs' composite resources were not in the bundle"
        for xr in xrs:
            assert (
                control_plane.get(xr["apiVersion"], xr["kind"], xr["metadata"]["name"], xr["metadata"].get("namespace"))
                is not None
            )


def test_known_warnings_still_occur(control_plane: t.Any) -> None:
    """Tripwire: an allowance in KNOWN_WARNINGS whose warning is gone must be removed."""
    if not SEEN:
        for bundle in BUNDLES:
            apply_bundle(control_plane, kustomize(OUT / bundle), seen=SEEN)
    assert set(KNOWN_WARNINGS) == SEEN, f"remove the allowances no longer seen: {set(KNOWN_WARNINGS) - SEEN}"


def test_gitops_wiring_applies(control_plane: t.Any) -> None:
    docs = [d for f in sorted((OUT / "_gitops").rglob("*.yaml")) for d in load_yaml(f.read_text("utf-8"))]
    namespaces = sorted({d["metadata"]["namespace"] for d in docs if "namespace" in d["metadata"]})
    assert namespaces == ["flux-system", "kapp-controller"]
    # The controllers' own installs create these namespaces; the wiring lives in them.
    control_plane.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in namespaces])
    applied = control_plane.apply(docs)
    # Flux: the source and a Kustomization per layer; kapp: the App and its deployer's account and RBAC.
    assert {r.sent["kind"] for r in applied} == {
        "OCIRepository",
        "Kustomization",
        "App",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
    }
    control_plane.apply(docs)
    assert control_plane.diff(docs) == []


def test_a_broken_bundle_fails(control_plane: t.Any) -> None:
    """The bundle assertions can fail: one example object with a field the schema does not declare."""
    docs = kustomize(OUT / BUNDLES[0])
    quota = next(d for d in docs if d["kind"] == "ResourceQuota")
    quota = {**quota, "spec": {**quota["spec"], "hardd": {"pods": "1"}}}
    with pytest.raises(ApplyFailed, match=r"\.spec\.hardd: field not declared in schema"):
        apply_bundle(control_plane, [quota])
