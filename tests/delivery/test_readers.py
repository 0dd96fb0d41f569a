"""Each delivery kind's reader: converged, behind or failing against the digest the lock pins.

The objects here have the shape the controllers write (conditions, observedGeneration, revisions, as
seen from source-, kustomize- and helm-controller v1.7.3/v1.4.3 on the test control plane and kapp-
controller's documented App status); the real controllers exercise the same readers in
tests/cluster/test_flux_controllers.py.
"""

from __future__ import annotations

import typing as t

import pytest

from genplat.delivery.model import BEHIND, CONVERGED, FAILING
from genplat.delivery.readers import helm_release, kapp_app, kustomization, oci_repository, short

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def _obj(
    kind: str,
    *,
    generation: int = 2,
    observed: int | None = 2,
    conditions: list[dict[str, t.Any]] = (),
    **status: t.Any,
) -> dict[str, t.Any]:  # type: ignore[assignment]
    st: dict[str, t.Any] = {"conditions": list(conditions), **status}
    if observed is not None:
        st["observedGeneration"] = observed
    return {"kind": kind, "metadata": {"name": "x", "generation": generation}, "spec": {}, "status": st}


def _c(kind: str, status: str, reason: str = "", message: str = "", generation: int = 2) -> dict[str, t.Any]:
    return {"type": kind, "status": status, "reason": reason, "message": message, "observedGeneration": generation}


def test_kustomization_converged_only_at_the_pinned_revision() -> None:
    ok = _obj("Kustomization", conditions=[_c("Ready", "True", "ReconciliationSucceeded")], lastAppliedRevision=D1)
    assert kustomization(ok, D1).state == CONVERGED
    behind = kustomization(ok, D2)
    assert behind.state == BEHIND and "not yet at the pushed" in behind.summary and short(D2) in behind.summary


def test_kustomization_failing_waiting_and_working() -> None:
    failed = _obj(
        "Kustomization", conditions=[_c("Ready", "False", "ReconciliationFailed", "Service/ns/x dry-run failed")]
    )
    r = kustomization(failed, D1)
    assert r.state == FAILING and "dry-run failed" in r.summary and r.reason == "ReconciliationFailed"
    waiting = _obj(
        "Kustomization", conditions=[_c("Ready", "False", "DependencyNotReady", "dependency 'a/b' is not ready")]
    )
    assert kustomization(waiting, D1).state == BEHIND and kustomization(waiting, D1).summary.startswith("waiting")
    # Flux sets status.observedGeneration only when an attempt ends; the conditions say it is at work.
    working = _obj(
        "Kustomization",
        observed=-1,
        conditions=[
            _c("Reconciling", "True", "Progressing", "Running health checks"),
            _c("Ready", "Unknown", "Progressing"),
        ],
    )
    r = kustomization(working, D1)
    assert r.state == BEHIND and r.summary == "working: Running health checks"
    stalled = _obj("Kustomization", conditions=[_c("Stalled", "True", "BuildFailed", "kustomize build failed")])
    assert kustomization(stalled, D1).state == FAILING


def test_not_picked_up_and_suspended() -> None:
    unseen = _obj("Kustomization", generation=3, conditions=[_c("Ready", "True", generation=2)])
    assert "not picked up yet" in kustomization(unseen, D1).summary
    suspended = _obj("Kustomization", conditions=[_c("Ready", "True")], lastAppliedRevision=D1)
    suspended["spec"]["suspend"] = True
    assert "suspended" in kustomization(suspended, D1).summary


def test_oci_repository_wiring_not_applied_yet() -> None:
    repo = _obj("OCIRepository", conditions=[_c("Ready", "True")], artifact={"revision": D1})
    repo["spec"]["ref"] = {"digest": D1}
    assert oci_repository(repo, D1).state == CONVERGED
    r = oci_repository(repo, D2)
    assert r.state == BEHIND and "the cluster's wiring pins" in r.summary


def test_helm_release() -> None:
    ok = _obj(
        "HelmRelease",
        conditions=[_c("Ready", "True", "InstallSucceeded")],
        history=[{"chartName": "probe", "chartVersion": "0.1.0"}],
    )
    assert helm_release(ok, None).state == CONVERGED and helm_release(ok, None).applied == "probe@0.1.0"
    # helm-controller keeps helm's own error in Released; Ready and Stalled only count the attempts.
    failed = _obj(
        "HelmRelease",
        conditions=[
            _c("Stalled", "True", "RetriesExceeded", "Failed to install after 1 attempt(s)"),
            _c("Ready", "False", "InstallFailed", "Failed to install after 1 attempt(s)"),
            _c("Released", "False", "InstallFailed", 'Helm install failed: Service "probe" is invalid'),
        ],
    )
    r = helm_release(failed, None)
    assert r.state == FAILING and r.summary == "stalled: Failed to install after 1 attempt(s)"
    assert (
        r.message == 'Failed to install after 1 attempt(s)\nReleased: Helm install failed: Service "probe" is invalid'
    )


@pytest.mark.parametrize(
    "conditions,status,state",
    [
        ([_c("ReconcileSucceeded", "True")], {}, CONVERGED),
        (
            [_c("ReconcileFailed", "True", message="Deploying: Error")],
            {"usefulErrorMessage": "kapp: Error: boom"},
            FAILING,
        ),
        ([_c("Reconciling", "True")], {"friendlyDescription": "Reconciling"}, BEHIND),
    ],
)
def test_kapp_app(conditions: list[dict[str, t.Any]], status: dict[str, t.Any], state: str) -> None:
    app = _obj("App", conditions=conditions, **status)
    app["spec"]["fetch"] = [{"imgpkgBundle": {"image": f"r.example/p/b@{D1}"}}]
    assert kapp_app(app, D1).state == state
    if state == FAILING:
        assert kapp_app(app, D1).message == "kapp: Error: boom"
    assert kapp_app(app, D2).state == BEHIND  # the cluster's App fetches another digest
