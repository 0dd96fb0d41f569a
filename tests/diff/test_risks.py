"""Risk rules decided from rendered objects alone: admission policies (genplat's, by their rule-input
annotations, and anyone's, by their structure), and the registry a new rule is added to."""

from __future__ import annotations

import copy
import typing as t
from pathlib import Path

import pytest

from genplat.diff import RULES
from genplat.diff._model import ObjectDiff
from genplat.diff._risk import REGISTRY, RuleContext, rule
from genplat.policy import ALLOWED_REGISTRIES, PLATFORM_IMAGES, REQUIRED_LABELS

from .test_engine import obj, rules, run

VAP = "admissionregistration.k8s.io/v1"


def registry_policy(registries: str, images: str = "knative-queue-proxy", kind: str = "ValidatingPolicy") -> t.Any:
    api = "policies.kyverno.io/v1" if kind == "ValidatingPolicy" else VAP
    p = obj(
        kind,
        "genplat-image-registry",
        api=api,
        ns=None,
        spec={
            "validationActions": ["Deny"],
            "matchConstraints": {"resourceRules": [{"apiGroups": [""], "resources": ["pods"]}]},
            "validations": [{"expression": f"variables.images.all(g, g.all(e, {registries!r}))", "message": "m"}],
        },
    )
    p["metadata"]["annotations"] = {
        "genplat.dev/rule": "guardrail/image-registry",
        ALLOWED_REGISTRIES: registries,
        PLATFORM_IMAGES: images,
    }
    return p


@pytest.mark.parametrize("kind", ["ValidatingPolicy", "ValidatingAdmissionPolicy"])
def test_allowlist_widened_from_the_policys_annotations(kind: str) -> None:
    base = registry_policy("ghcr.io/acme, registry.acme.example", kind=kind)
    assert rules(run([base], [registry_policy("docker.io, ghcr.io/acme, registry.acme.example", kind=kind)])) == [
        ("allowlist-widened", "allows images from docker.io too: tenants may pull images from there")
    ]
    # A registry under an allowed one, or one fewer, allows nothing new.
    assert rules(run([base], [registry_policy("ghcr.io/acme/tools, registry.acme.example", kind=kind)])) == []
    assert rules(run([base], [registry_policy("ghcr.io/acme", kind=kind)])) == []
    assert rules(run([base], [registry_policy("ghcr.io/acme, registry.acme.example", "git-clone, kaniko", kind)])) == [
        (
            "allowlist-widened",
            "allows platform images git-clone, kaniko too, in the containers declared for them",
        )
    ]
    assert rules(run([base], [])) == [
        (
            "allowlist-widened",
            "deleted; images may come from any registry: the allowlist it enforced no longer applies",
        )
    ]


def test_policies_without_the_annotations_are_not_judged_by_their_cel() -> None:
    """An older output (no input annotations) against a newer one: no guess from the CEL text."""
    old = registry_policy("ghcr.io/acme")
    del old["metadata"]["annotations"][ALLOWED_REGISTRIES], old["metadata"]["annotations"][PLATFORM_IMAGES]
    result = run([old], [registry_policy("docker.io, ghcr.io/acme")])
    assert rules(result) == [] and result.objects[0].status == "changed"


def labels_policy(labels: str) -> t.Any:
    p = obj(
        "ValidatingPolicy",
        "genplat-pod-labels",
        api="policies.kyverno.io/v1",
        ns=None,
        spec={"validationActions": ["Deny"], "validations": [{"expression": "true"}]},
    )
    p["metadata"]["annotations"] = {"genplat.dev/rule": "guardrail/pod-labels", REQUIRED_LABELS: labels}
    return p


def test_required_label_dropped_and_genplat_policy_deleted() -> None:
    assert rules(run([labels_policy("app.kubernetes.io/name, team")], [labels_policy("app.kubernetes.io/name")])) == [
        ("guardrail-disabled", "pods no longer need the label team")
    ]
    assert rules(run([labels_policy("a")], [labels_policy("a, b")])) == []
    assert rules(run([labels_policy("a")], [])) == [
        ("guardrail-disabled", "deleted (Required pod labels); the rule it enforced no longer applies")
    ]


def vap(**spec: t.Any) -> t.Any:
    base = {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {"apiGroups": [""], "resources": ["pods"]},
                {"apiGroups": ["apps"], "resources": ["deployments"]},
            ]
        },
        "validations": [{"expression": "a"}, {"expression": "b"}],
    }
    return obj("ValidatingAdmissionPolicy", "no-host-path", api=VAP, ns=None, spec={**base, **spec})


def test_any_admission_policy_loosened_by_its_structure() -> None:
    assert rules(run([vap()], [vap(failurePolicy="Ignore")])) == [
        (
            "guardrail-disabled",
            "fails open: failurePolicy Fail → Ignore: requests are admitted when the policy cannot run",
        )
    ]
    assert rules(run([vap()], [vap(validations=[{"expression": "a"}])])) == [
        ("guardrail-disabled", "1 validation removed")
    ]
    narrower = vap(matchConstraints={"resourceRules": [{"apiGroups": [""], "resources": ["pods"]}]})
    assert rules(run([vap()], [narrower])) == [("guardrail-disabled", "no longer matches deployments.apps")]
    # Tighter: more validations, more resources, failing closed.
    assert (
        rules(run([narrower], [vap(validations=[{"expression": "a"}, {"expression": "b"}, {"expression": "c"}])])) == []
    )
    assert rules(run([vap(failurePolicy="Ignore")], [vap()])) == []
    binding = lambda *actions: obj(
        "ValidatingAdmissionPolicyBinding",
        "no-host-path",
        api=VAP,
        ns=None,
        spec={"policyName": "no-host-path", "validationActions": list(actions)},
    )
    assert rules(run([binding("Deny")], [binding("Warn", "Audit")])) == [
        ("guardrail-disabled", "no longer denies: validationActions [Deny] → [Warn, Audit]: violations are admitted")
    ]
    assert rules(run([binding("Deny")], [])) == [
        ("guardrail-disabled", "deleted; the policy it applies (no-host-path) is no longer enforced")
    ]


def cluster_policy(action: str = "Enforce", kinds: tuple[str, ...] = ("Pod", "Deployment"), **extra: t.Any) -> t.Any:
    rules_ = [
        {
            "name": "check",
            "match": {"any": [{"resources": {"kinds": list(kinds)}}]},
            "validate": {"failureAction": action, "cel": {"expressions": [{"expression": "x"}]}},
        },
        *extra.get("more", []),
    ]
    return obj("ClusterPolicy", "restrict", api="kyverno.io/v1", ns=None, spec={"rules": rules_})


def test_kyverno_cluster_policy_loosened() -> None:
    assert rules(run([cluster_policy()], [cluster_policy("Audit")])) == [
        ("guardrail-disabled", "rule check no longer enforced (Audit only): violations are reported, not refused")
    ]
    assert rules(run([cluster_policy()], [cluster_policy(kinds=("Pod",))])) == [
        ("guardrail-disabled", "rule check no longer matches Deployment")
    ]
    two = cluster_policy(more=[{"name": "other", "validate": {"failureAction": "Enforce"}}])
    assert rules(run([two], [cluster_policy()])) == [("guardrail-disabled", "rule other removed")]
    assert rules(run([cluster_policy("Audit")], [cluster_policy()])) == []


def test_rule_titles_and_order() -> None:
    assert list(RULES)[:6] == [
        "kept-on-removal",
        "namespace-removed",
        "crd-removed",
        "protected-removed",
        "default-deny-removed",
        "object-deleted",
    ]
    assert "quota-changed" in RULES and "quota-raised" not in RULES
    assert all(r.doc for r in REGISTRY.values())  # each rule says what it flags (docs/diff.md lists them)


def test_a_new_rule_is_one_function() -> None:
    """A rule registered in one place runs on every object change, deletions included."""

    @rule("test-configmap-touched", "ConfigMap touched")
    def touched(d: ObjectDiff, ctx: RuleContext) -> list[str]:
        """Any ConfigMap change."""
        return [f"{d.status}"] if d.key.kind == "ConfigMap" else []

    try:
        before = obj("ConfigMap", "c", data={"a": "1"})
        after = copy.deepcopy(before)
        after["data"]["a"] = "2"
        assert rules(run([before], [after])) == [("test-configmap-touched", "changed")]
        assert ("test-configmap-touched", "removed") in rules(run([before], []))
    finally:
        del REGISTRY["test-configmap-touched"]


def test_docs_list_every_rule_in_order() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "diff.md").read_text(encoding="utf-8")
    table = doc[doc.index("## Risk flags") : doc.index("**Rule inputs on rendered policies.**")]
    listed = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert listed == list(RULES)


def netpol(name: str, **spec: t.Any) -> t.Any:
    return obj("NetworkPolicy", name, api="networking.k8s.io/v1", spec={"podSelector": {}, **spec})


DENY = netpol("default-deny", policyTypes=["Ingress", "Egress"])
DNS = netpol("allow-dns", policyTypes=["Egress"], egress=[{"to": [{"namespaceSelector": {}}]}])
SAME = netpol("allow-same-namespace", policyTypes=["Ingress"], ingress=[{"from": [{"podSelector": {}}]}])


def test_network_isolation_turned_off_is_one_flag_per_namespace() -> None:
    """defaultDenyNetwork: false removes the allow policies too: the default-deny flag covers them."""
    assert rules(run([DENY, DNS, SAME], [])) == [
        (
            "default-deny-removed",
            "deleted, and the namespace's other NetworkPolicies with it; pods no remaining policy selects "
            "accept and send any traffic",
        )
    ]
    assert rules(run([DENY, DNS, SAME], [DNS, SAME])) == [
        ("default-deny-removed", "deleted; traffic the other policies do not allow is no longer denied")
    ]
    # An allow policy removed on its own is still flagged as such.
    assert [r for r, _ in rules(run([DENY, DNS, SAME], [DENY, SAME]))] == ["object-deleted", "network-policy-loosened"]
