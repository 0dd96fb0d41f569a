"""Admission policy semantics for the risk rules: whether a policy lets in more than its old version.

The kinds: Kyverno ``ValidatingPolicy`` (policies.kyverno.io), ``ClusterPolicy`` and ``Policy``
(kyverno.io), and native ``ValidatingAdmissionPolicy`` with its ``ValidatingAdmissionPolicyBinding``.

genplat's own policies are judged exactly: each names its rule (``genplat.dev/rule``) and carries that
rule's inputs as annotations (:mod:`genplat.policy.rules`: allowed registries, platform images,
required labels), compared as sets, so the CEL is never parsed. The allowlist is wider when a registry
appears that no old one covers (``ghcr.io/acme/tools`` is covered by ``ghcr.io/acme``) or a platform
image is added; a guardrail is looser when a required label goes.

Any policy, genplat's or not, is looser by its structure when it stops denying (``Deny`` dropped from
``validationActions``, ``Enforce`` → ``Audit``), fails open (``failurePolicy`` ``Fail`` → ``Ignore``),
loses validations or rules, or matches fewer resources. A CEL change that no annotation explains is
shown line by line but not judged.
"""

from __future__ import annotations

import typing as t

from genplat.diff._model import ObjectKey, spec_of
from genplat.diff._values import flow_text
from genplat.policy import ALLOWED_REGISTRIES, PLATFORM_IMAGES, REQUIRED_LABELS, input_items
from genplat.policy import RULES as GUARDRAILS
from genplat.policy.forms import RULE_ANNOTATION
from genplat.policy.rules import IMAGE_REGISTRY

KINDS = {
    ("policies.kyverno.io", "ValidatingPolicy"),
    ("kyverno.io", "ClusterPolicy"),
    ("kyverno.io", "Policy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
}
TITLE = "policies.kyverno.io/title"


def is_policy(key: ObjectKey) -> bool:
    return (key.group, key.kind) in KINDS


def _annotations(obj: dict[str, t.Any] | None) -> dict[str, t.Any]:
    meta = (obj or {}).get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    return ann if isinstance(ann, dict) else {}


def _input(obj: dict[str, t.Any] | None, key: str) -> frozenset[str] | None:
    value = _annotations(obj).get(key)
    return input_items(value) if isinstance(value, str) else None


def _plural(items: t.Sequence[str], one: str, many: str) -> str:
    return f"{one if len(items) == 1 else many} {', '.join(items)}"


def guards_registries(obj: dict[str, t.Any] | None) -> bool:
    """Whether the policy is genplat's registry allowlist (or the binding that applies it)."""
    return _annotations(obj).get(RULE_ANNOTATION) == IMAGE_REGISTRY


def deleted(key: ObjectKey, obj: dict[str, t.Any]) -> str:
    """What deleting a policy (or its binding) lifts, to follow "deleted"."""
    if guards_registries(obj):
        return "; images may come from any registry: the allowlist it enforced no longer applies"
    rule = GUARDRAILS.get(str(_annotations(obj).get(RULE_ANNOTATION)))
    title = rule.title if rule is not None else _annotations(obj).get(TITLE)
    if isinstance(title, str) and title:
        return f" ({title}); the rule it enforced no longer applies"
    if key.kind == "ValidatingAdmissionPolicyBinding":
        name = spec_of(obj).get("policyName")
        return f"; the policy it applies{f' ({name})' if name else ''} is no longer enforced"
    return "; the rule it enforced no longer applies"


def wider_allowlist(old: dict[str, t.Any], new: dict[str, t.Any]) -> list[str]:
    """A genplat registry policy that allows images from more places (its input annotations)."""
    out = []
    before, after = _input(old, ALLOWED_REGISTRIES), _input(new, ALLOWED_REGISTRIES)
    if before is not None and after is not None:
        wider = sorted(r for r in after if not any(r == o or r.startswith(o.rstrip("/") + "/") for o in before))
        if wider:
            out.append(f"allows images from {', '.join(wider)} too: tenants may pull images from there")
    before, after = _input(old, PLATFORM_IMAGES), _input(new, PLATFORM_IMAGES)
    if before is not None and after is not None and after - before:
        added = sorted(after - before)
        out.append(
            f"allows {_plural(added, 'platform image', 'platform images')} too, in the containers declared for "
            f"{'it' if len(added) == 1 else 'them'}"
        )
    return out


def _actions(spec: dict[str, t.Any]) -> list[str]:
    actions = spec.get("validationActions")
    return [str(a) for a in actions] if isinstance(actions, list) else []


def _expressions(spec: dict[str, t.Any]) -> int:
    validations = spec.get("validations")
    return len(validations) if isinstance(validations, list) else 0


def _resources(spec: dict[str, t.Any]) -> set[str]:
    """What a policy matches: ``resource.group`` of every resourceRule (VAP, ValidatingPolicy)."""
    match = spec.get("matchConstraints")
    rules = match.get("resourceRules") if isinstance(match, dict) else None
    out: set[str] = set()
    for r in rules if isinstance(rules, list) else []:
        if isinstance(r, dict):
            for g in r.get("apiGroups") or [""]:
                out.update(f"{res}.{g}" if g else str(res) for res in r.get("resources") or [])
    return out


def _kyverno_rules(spec: dict[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    rules = spec.get("rules")
    return {str(r.get("name")): r for r in rules if isinstance(r, dict)} if isinstance(rules, list) else {}


def _mapping(value: t.Any) -> dict[str, t.Any]:
    return value if isinstance(value, dict) else {}


def _kyverno_kinds(rule: dict[str, t.Any]) -> set[str]:
    match = _mapping(rule.get("match"))
    out: set[str] = set()
    for part in ("any", "all"):
        for f in match.get(part) or []:
            res = f.get("resources") if isinstance(f, dict) else None
            if isinstance(res, dict):
                out.update(str(k) for k in res.get("kinds") or [])
    return out


def _enforced(spec: dict[str, t.Any], rule: dict[str, t.Any]) -> bool:
    validate = _mapping(rule.get("validate"))
    action = validate.get("failureAction") or spec.get("validationFailureAction") or "Audit"
    return str(action).lower() == "enforce"


def _cel_count(rule: dict[str, t.Any]) -> int:
    cel = _mapping(_mapping(rule.get("validate")).get("cel"))
    expressions = cel.get("expressions")
    return len(expressions) if isinstance(expressions, list) else 0


def _kyverno_loosened(old: dict[str, t.Any], new: dict[str, t.Any]) -> list[str]:
    out = []
    before, after = _kyverno_rules(old), _kyverno_rules(new)
    gone = sorted(set(before) - set(after))
    if gone:
        out.append(f"{_plural(gone, 'rule', 'rules')} removed")
    for name, rule in after.items():
        was = before.get(name)
        if was is None:
            continue
        if _enforced(old, was) and not _enforced(new, rule):
            out.append(f"rule {name} no longer enforced (Audit only): violations are reported, not refused")
        if _cel_count(rule) < _cel_count(was):
            out.append(f"rule {name}: {_cel_count(was) - _cel_count(rule)} CEL expression(s) removed")
        fewer = sorted(_kyverno_kinds(was) - _kyverno_kinds(rule))
        if fewer:
            out.append(f"rule {name} no longer matches {', '.join(fewer)}")
    return out


def loosened(key: ObjectKey, old: dict[str, t.Any], new: dict[str, t.Any]) -> list[str]:
    """How a policy (or binding) still in place enforces less than before."""
    out = []
    before, after = _input(old, REQUIRED_LABELS), _input(new, REQUIRED_LABELS)
    if before is not None and after is not None and before - after:
        dropped = sorted(before - after)
        out.append(f"pods no longer need the {_plural(dropped, 'label', 'labels')}")
    o, n = spec_of(old), spec_of(new)
    if "Deny" in _actions(o) and "Deny" not in _actions(n):
        out.append(
            f"no longer denies: validationActions {flow_text(_actions(o))} → {flow_text(_actions(n))}: "
            "violations are admitted"
        )
    if str(o.get("failurePolicy") or "Fail") == "Fail" and str(n.get("failurePolicy") or "Fail") == "Ignore":
        out.append("fails open: failurePolicy Fail → Ignore: requests are admitted when the policy cannot run")
    if _expressions(n) < _expressions(o):
        removed = _expressions(o) - _expressions(n)
        out.append(f"{removed} validation{'s' if removed != 1 else ''} removed")
    fewer = sorted(_resources(o) - _resources(n))
    if fewer and key.kind != "ValidatingAdmissionPolicyBinding":
        out.append(f"no longer matches {', '.join(fewer)}")
    if key.group == "kyverno.io":
        out += _kyverno_loosened(o, n)
    return out
