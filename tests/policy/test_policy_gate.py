"""genplat's build gate on the violation corpus: each violation found by its rule alone."""

from __future__ import annotations

import pytest

from genplat.checks.build import guardrail_context
from genplat.checks.guardrails import run_guardrails
from genplat.core.diagnostics import Severity
from genplat.core.objects import Origin, RenderedObject
from genplat.policy import RULES

from . import corpus


def gate_verdicts(case: corpus.Case) -> set[str]:
    """The admission rules genplat's gate finds broken in the case's object."""
    ctx = guardrail_context(corpus.platform())
    import dataclasses

    ctx = dataclasses.replace(
        ctx,
        tenant_namespaces={corpus.TENANT: set(corpus.NAMESPACE_LABELS)},
        build_namespaces=frozenset({corpus.BUILD_NS}),
    )
    ro = RenderedObject(
        case.obj, Origin("tests/policy/corpus", 1, 1), bundle="dev/dev-eu", file="x.yaml", tenant=corpus.TENANT
    )
    return {
        rule
        for rule, sev, _f in run_guardrails([ro], ctx, report_disabled=False)
        if sev is Severity.ERROR and rule in RULES
    }


def test_corpus_covers_every_rule_both_ways() -> None:
    seen = {(c.rule, c.refused) for c in corpus.cases()}
    assert seen == {(r, v) for r in RULES for v in (True, False)}


@pytest.mark.parametrize("case", corpus.cases(), ids=lambda c: c.id)
def test_gate_judges_the_corpus(case: corpus.Case) -> None:
    assert gate_verdicts(case) == ({case.rule} if case.refused else set())
