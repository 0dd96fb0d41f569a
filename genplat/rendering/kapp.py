"""Render stage: kbld's and kapp's own configuration, beside the layers of a kapp-delivered bundle.

The App's ytt step passes them on; kbld and kapp consume them and deploy neither.

* :func:`kbld_config`: kbld resolves every ``image:`` value it meets, Kyverno's patterns too
  (``!*:latest`` is not an image: carvel-dev/kbld#344). One ``searchRules`` entry per pattern, matched
  exactly, with ``updateStrategy: none`` leaves them as they are; no ``minimumRequiredVersion``.
* :func:`kapp_config`: kapp's wait rules for what tenants need before their change group is applied:
  Crossplane XRDs Established, Functions Healthy, Kyverno ClusterPolicies Ready and ValidatingPolicies
  ready (``status.conditionStatus.ready``, outside ``status.conditions``, so a ytt rule reads it).
"""

from __future__ import annotations

import typing as t

KBLD_API = "kbld.k14s.io/v1alpha1"
KAPP_API = "kapp.k14s.io/v1alpha1"


def kbld_config(patterns: t.Iterable[str]) -> dict[str, t.Any]:
    """A kbld Config that leaves each of ``patterns`` unresolved (kbld matches ``image`` keys by name)."""
    return {
        "apiVersion": KBLD_API,
        "kind": "Config",
        "searchRules": [
            {"keyMatcher": {"name": "image"}, "valueMatcher": {"image": p}, "updateStrategy": {"none": {}}}
            for p in sorted(set(patterns))
        ],
    }


def _condition_rule(api_version: str, kind: str, *conditions: str) -> dict[str, t.Any]:
    return {
        "supportsObservedGeneration": False,
        "conditionMatchers": [{"type": c, "status": "True", "success": True} for c in conditions]
        + [{"type": c, "status": "False", "failure": True} for c in conditions if c in ("Healthy", "Ready")],
        "resourceMatchers": [{"apiVersionKindMatcher": {"apiVersion": api_version, "kind": kind}}],
    }


#: kapp's ytt wait-rule contract (``funcContractV1``): ``is_done(resource)`` returns done, successful and a
#: message. Kyverno sets ``conditionStatus.ready`` once every condition of the policy is True.
_KYVERNO_READY = """load("@ytt:struct", "struct")

def is_done(resource):
    state = (struct.decode(resource).get("status") or {}).get("conditionStatus") or {}
    if "ready" not in state:
        return {"done": False, "successful": False, "message": "Kyverno has not reported a status yet"}
    end
    if state["ready"] == True:
        return {"done": True, "successful": True, "message": "Kyverno reports the policy ready"}
    end
    conditions = state.get("conditions") or []
    pending = [c.get("type", "?") + ": " + c.get("message", "") for c in conditions if c.get("status") != "True"]
    return {"done": False, "successful": False, "message": "not ready: " + "; ".join(pending)}
end
"""


def _ytt_rule(api_version: str, kind: str, star: str) -> dict[str, t.Any]:
    return {
        "ytt": {"funcContractV1": {"resource.star": star}},
        "resourceMatchers": [{"apiVersionKindMatcher": {"apiVersion": api_version, "kind": kind}}],
    }


def kapp_config() -> dict[str, t.Any]:
    """kapp's Config: wait until the platform layer's objects are usable before the tenant group goes."""
    return {
        "apiVersion": KAPP_API,
        "kind": "Config",
        "waitRules": [
            _condition_rule("apiextensions.crossplane.io/v2", "CompositeResourceDefinition", "Established"),
            _condition_rule("apiextensions.crossplane.io/v1", "CompositeResourceDefinition", "Established"),
            _condition_rule("pkg.crossplane.io/v1", "Function", "Healthy"),
            _condition_rule("kyverno.io/v1", "ClusterPolicy", "Ready"),
            _ytt_rule("policies.kyverno.io/v1", "ValidatingPolicy", _KYVERNO_READY),
        ],
    }
