"""Tenant guardrails as admission policies, from the rule model (:mod:`genplat.policy`).

A cluster with the ``kyverno`` capability gets Kyverno policies in ``platform/kyverno.yaml``:
``policies.kyverno.io/v1`` ValidatingPolicy by default, ``kyverno.io/v1`` ClusterPolicy when
``policies.kyverno.policyKind`` is ``ClusterPolicy`` (Kyverno older than 1.17). A cluster without it
gets the same rules as native ValidatingAdmissionPolicy + ValidatingAdmissionPolicyBinding pairs in
``platform/admission.yaml``, so a guardrail never disappears because a cluster runs no policy engine.
Rules switched off in the platform (``forbidLatest: false`` …, ``policies.guardrails.disabled``) are
not rendered, as the build gate does not run them. Only kinds the cluster's capabilities bring are
matched (Kyverno refuses policies naming kinds it cannot find).
"""

from __future__ import annotations

import typing as t

from genplat.core.objects import RenderedObject
from genplat.policy import RULES, AdmissionRule, settings_from
from genplat.policy.forms import (
    RULE_ANNOTATION,
    admission_binding,
    admission_policy,
    cluster_policy,
    validating_policy,
)
from genplat.rendering._base import BundleContext, platform_object

KYVERNO_FILE = "kyverno.yaml"
NATIVE_FILE = "admission.yaml"
# The platform setting behind each rule, for the objects' origin.
SETTING = {
    "guardrail/image-registry": "allowedRegistries",
    "guardrail/image-tag": "forbidLatest",
    "guardrail/privileged": "forbidPrivileged",
    "guardrail/host-namespaces": "forbidPrivileged",
    "guardrail/container-resources": "requireLimits",
    "guardrail/pod-labels": "requiredLabels",
}
ADMISSION_API = "admissionregistration.k8s.io/v1"


def _disabled(policies: t.Mapping[str, t.Any]) -> set[str]:
    entries = (policies.get("guardrails") or {}).get("disabled") or []
    return {e["rule"] for e in entries if isinstance(e, dict) and isinstance(e.get("rule"), str)}


def _origin_path(policies: t.Mapping[str, t.Any], rule: AdmissionRule) -> tuple[str, ...]:
    key = SETTING[rule.id]
    return ("spec", "policies", key) if key in policies else ("spec", "policies")


def render(ctx: BundleContext) -> list[RenderedObject]:
    policies = ctx.platform.policies
    settings = settings_from(policies)
    off = _disabled(policies)
    kyverno = ctx.cluster.has("kyverno")
    out: list[RenderedObject] = []
    for rule in RULES.values():
        if rule.id in off or not rule.enabled(settings):
            continue
        targets = [tg for tg in rule.targets if tg.capability is None or ctx.cluster.has(tg.capability)]
        origin = ctx.platform.origin(_origin_path(policies, rule))
        for variant in rule.variants(settings):
            name = rule.policy_name + variant.suffix
            annotations = {RULE_ANNOTATION: rule.id, **dict(variant.inputs)}
            if kyverno:
                annotations["policies.kyverno.io/title"] = rule.title
            if kyverno and settings.kyverno_kind == "ClusterPolicy":
                obj = platform_object(
                    ctx,
                    "kyverno.io/v1",
                    "ClusterPolicy",
                    name,
                    origin,
                    KYVERNO_FILE,
                    spec=cluster_policy(rule, variant, targets),
                )
                # Every kind is matched explicitly: Kyverno's own rules for pod controllers would double them.
                annotations["pod-policies.kyverno.io/autogen-controllers"] = "none"
            elif kyverno:
                obj = platform_object(
                    ctx,
                    "policies.kyverno.io/v1",
                    "ValidatingPolicy",
                    name,
                    origin,
                    KYVERNO_FILE,
                    spec=validating_policy(rule, variant, targets),
                )
            else:
                obj = platform_object(
                    ctx,
                    ADMISSION_API,
                    "ValidatingAdmissionPolicy",
                    name,
                    origin,
                    NATIVE_FILE,
                    spec=admission_policy(rule, variant, targets),
                )
                binding = platform_object(
                    ctx,
                    ADMISSION_API,
                    "ValidatingAdmissionPolicyBinding",
                    name,
                    origin,
                    NATIVE_FILE,
                    spec=admission_binding(name, variant),
                )
                binding.obj["metadata"]["annotations"] = {RULE_ANNOTATION: rule.id}
                out.append(binding)
            obj.obj["metadata"]["annotations"] = annotations
            out.append(obj)
    return out
