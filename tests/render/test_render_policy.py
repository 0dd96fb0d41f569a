"""Kyverno ClusterPolicies from the platform's policy baseline."""

from __future__ import annotations

from .conftest import Rendered

DEV = "dev/dev-eu"


def _selector(rule: dict) -> list[dict]:
    return rule["match"]["any"][0]["resources"]["namespaceSelector"]["matchExpressions"]


def test_policies_match_tenant_pods_and_registries_spare_build_namespaces(examples: Rendered) -> None:
    names = {o.name for o in examples.find(DEV, "ClusterPolicy")}
    assert names == {"genplat-require-requests-limits", "genplat-allowed-registries", "genplat-disallow-latest-tag",
                     "genplat-disallow-privileged", "genplat-require-labels"}
    registries = examples.one(DEV, "ClusterPolicy", "genplat-allowed-registries")
    for rule in registries["spec"]["rules"]:
        assert rule["validate"]["failureAction"] == "Enforce"
        assert _selector(rule) == [{"key": "genplat.dev/tenant", "operator": "Exists"},
                                   {"key": "genplat.dev/purpose", "operator": "NotIn", "values": ["build"]}]
    pattern = registries["spec"]["rules"][0]["validate"]["pattern"]
    assert pattern == {"spec": {"=(containers)": [{"image": "ghcr.io/acme/* | registry.acme.example/*"}]}}
    (labels,) = examples.one(DEV, "ClusterPolicy", "genplat-require-labels")["spec"]["rules"]
    assert _selector(labels)[-1] == {"key": "genplat.dev/purpose", "operator": "NotIn", "values": ["build"]}
    privileged = examples.one(DEV, "ClusterPolicy", "genplat-disallow-privileged")
    for rule in privileged["spec"]["rules"]:  # every other rule covers build namespaces too
        assert _selector(rule) == [{"key": "genplat.dev/tenant", "operator": "Exists"}]
    # Clusters without Kyverno get none.
    assert not [o for b in examples.objects for o in examples.find(b, "ClusterPolicy")
                if "kyverno" not in next(c for c in examples.platform.clusters if c.bundle == b).capabilities]
