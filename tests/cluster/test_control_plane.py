"""The control-plane fixture itself: a real, authenticated, authorizing API that refuses and warns.

These prove the assertions of the other cluster tests can fail: a refused object raises ``ApplyFailed``, a
warning raises too, and ``diff`` sees a change.
"""

from __future__ import annotations

import typing as t

import pytest
import requests

from tests.control_plane import ApplyFailed

pytestmark = pytest.mark.cluster

NS = "cp-selftest"


def _ns(name: str, labels: dict[str, str] | None = None) -> dict[str, t.Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def test_pinned_server_with_crds(control_plane: t.Any) -> None:
    assert control_plane.version["gitVersion"] == "v1.35.4"
    crds = control_plane.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions").json()["items"]
    names = {c["metadata"]["name"] for c in crds}
    assert {
        "compositeresourcedefinitions.apiextensions.crossplane.io",
        "services.serving.knative.dev",
        "tasks.tekton.dev",
        "kustomizations.kustomize.toolkit.fluxcd.io",
        "apps.kappctrl.k14s.io",
    } <= names
    assert len(crds) >= 100
    for crd in crds:
        established = [c["status"] for c in crd["status"]["conditions"] if c["type"] == "Established"]
        assert established == ["True"], crd["metadata"]["name"]


def test_authentication_and_rbac_are_on(control_plane: t.Any) -> None:
    anonymous = requests.get(control_plane.url + "/api/v1/namespaces", verify=str(control_plane.ca_file), timeout=10)
    assert anonymous.status_code in (401, 403)
    # A ServiceAccount without bindings is refused by RBAC (impersonated by the admin).
    r = control_plane.request(
        "GET", "/api/v1/namespaces", headers={"Impersonate-User": "system:serviceaccount:default:nobody"}
    )
    assert r.status_code == 403, r.text


def test_applied_objects_are_stored(control_plane: t.Any) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stored", "namespace": NS}, "data": {"a": "1"}}
    control_plane.apply([_ns(NS), cm])
    live = control_plane.get("v1", "ConfigMap", "stored", NS)
    assert live is not None and live["data"] == {"a": "1"}
    assert control_plane.diff([cm]) == []
    changed = dict(cm, data={"a": "2"})
    assert control_plane.diff([changed]) == [("v1 ConfigMap cp-selftest/stored", [".data.a"])]
    assert control_plane.delete("v1", "ConfigMap", "stored", NS)
    assert control_plane.get("v1", "ConfigMap", "stored", NS) is None


def test_a_broken_manifest_is_refused(control_plane: t.Any) -> None:
    broken = [
        _ns(NS),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "typo", "namespace": NS}, "dta": {"a": "1"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name", "namespace": NS}},
        {"apiVersion": "example.com/v1", "kind": "Nothing", "metadata": {"name": "x"}},
    ]
    with pytest.raises(ApplyFailed) as info:
        control_plane.apply(broken)
    refused = {r.key: r.error for r in info.value.results if r.error}
    assert set(refused) == {
        "v1 ConfigMap cp-selftest/typo",
        "v1 ConfigMap cp-selftest/Bad_Name",
        "example.com/v1 Nothing x",
    }
    assert ".dta: field not declared in schema" in refused["v1 ConfigMap cp-selftest/typo"]
    assert control_plane.get("v1", "ConfigMap", "typo", NS) is None


def test_a_warning_fails_the_apply(control_plane: t.Any) -> None:
    ns = _ns("cp-selftest-warn", {"pod-security.kubernetes.io/warn": "restricted"})
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "loose", "namespace": "cp-selftest-warn"},
        "spec": {"containers": [{"name": "c", "image": "registry.example/app:1"}]},
    }
    control_plane.apply([ns])
    control_plane.apply(
        [
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": "cp-selftest-warn"},
            }
        ]
    )
    with pytest.raises(ApplyFailed) as info:
        control_plane.apply([pod], dry_run=True)
    (result,) = info.value.results
    assert result.error is None
    assert any('violate PodSecurity "restricted:latest"' in w for w in result.warnings), result.warnings
    assert control_plane.get("v1", "Pod", "loose", "cp-selftest-warn") is None  # dry run stored nothing


def test_known_crd_warnings_still_occur(control_plane: t.Any) -> None:
    """Tripwire for conftest.KNOWN_CRD_WARNINGS: each allowance matched a warning its CRD drew when the
    fixture installed the pinned CRDs, and nothing else warned."""
    from tests.conftest import KNOWN_CRD_WARNINGS

    warned = control_plane.crd_warnings
    assert set(warned) == set(KNOWN_CRD_WARNINGS), warned
    for name, start in KNOWN_CRD_WARNINGS.items():
        assert warned[name] and all(w.startswith(start) for w in warned[name]), warned[name]
