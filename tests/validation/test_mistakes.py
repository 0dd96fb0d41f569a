"""Everyday mistakes (tests/validation/mistakes/, one file each) get messages a newcomer understands: the
exact place, and the words the corpus expects in the message and the hint. Exit 1, never a traceback or 3."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_genplat

CORPUS = Path(__file__).resolve().parent / "mistakes"
CASES = sorted(CORPUS.glob("*.yaml"))


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mistakes") / "starter"
    root.mkdir()
    res = run_genplat("init", str(root))
    assert res.code == 0, res.stderr
    return root


def test_the_corpus_has_twenty_mistakes_or_more() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_mistake(case: Path, starter: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = yaml.safe_load(case.read_text())
    root = tmp_path / "project"
    shutil.copytree(starter, root)
    target = root / spec["file"]
    old, new = spec["replace"]
    text = target.read_text()
    assert text.count(old) == 1, f"{case.name}: {old!r} must occur once in {spec['file']}"
    target.write_text(text.replace(old, new))
    monkeypatch.chdir(root)
    res = run_genplat("validate", "--format", "json")
    assert res.code == 1, (res.code, res.stdout, res.stderr)
    findings = json.loads(res.stdout)["diagnostics"]
    at = [f for f in findings if f"{f['file']}:{f['line']}:{f['column']}" == spec["at"] and f["rule"] == spec["rule"]]
    assert at, f"{case.name}: no {spec['rule']} at {spec['at']}; findings: {json.dumps(findings, indent=1)}"
    finding = at[0]
    for words in spec.get("message", []):
        assert words in finding["message"], (words, finding["message"])
    for words in spec.get("hint", []):
        assert finding["hint"] and words in finding["hint"], (words, finding["hint"])
    for words in spec.get("no_hint", []):
        assert all(words not in (f["hint"] or "") for f in findings), (words, findings)
    # The text format says the same, with the hint on its own line.
    text_out = run_genplat("validate").stdout
    assert f"{spec['at']}: error[{spec['rule']}]: {finding['message']}" in text_out
