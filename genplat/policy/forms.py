"""The admission forms of a rule: Kyverno ValidatingPolicy or ClusterPolicy, or native admission.

All three carry the rule's CEL unchanged; only the envelope differs:

* ``policies.kyverno.io/v1`` **ValidatingPolicy** (the default; stable since Kyverno 1.17):
  ``matchConstraints`` (resources and the tenant namespace selector), ``variables``, ``validations``,
  ``validationActions: [Deny]``, autogen for pod controllers off (every kind is matched explicitly).
* ``kyverno.io/v1`` **ClusterPolicy** with ``validate.cel`` (``policies.kyverno.policyKind:
  ClusterPolicy``, for Kyverno 1.11 to 1.16; Kyverno 1.17+ warns that the API is deprecated).
* ``admissionregistration.k8s.io/v1`` **ValidatingAdmissionPolicy** + **Binding** (Kubernetes >= 1.30),
  for clusters without the ``kyverno`` capability; the binding holds the namespace selector.
"""

from __future__ import annotations

import typing as t

from genplat.policy import cel as _cel
from genplat.policy.rules import AdmissionRule, Variant
from genplat.policy.workloads import Target

TENANT_LABEL = "genplat.dev/tenant"
PURPOSE_LABEL = "genplat.dev/purpose"
RULE_ANNOTATION = "genplat.dev/rule"
OPERATIONS = ["CREATE", "UPDATE"]


def namespace_selector(scope: str) -> dict[str, t.Any]:
    exprs: list[dict[str, t.Any]] = [{"key": TENANT_LABEL, "operator": "Exists"}]
    if scope == "workload":
        exprs.append({"key": PURPOSE_LABEL, "operator": "NotIn", "values": ["build"]})
    elif scope == "build":
        exprs.append({"key": PURPOSE_LABEL, "operator": "In", "values": ["build"]})
    return {"matchExpressions": exprs}


def resource_rules(rule: AdmissionRule, targets: t.Sequence[Target]) -> list[dict[str, t.Any]]:
    groups: dict[str, list[str]] = {}
    for target in targets:
        groups.setdefault(target.group, []).append(target.resource)
        if rule.ephemeral and target.group == "" and target.resource == "pods":
            groups[""].append("pods/ephemeralcontainers")
    return [
        {"apiGroups": [g], "apiVersions": ["*"], "operations": list(OPERATIONS), "resources": rs}
        for g, rs in groups.items()
    ]


def _kyverno_kinds(rule: AdmissionRule, targets: t.Sequence[Target]) -> list[str]:
    kinds = []
    for target in targets:
        kinds.append(target.kind if target.group == "" else f"{target.group}/{target.version}/{target.kind}")
        if rule.ephemeral and target.kind == "Pod" and target.group == "":
            kinds.append("Pod/ephemeralcontainers")
    return kinds


def _cel_parts(variant: Variant) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    return _cel.variables(list(variant.variables)), [{"expression": variant.expression, "message": variant.message}]


def validating_policy(rule: AdmissionRule, variant: Variant, targets: t.Sequence[Target]) -> dict[str, t.Any]:
    variables, validations = _cel_parts(variant)
    return {
        "validationActions": ["Deny"],
        "autogen": {"podControllers": {"controllers": []}},
        "matchConstraints": {
            "namespaceSelector": namespace_selector(variant.scope),
            "resourceRules": resource_rules(rule, targets),
        },
        "variables": variables,
        "validations": validations,
    }


def cluster_policy(rule: AdmissionRule, variant: Variant, targets: t.Sequence[Target]) -> dict[str, t.Any]:
    variables, validations = _cel_parts(variant)
    return {
        "background": True,
        "rules": [
            {
                "name": rule.id.split("/", 1)[1],
                "match": {
                    "any": [
                        {
                            "resources": {
                                "kinds": _kyverno_kinds(rule, targets),
                                "operations": list(OPERATIONS),
                                "namespaceSelector": namespace_selector(variant.scope),
                            }
                        }
                    ]
                },
                "validate": {"failureAction": "Enforce", "cel": {"variables": variables, "expressions": validations}},
            }
        ],
    }


def admission_policy(rule: AdmissionRule, variant: Variant, targets: t.Sequence[Target]) -> dict[str, t.Any]:
    variables, validations = _cel_parts(variant)
    return {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": resource_rules(rule, targets)},
        "variables": variables,
        "validations": validations,
    }


def admission_binding(policy_name: str, variant: Variant) -> dict[str, t.Any]:
    return {
        "policyName": policy_name,
        "validationActions": ["Deny"],
        "matchResources": {"namespaceSelector": namespace_selector(variant.scope)},
    }
