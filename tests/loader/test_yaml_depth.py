"""Nesting limits from any YAML library version.

libyaml 0.2.5 (bundled in PyYAML >= 6.0.4) stops at 1,000 nested levels with an error of its own, raised
while it scans ahead; older builds have no limit. Either way the finding is genplat's `yaml-too-deep`, at
the place where genplat's own limit is crossed: below libyaml's limit genplat's check fires first, above it
genplat parses again with the pure-Python parser. Both paths must give the same finding.
"""

from __future__ import annotations

import pytest

from genplat.loader import safe_yaml as _yaml


def _deep(n: int, *, block: bool) -> str:
    if block:
        return "".join(f"{'  ' * i}k{i}:\n" for i in range(n)) + f"{'  ' * n}leaf: 1\n"
    return "root: " + "[" * n + "]" * n + "\n"


def _finding(text: str, max_depth: int) -> tuple[str, int, int]:
    docs, diags = _yaml.load_documents(text, "f.yaml", max_depth=max_depth, max_bytes=16 << 20)
    assert not docs and len(diags) == 1, diags
    d = diags[0]
    return d.rule, d.line, d.column


@pytest.mark.parametrize("max_depth", [64, 128])
@pytest.mark.parametrize("n", [200, 999, 1001, 5000, 100_000])
def test_flow_nesting_is_too_deep_where_genplats_limit_is_crossed(n: int, max_depth: int) -> None:
    # "root: " is 6 columns; the mapping is level 1, so the limit is crossed at the max_depth-th "[".
    assert _finding(_deep(n, block=False), max_depth) == ("yaml-too-deep", 1, 6 + max_depth)


@pytest.mark.parametrize("n", [200, 1500])
def test_block_nesting_too(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _deep(n, block=True)
    found = _finding(text, 64)
    assert found == ("yaml-too-deep", 65, 129)  # the 65th mapping, indented by 2 × 64
    monkeypatch.setattr(_yaml, "_Parser", None)
    assert _finding(text, 64) == found


@pytest.mark.parametrize("n", [999, 1001, 5000])
def test_libyaml_and_pure_python_parsers_agree(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _deep(n, block=False)
    with_c = _finding(text, 64)
    monkeypatch.setattr(_yaml, "_Parser", None)
    assert _finding(text, 64) == with_c


def test_within_the_limit_loads() -> None:
    docs, diags = _yaml.load_documents(_deep(60, block=False), "f.yaml", max_depth=64)
    assert diags == [] and len(docs) == 1
