"""Guardrail admission policies: Kyverno ValidatingPolicy (or ClusterPolicy), or native admission."""

from __future__ import annotations

from genplat.policy import RULES

from .conftest import Rendered, with_platform

DEV, PROD_US = "dev/dev-eu", "prod/prod-us"
NAMES = {
    "genplat-container-resources",
    "genplat-image-registry-workload",
    "genplat-image-registry-build",
    "genplat-image-tag",
    "genplat-privileged",
    "genplat-host-namespaces",
    "genplat-pod-labels",
}


def _selector(spec: dict) -> list[dict]:
    return spec["matchConstraints"]["namespaceSelector"]["matchExpressions"]


def test_kyverno_clusters_get_validating_policies_matching_tenant_namespaces(examples: Rendered) -> None:
    policies = {o.name: o.obj for o in examples.find(DEV, "ValidatingPolicy")}
    assert set(policies) == NAMES
    assert not examples.find(DEV, "ClusterPolicy") and not examples.find(DEV, "ValidatingAdmissionPolicy")
    for p in policies.values():
        assert p["apiVersion"] == "policies.kyverno.io/v1"
        assert p["spec"]["validationActions"] == ["Deny"]
        assert p["spec"]["autogen"] == {"podControllers": {"controllers": []}}
        assert _selector(p["spec"])[0] == {"key": "genplat.dev/tenant", "operator": "Exists"}
        assert p["spec"]["validations"][0]["message"].startswith(p["metadata"]["annotations"]["genplat.dev/rule"] + ":")
    # Registry policies differ only by the platform images their namespaces may run.
    assert _selector(policies["genplat-image-registry-build"]["spec"])[1] == {
        "key": "genplat.dev/purpose",
        "operator": "In",
        "values": ["build"],
    }
    assert _selector(policies["genplat-image-registry-workload"]["spec"])[1] == {
        "key": "genplat.dev/purpose",
        "operator": "NotIn",
        "values": ["build"],
    }
    build = policies["genplat-image-registry-build"]["spec"]["validations"][0]["expression"]
    workload = policies["genplat-image-registry-workload"]["spec"]["validations"][0]["expression"]
    assert "kaniko-project/executor" in build and "kaniko-project" not in workload
    assert "serving/cmd/queue" in workload and "serving/cmd/queue" not in build
    # dev-eu has Tekton and Knative: their kinds are matched; pods' ephemeral containers too.
    rules = {
        g: r["resources"]
        for r in policies["genplat-image-tag"]["spec"]["matchConstraints"]["resourceRules"]
        for g in r["apiGroups"]
    }
    assert rules["serving.knative.dev"] == ["services", "configurations", "revisions"]
    assert rules["tekton.dev"] == ["tasks", "pipelines", "stepactions", "taskruns", "pipelineruns"]
    assert "pods/ephemeralcontainers" in rules[""] and rules["triggers.tekton.dev"] == ["eventlisteners"]


def test_only_kinds_the_cluster_has_are_matched(examples: Rendered) -> None:
    prod_eu = examples.one("prod/prod-eu", "ValidatingPolicy", "genplat-image-tag")
    groups = {g for r in prod_eu["spec"]["matchConstraints"]["resourceRules"] for g in r["apiGroups"]}
    assert groups == {"", "apps", "batch", "serving.knative.dev"}  # no tekton on prod-eu


def test_cluster_without_kyverno_gets_native_admission_policies(examples: Rendered) -> None:
    assert not examples.find(PROD_US, "ValidatingPolicy")
    policies = {o.name: o for o in examples.find(PROD_US, "ValidatingAdmissionPolicy")}
    bindings = {o.name: o.obj for o in examples.find(PROD_US, "ValidatingAdmissionPolicyBinding")}
    assert set(policies) == set(bindings) == NAMES
    assert {o.file for o in policies.values()} == {"platform/admission.yaml"}
    for name, b in bindings.items():
        assert b["spec"]["policyName"] == name and b["spec"]["validationActions"] == ["Deny"]
        assert b["spec"]["matchResources"]["namespaceSelector"]["matchExpressions"][0]["key"] == "genplat.dev/tenant"
        # The CEL is the Kyverno policy's, byte for byte.
        kyverno = examples.one("prod/prod-eu", "ValidatingPolicy", name)["spec"]
        assert policies[name].obj["spec"]["validations"] == kyverno["validations"]
        assert policies[name].obj["spec"]["variables"] == kyverno["variables"]
        assert policies[name].obj["spec"]["failurePolicy"] == "Fail"


def test_cluster_policy_for_older_kyverno_carries_the_same_cel(examples: Rendered) -> None:
    policies = dict(examples.platform.policies, kyverno={"policyKind": "ClusterPolicy"})
    old = with_platform(examples, policies=policies)
    assert not old.find(DEV, "ValidatingPolicy")
    for o in old.find(DEV, "ClusterPolicy"):
        (rule,) = o.obj["spec"]["rules"]
        assert o.obj["metadata"]["annotations"]["pod-policies.kyverno.io/autogen-controllers"] == "none"
        assert rule["validate"]["failureAction"] == "Enforce"
        new = examples.one(DEV, "ValidatingPolicy", o.name)["spec"]
        assert rule["validate"]["cel"] == {"variables": new["variables"], "expressions": new["validations"]}
        assert rule["match"]["any"][0]["resources"]["namespaceSelector"] == new["matchConstraints"]["namespaceSelector"]
    kinds = old.one(DEV, "ClusterPolicy", "genplat-image-tag")["spec"]["rules"][0]["match"]["any"][0]["resources"][
        "kinds"
    ]
    assert (
        "Pod/ephemeralcontainers" in kinds
        and "tekton.dev/v1/TaskRun" in kinds
        and "serving.knative.dev/v1/Service" in kinds
    )


def test_switched_off_rules_are_not_rendered(examples: Rendered) -> None:
    policies = dict(
        examples.platform.policies,
        forbidLatest=False,
        guardrails={"disabled": [{"rule": "guardrail/pod-labels", "reason": "labels come from elsewhere"}]},
    )
    names = {o.name for o in with_platform(examples, policies=policies).find(DEV, "ValidatingPolicy")}
    assert names == NAMES - {"genplat-image-tag", "genplat-pod-labels"}
    assert set(RULES) >= {"guardrail/image-tag", "guardrail/pod-labels"}


def test_event_listeners_size_their_sink(examples: Rendered) -> None:
    listeners = examples.find(DEV, "EventListener")
    assert listeners
    for el in listeners:
        template = el.obj["spec"]["resources"]["kubernetesResource"]["spec"]["template"]
        (c,) = template["spec"]["containers"]
        assert set(c["resources"]) == {"requests", "limits"}
        assert set(c["resources"]["requests"]) == set(c["resources"]["limits"]) == {"cpu", "memory"}
