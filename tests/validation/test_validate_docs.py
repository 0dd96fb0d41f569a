"""The validate docs stay true: README examples run, docs/diagnostics.md matches the JSON the CLI prints."""

from __future__ import annotations

import json
import re
import shutil
import typing as t
from pathlib import Path

import pytest

import genplat

REPO = Path(__file__).resolve().parent.parent.parent


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _code_blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_library_api_example_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    first, second = _code_blocks(_section(readme, "Library API"), "python")
    monkeypatch.chdir(REPO)
    namespace: dict[str, t.Any] = {}
    exec(compile(first, "README.md", "exec"), namespace)
    assert namespace["findings"] == [] and namespace["errors"] == [] and namespace["as_json"] == []
    assert isinstance(namespace["project"], genplat.Project)
    # The stage entry points, on the examples and their committed out/ (nothing is written).
    exec(compile(second, "README.md", "exec"), namespace)
    assert namespace["rendered"].ok and namespace["result"].ok and namespace["result"].up_to_date
    assert not [d for d in namespace["findings"] if d.is_error]
    lock = json.loads((REPO / "out" / "genplat.lock.json").read_bytes())
    pinned = {b.replace("/", "-"): d["oci"]["flux"] for b, d in lock["bundles"].items()}
    assert {
        n: a.digest for n, a in namespace["packaged"].artifacts.items() if a.format == "flux"
    }.items() <= pinned.items()


def test_readme_validate_example_is_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any
) -> None:
    """The README shows a misspelt tier in the examples: make that change and compare the output."""
    readme = (REPO / "README.md").read_text("utf-8")
    console = _code_blocks(_section(readme, "Validate"), "console")[0].splitlines()
    assert console[0] == "$ genplat validate blueprints"
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    globex = tmp_path / "blueprints" / "tenants" / "globex.yaml"
    text = globex.read_text("utf-8")
    assert text.count("tier: medium") == 1
    globex.write_text(text.replace("tier: medium", "tier: mediun"), "utf-8")
    monkeypatch.chdir(tmp_path)
    result = genplat_cli("validate", "blueprints", env={"GITHUB_ACTIONS": None})
    assert result.code == 1
    assert result.stdout.splitlines() == console[1:]


def test_diagnostics_doc_lists_the_json_fields_in_order() -> None:
    doc = (REPO / "docs" / "diagnostics.md").read_text("utf-8")
    finding_table = doc[doc.index("Each finding:") :]
    documented = re.findall(r"^\| `([a-z]+)` \|", finding_table, flags=re.M)
    sample = genplat.Diagnostic(rule="x", message="y")
    assert documented == list(sample.to_dict())
    top = re.findall(r"^\| `([a-z]+)` \|", doc[doc.index("Top level:") : doc.index("Each finding:")], flags=re.M)
    assert top == ["version", "summary", "diagnostics"]


def test_diagnostics_doc_example_is_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any
) -> None:
    """The JSON example in docs/diagnostics.md is what the CLI prints for the base tenant with two typos."""
    doc = (REPO / "docs" / "diagnostics.md").read_text("utf-8")
    example = _code_blocks(doc, "json")[0]
    root = tmp_path / "blueprints"
    shutil.copytree(Path(__file__).resolve().parent / "base", root)
    acme = root / "tenants" / "acme.yaml"
    acme.write_text(acme.read_text().replace("port: 8080", "port: http").replace("tier: small", "tier: smal"))
    monkeypatch.chdir(root)
    result = genplat_cli("validate", ".", "--format", "json")
    assert result.stdout == example
    text = _code_blocks(doc, "text")
    assert genplat_cli("validate", ".", "--format", "text").stdout == text[0]
    github = genplat_cli("validate", ".", "--format", "github").stdout.splitlines()[0]
    assert github + "\n" == text[1]


def test_rules_doc_names_existing_cases() -> None:
    """Every case named in docs/rules.md exists in the corpus (the short '-suffix' forms included)."""
    cases = {p.name for p in (Path(__file__).resolve().parent / "cases").iterdir()}
    doc = (REPO / "docs" / "rules.md").read_text("utf-8")
    for row in re.findall(r"^\| `([a-z<>-]+)` \|.*\| ([^|]*) \|$", doc, flags=re.M):
        rule, named = row
        prefix = None
        for part in re.split(r",\s*|\s*\(and\s*|\)\s*|\s+and\s+", named):
            part = part.strip()
            if not part or part in ("—", "(loader tests)"):
                continue
            if part.startswith("-") and prefix:
                part = prefix + part
            else:
                prefix = part.rsplit("-", 1)[0]
            assert part in cases, (rule, part)
