"""Every guardrail rule with one violating and one clean case, plus disabling and scoping."""

from __future__ import annotations

import copy
import typing as t

import pytest

from genplat import Severity
from genplat.checks import GUARDRAIL_RULES, Checker, GuardrailContext
from genplat.checks.guardrails import run_guardrails

from .conftest import rendered

NS = "payments-dev"
CTX = GuardrailContext(
    allowed_registries=("ghcr.io/acme", "registry.acme.io"),
    pod_security={"enforce": "restricted", "warn": "baseline"},
    tenant_namespaces={"payments": {NS}},
    required_labels=("app.kubernetes.io/name",),
)


def namespace(labels: dict[str, str] | None = None) -> dict[str, t.Any]:
    default = {"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted"}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": NS, "labels": default if labels is None else labels},
    }


def quota() -> dict[str, t.Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q", "namespace": NS},
        "spec": {"hard": {"pods": "10"}},
    }


def limits() -> dict[str, t.Any]:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "l", "namespace": NS},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]},
    }


def deny(**spec: t.Any) -> dict[str, t.Any]:
    base = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    base.update(spec)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": NS},
        "spec": base,
    }


def deployment(
    container: dict[str, t.Any] | None = None, pod: dict[str, t.Any] | None = None, labels: dict[str, str] | None = None
) -> dict[str, t.Any]:
    c = {
        "name": "api",
        "image": "ghcr.io/acme/api:1.2.3",
        "securityContext": {"runAsNonRoot": True},
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
    }
    c.update(container or {})
    spec: dict[str, t.Any] = {"containers": [c]}
    spec.update(pod or {})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": NS},
        "spec": {
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "api"} if labels is None else labels},
                "spec": spec,
            },
        },
    }


def binding(role_kind: str, role: str, kind: str = "RoleBinding") -> dict[str, t.Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": "b", "namespace": NS},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": [{"kind": "Group", "name": "payments", "apiGroup": "rbac.authorization.k8s.io"}],
    }


def role(verbs: list[str], resources: list[str]) -> dict[str, t.Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "dev", "namespace": NS},
        "rules": [{"apiGroups": [""], "resources": resources, "verbs": verbs}],
    }


def clean_tenant() -> list[dict[str, t.Any]]:
    return [
        namespace(),
        quota(),
        limits(),
        deny(egress=[{"ports": [{"port": 53, "protocol": "UDP"}]}]),
        deployment(),
        role(["get", "list"], ["pods"]),
        binding("Role", "dev"),
    ]


def findings(objects: list[dict[str, t.Any]], ctx: GuardrailContext | None = CTX) -> list[tuple[str, str, str]]:
    ros = [rendered(o, tenant="payments") for o in objects]
    return [
        (rule, f.message, ".".join(map(str, f.path)))
        for rule, sev, f in run_guardrails(ros, ctx)
        if sev is Severity.ERROR
    ]


def swap(objects: list[dict[str, t.Any]], kind: str, new: dict[str, t.Any] | None) -> list[dict[str, t.Any]]:
    out = [o for o in objects if o["kind"] != kind]
    return out + ([new] if new is not None else [])


def test_clean_tenant_passes_every_rule() -> None:
    assert findings(clean_tenant()) == []


VIOLATIONS: dict[str, t.Callable[[], list[dict[str, t.Any]]]] = {
    "guardrail/namespace-quota": lambda: swap(clean_tenant(), "ResourceQuota", None),
    "guardrail/namespace-limitrange": lambda: swap(clean_tenant(), "LimitRange", None),
    "guardrail/namespace-default-deny": lambda: swap(clean_tenant(), "NetworkPolicy", deny(policyTypes=["Ingress"])),
    "guardrail/namespace-pod-security": lambda: swap(
        clean_tenant(), "Namespace", namespace({"pod-security.kubernetes.io/enforce": "baseline"})
    ),
    "guardrail/pod-labels": lambda: swap(clean_tenant(), "Deployment", deployment(labels={"app": "api"})),
    "guardrail/rbac-cluster-admin": lambda: swap(
        clean_tenant(), "RoleBinding", binding("ClusterRole", "cluster-admin")
    ),
    "guardrail/rbac-wildcard": lambda: swap(clean_tenant(), "Role", role(["*"], ["pods"])),
    "guardrail/privileged": lambda: swap(
        clean_tenant(), "Deployment", deployment({"securityContext": {"privileged": True}})
    ),
    "guardrail/host-namespaces": lambda: swap(clean_tenant(), "Deployment", deployment(pod={"hostPID": True})),
    "guardrail/root-user": lambda: swap(
        clean_tenant(), "Deployment", deployment({"securityContext": {"runAsUser": 0}})
    ),
    "guardrail/image-registry": lambda: swap(
        clean_tenant(), "Deployment", deployment({"image": "docker.io/evil/miner:1.0"})
    ),
    "guardrail/image-tag": lambda: swap(clean_tenant(), "Deployment", deployment({"image": "ghcr.io/acme/api:latest"})),
    "guardrail/container-resources": lambda: swap(
        clean_tenant(), "Deployment", deployment({"resources": {"requests": {"cpu": "1"}}})
    ),
    "guardrail/secret-data": lambda: (
        clean_tenant()
        + [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "s", "namespace": NS},
                "stringData": {"password": "hunter2"},
            }
        ]
    ),
    "guardrail/tenant-namespace": lambda: (
        clean_tenant()
        + [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "kube-system"}}]
    ),
}


def test_every_rule_has_a_violation_case() -> None:
    assert set(VIOLATIONS) == set(GUARDRAIL_RULES)


@pytest.mark.parametrize("rule", sorted(VIOLATIONS))
def test_violation_is_reported_by_its_rule_only(rule: str) -> None:
    got = findings(VIOLATIONS[rule]())
    assert got, f"{rule} found nothing"
    assert {r for r, _m, _p in got} == {rule}, got


@pytest.mark.parametrize(
    "policy,ok",
    [
        (deny(), True),
        (deny(ingress=[{"from": [{"podSelector": {}}]}]), True),
        (deny(egress=[{}]), False),
        (deny(ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]), False),
        (deny(egress=[{"to": [{"namespaceSelector": {}}]}]), False),
        (deny(podSelector={"matchLabels": {"app": "x"}}), False),
    ],
)
def test_default_deny_shape(policy: dict[str, t.Any], ok: bool) -> None:
    got = findings(swap(clean_tenant(), "NetworkPolicy", policy))
    assert (got == []) is ok, got


def test_wildcard_binding_to_a_platform_cluster_role() -> None:
    platform_role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "god"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}],
    }
    ros = [rendered(o, tenant="payments") for o in swap(clean_tenant(), "RoleBinding", binding("ClusterRole", "god"))]
    ros.append(rendered(platform_role))  # a platform object: the role itself is the platform's business
    got = [(r, f.obj.kind if f.obj else None) for r, s, f in run_guardrails(ros, CTX) if s is Severity.ERROR]
    assert got == [("guardrail/rbac-wildcard", "RoleBinding")]


def test_root_from_pod_security_context_and_container_override() -> None:
    assert findings(
        swap(
            clean_tenant(), "Deployment", deployment({"securityContext": {}}, pod={"securityContext": {"runAsUser": 0}})
        )
    )
    # The container's own setting wins over the pod's.
    assert not findings(
        swap(
            clean_tenant(),
            "Deployment",
            deployment({"securityContext": {"runAsUser": 1000}}, pod={"securityContext": {"runAsUser": 0}}),
        )
    )


@pytest.mark.parametrize(
    "image,ok",
    [
        ("ghcr.io/acme/api:1.0", True),
        ("ghcr.io/acme/api@sha256:" + "a" * 64, True),
        ("nginx", False),
        ("nginx:latest", False),
        ("localhost:5000/x:latest", False),
        ("registry.acme.io:443/x", False),
        ("localhost:5000/builder", False),
        ("localhost:5000/builder:1.0", True),
    ],
)
def test_image_tags(image: str, ok: bool) -> None:
    got = [f for f in findings([deployment({"image": image})], None) if f[0] == "guardrail/image-tag"]
    assert (got == []) is ok, got


def test_disabled_rule_does_not_run_and_says_why() -> None:
    ctx = GuardrailContext(
        tenant_namespaces={"payments": {NS}},
        allowed_registries=("ghcr.io",),
        disabled={"guardrail/namespace-quota": "quotas come from the cloud provider", "guardrail/typo": "x"},
    )
    ros = [rendered(o, tenant="payments") for o in swap(clean_tenant(), "ResourceQuota", None)]
    out = run_guardrails(ros, ctx)
    assert ("guardrail/namespace-quota", Severity.INFO) in [(r, s) for r, s, _ in out]
    assert not [f for r, s, f in out if r == "guardrail/namespace-quota" and s is Severity.ERROR]
    note = next(f for r, s, f in out if r == "guardrail/namespace-quota")
    assert "quotas come from the cloud provider" in note.message
    assert ("guardrail/unknown-rule", Severity.WARNING) in [(r, s) for r, s, _ in out]


def test_without_blueprints_only_blueprint_free_rules_run() -> None:
    objs = VIOLATIONS["guardrail/namespace-quota"]() + VIOLATIONS["guardrail/secret-data"]()
    rules = {r for r, _m, _p in findings(objs, None)}
    assert rules == {"guardrail/secret-data"}
    assert all(
        not m.NEEDS_BLUEPRINT
        for m in GUARDRAIL_RULES.values()
        if m.ID
        in {"guardrail/secret-data", "guardrail/privileged", "guardrail/rbac-cluster-admin", "guardrail/image-tag"}
    )


def test_platform_objects_are_not_tenant_rbac() -> None:
    flux = binding("ClusterRole", "cluster-admin", kind="ClusterRoleBinding")
    del flux["metadata"]["namespace"]
    ros = [rendered(copy.deepcopy(flux))]  # tenant None, not in a tenant namespace

    def rbac(ctx: GuardrailContext | None) -> list[str]:
        return [r for r, s, _ in run_guardrails(ros, ctx) if s is Severity.ERROR and r.startswith("guardrail/rbac")]

    assert rbac(CTX) == []
    assert rbac(None) == ["guardrail/rbac-cluster-admin"]


def test_guardrail_diagnostics_point_at_the_blueprint(checker: Checker) -> None:
    obj = deployment({"securityContext": {"privileged": True}})
    diags = [
        d
        for d in checker.check([rendered(obj, tenant="payments", line=42)], guardrails=CTX, include_setup=False)
        if d.rule == "guardrail/privileged"
    ]
    assert len(diags) == 1
    d = diags[0]
    assert (d.file, d.line, d.object) == ("blueprints/tenants/x.yaml", 42, f"Deployment/{NS}/api")
    assert d.path == "spec.template.spec.containers[0].securityContext.privileged"
