"""docs/addons.md is true: its console output is real, its Python runs, its catalog table is complete."""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

import pytest

import genplat
from genplat.core.addons import catalog

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "addons.md").read_text("utf-8")


def test_console_output_is_real(genplat_cli: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    genplat.render(genplat.RenderOptions(project=REPO, jobs=1))  # the examples' add-ons in the cache
    block = re.search(r"```console\n\$ (genplat addons list[^\n]*)\n(.*?)```", DOC, flags=re.S)
    assert block is not None
    res = genplat_cli(*block.group(1).split()[1:])
    assert res.code == 0 and res.stdout == block.group(2)


def test_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code = re.search(r"## From Python\n\n```python\n(.*?)```", DOC, flags=re.S)
    assert code is not None
    exec(compile(code.group(1), "docs/addons.md", "exec"), {})


def test_every_catalog_entry_is_in_the_table() -> None:
    table = DOC.split("## The catalog", 1)[1].split("## Lock", 1)[0]
    for name, entry in catalog().items():
        assert f"`{name}`" in table, name
        assert entry.version is not None and entry.version in table, name


def test_capability_table_matches_the_catalog() -> None:
    from genplat.core.addons import capability_addons

    table = DOC.split("To move, replace", 1)[1].split("A project without a lock", 1)[0]
    for capability in ("tekton", "flux"):
        addons = capability_addons()[capability]
        assert f"| `{capability}` | {', '.join(f'`{a}`' for a in addons)} |" in table
