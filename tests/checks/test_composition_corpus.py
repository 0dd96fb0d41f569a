"""The planted composition defects of the validation corpus, judged by the real crossplane CLI too.

Each case of ``tests/validation/cases/`` whose ``expected.json`` has ``"crossplane"`` is refused by
``genplat validate`` with its own rule (``test_validate_corpus.py`` checks the exact findings). Here
every order of the case's tenants is composed by the real ``crossplane render`` (v2.1.0, with
function-patch-and-transform v0.10.7 on loopback) and the result checked by ``crossplane beta
validate`` against the providers' CRDs, which must agree: it refuses every defect (``refuses``), or the
function fails the composition outright (``render-fails``), and accepts the defect-free case
(``accepts``). ``crossplane_says`` is the text of the CLI's refusal, so the verdict is for the planted
defect and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crossplane_cli import beta_validate, orders, render
from tests.validation.test_validate_corpus import CASE_NAMES, CASES, case_crds, materialize, read_expected

pytestmark = pytest.mark.tools

AGREEING = [n for n in CASE_NAMES if "crossplane" in read_expected(CASES / n)]


def test_the_corpus_plants_each_composition_defect() -> None:
    rules = {
        str(e if isinstance(e, str) else e["at"]).rsplit(": ", 1)[1]
        for n in AGREEING
        for e in read_expected(CASES / n)["findings"]
    }
    assert {
        "composition-patch-source",
        "composition-patch-target",
        "composition-patch-shape",
        "composed-kind-unknown",
        "composed-kind-scope",
        "composed-value-invalid",
    } <= rules
    verdicts = {read_expected(CASES / n)["crossplane"] for n in AGREEING}
    assert verdicts == {"accepts", "refuses", "render-fails"}


@pytest.mark.parametrize("name", AGREEING)
def test_crossplane_agrees(name: str, tmp_path: Path, pt_function: str) -> None:
    case = CASES / name
    expected = read_expected(case)
    root, _ = materialize(case, tmp_path)
    crds = case_crds(expected)
    found = orders(root)
    assert found, "the case orders nothing: nothing to compose"
    verdicts = []
    for n, order in enumerate(found):
        try:
            got = render(
                tmp_path / f"render-{n}",
                xr=order.item.composite,
                composition=order.composition,
                function=order.function,
                xrd=order.xrd,
                address=pt_function,
            )
        except AssertionError as exc:
            verdicts.append(("render-fails", str(exc)))
            continue
        checked = beta_validate(tmp_path / f"validate-{n}", extensions=[*crds, order.xrd], resources=got.composed)
        if checked.code == 0 and not checked.refusals:
            verdicts.append(("accepts", checked.output))
        else:
            assert checked.refusals, checked.output  # refused for a reason it names, not a crash
            verdicts.append(("refuses", checked.output))
    want = expected["crossplane"]
    assert any(v == want for v, _ in verdicts), (want, verdicts)
    if "crossplane_says" in expected:  # refused for the planted defect, not for something else
        assert any(v == want and expected["crossplane_says"] in text for v, text in verdicts), verdicts
    if want == "accepts":
        assert all(v == "accepts" for v, _ in verdicts), verdicts


def test_render_failure_is_the_function_refusing(tmp_path: Path, pt_function: str) -> None:
    """``render-fails`` means the function's fatal result, not a broken invocation."""
    name = next(n for n in AGREEING if read_expected(CASES / n)["crossplane"] == "render-fails")
    root, _ = materialize(CASES / name, tmp_path)
    order = orders(root)[0]
    with pytest.raises(AssertionError, match="returned a fatal result"):
        render(
            tmp_path / "r",
            xr=order.item.composite,
            composition=order.composition,
            function=order.function,
            xrd=order.xrd,
            address=pt_function,
        )
