"""YAML syntax errors in words (genplat/loader/yaml_errors.py): the line that breaks the structure, the column
expected; and never a false alarm on YAML that parses (every YAML file of this repository)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from genplat.loader.safe_yaml import load_documents
from genplat.loader.yaml_errors import _Scanner

REPO = Path(__file__).resolve().parents[2]

CASES = [
    (
        "spec:\n  services:\n    - name: a\n        image: x\n",
        (4, 9),
        "'image' is indented deeper than 'name' (line 3)",
    ),
    (
        "spec:\n  services:\n    - name: a\n  - name: b\n",
        (4, 3),
        "the items of the list 'services' (line 3) start at column 5",
    ),
    (
        "spec:\n  environments:\n    name: dev\n    - name: prod\n",
        (4, 5),
        "a list item ('- ') in the middle of a mapping",
    ),
    ("a: 1\n b: 2\n", (2, 2), "'b' is indented deeper than 'a' (line 1)"),
    ("spec:\n  tier: 'small\n  other: x\n", (2, 9), "the string opened with ' on line 2 (column 9) is never closed"),
    ("spec:\n  caps: [a, b\n  tier: x\n", (2, 9), "the '[' on line 2 (column 9) is never closed"),
    ("spec:\n  - a\n  b: 1\n", (3, 3), "'b' is at the column of the list's '- ' (column 3)"),
    ("x: @home\n", (1, 4), "a value cannot start with '@' unless it is quoted"),
]


@pytest.mark.parametrize(("text", "at", "words"), CASES)
def test_explained(text: str, at: tuple[int, int], words: str) -> None:
    docs, findings = load_documents(text, "f.yaml")
    assert not docs and len(findings) == 1
    f = findings[0]
    assert f.rule == "yaml-syntax" and (f.line, f.column) == at and words in f.message, f


def test_valid_yaml_is_never_taken_for_a_mistake() -> None:
    checked = 0
    for path in sorted(REPO.rglob("*.y*ml")):
        if any(part.startswith(".venv") or part == ".git" for part in path.parts):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue  # the corpora of bad files
        checked += 1
        assert _Scanner(text.split("\n")).run(len(text)) is None, path
    assert checked > 100
