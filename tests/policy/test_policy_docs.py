"""docs/checks.md's table of where each rule is enforced is true of what genplat renders."""

from __future__ import annotations

import re

from genplat.checks.guardrails import RULES as GATE
from genplat.policy import POD_SECURITY, RULES

from . import corpus

LEVELS = ("privileged", "baseline", "restricted")


def _table() -> dict[str, list[str]]:
    text = (corpus.REPO / "docs" / "checks.md").read_text("utf-8")
    section = text.split("### Where each rule is enforced", 1)[1].split("\n### ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `(guardrail/[a-z-]+)` \| (.*) \|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split(" | ")]
    return rows


def _enforced(bundle: str, kind: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for o in corpus.example_objects():
        if o.bundle == bundle and o.kind == kind:
            out.setdefault(o.obj["metadata"]["annotations"]["genplat.dev/rule"], set()).add(o.name)
    return out


def test_enforcement_table_is_true() -> None:
    table = _table()
    assert set(table) == set(GATE), "one row per guardrail rule"
    kyverno = _enforced("dev/dev-eu", "ValidatingPolicy")  # dev-eu has kyverno
    native = _enforced("prod/prod-us", "ValidatingAdmissionPolicy")  # prod-us has not
    bindings = _enforced("prod/prod-us", "ValidatingAdmissionPolicyBinding")
    namespaces = [o.obj for o in corpus.example_objects() if o.kind == "Namespace" and o.tenant]
    for rule, (build, kyv, vap, psa) in table.items():
        assert build == "yes" and rule in GATE
        for cell, enforced in ((kyv, kyverno), (vap, native)):
            names = set(re.findall(r"`(genplat-[a-z-]+)`", cell))
            if rule in RULES:
                assert names and all(any(n.startswith(b) for b in names) for n in enforced[rule]), (
                    rule,
                    cell,
                    enforced.get(rule),
                )
            else:
                assert cell == "—" and rule not in enforced, rule
        assert bindings.get(rule) == native.get(rule)
        if psa == "—":
            assert rule not in POD_SECURITY
            continue
        level = psa.split()[0]
        assert POD_SECURITY[rule] == level
        # Every tenant workload namespace enforces that level or a stricter one; build namespaces the
        # baseline rules at least.
        for ns in namespaces:
            enforce = ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
            if ns["metadata"]["labels"].get("genplat.dev/purpose") == "build" and level == "restricted":
                continue
            assert LEVELS.index(enforce) >= LEVELS.index(level), (rule, ns["metadata"]["name"], enforce)
