"""Table-driven corpus of bad blueprints: one defect per case, exact file, line, column and rule.

Each folder under ``cases/`` holds only the files that differ from ``base/`` (a minimal valid
platform and two tenants) plus ``expected.json``::

    {
      "defect":   "what is wrong, in one line",
      "findings": ["tenants/acme.yaml:13:13: schema-type",          # file:line:col: rule
                   {"at": "platform.yaml:1:1: ...", "hint": "…", "message": "…"},   # + substrings
                   {"at": "…", "severity": "warning"}],                           # findings are errors unless
      "delete":   ["platform.yaml"],                                 # optional: base files to drop
      "generate": {"tenants/deep.yaml": {"text": "[", "repeat": 100000}},  # optional: big files
      "symlinks": {"tenants/gone.yaml": "nowhere.yaml"},              # optional: (dangling) links
      "options":  {"max_file_size": 400},                            # optional: load_project options
      "crds":     ["provider-upjet-gcp"],                            # optional: CRD sets (tools/upstream.toml)
      "crossplane": "refuses",                                       # optional: the real CLI's verdict
      "crossplane_says": "…is a required parameter"                  # optional: … and its words
    }

Findings are errors unless the entry says ``"severity": "warning"``. ``crds`` are given as ``--crds``
(``genplat.validate(project, crds=…)``), so the composition checks see the providers' schemas; a case
with ``crossplane`` is also run through ``crossplane render`` and ``crossplane beta validate``
(tests/checks/test_composition_corpus.py), which must agree: ``accepts``, ``refuses`` or
``render-fails`` (the function itself fails the composition).

The findings list is the complete, ordered output of ``genplat.validate``: nothing more may appear.
Every case also runs through the CLI, which must exit 1 and print the same findings as JSON.
"""

from __future__ import annotations

import json
import shutil
import typing as t
from pathlib import Path

import pytest

import genplat
from tests.upstream_parts import crd_files

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"
CASES = HERE / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())
_CLI_OPTIONS = {"max_file_size": "--max-file-size"}


def read_expected(case: Path) -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", json.loads((case / "expected.json").read_text("utf-8")))


def materialize(case: Path, tmp: Path) -> tuple[Path, dict[str, t.Any]]:
    """Copy base + the case's files into ``tmp/blueprints``; return the folder and load options."""
    expected = read_expected(case)
    root = tmp / "blueprints"
    shutil.copytree(BASE, root)
    for src in sorted(case.rglob("*")):
        rel = src.relative_to(case)
        if src.is_file() and rel != Path("expected.json"):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, root / rel)
    for rel in expected.get("delete", []):
        (root / rel).unlink()
    for rel, spec in expected.get("generate", {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(
            (spec.get("prefix", "") + spec["text"] * spec["repeat"] + spec.get("suffix", "")).encode()
        )
    for rel, target in expected.get("symlinks", {}).items():
        (root / rel).symlink_to(target)
    return root, dict(expected.get("options", {}))


def _where(d: genplat.Diagnostic) -> str:
    return f"{d.file}:{d.line}:{d.column}: {d.rule}"


def _expected_entries(expected: dict[str, t.Any]) -> list[dict[str, str]]:
    return [{"at": e} if isinstance(e, str) else e for e in expected["findings"]]


def case_crds(expected: dict[str, t.Any]) -> list[Path]:
    """The CRD files a case names (skips, or fails under GENPLAT_REQUIRE_TOOLS=1, when one is missing)."""
    return [f for name in expected.get("crds", []) for f in crd_files(name)]


def test_corpus_is_big_enough() -> None:
    assert len(CASE_NAMES) >= 45


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    case = CASES / name
    expected = read_expected(case)
    entries = _expected_entries(expected)
    root, options = materialize(case, tmp_path)
    monkeypatch.chdir(root)  # file names in findings are relative to the working directory

    crds = case_crds(expected)
    findings = genplat.validate(genplat.load_project(".", **options), crds=crds)

    got = [_where(d) for d in findings]
    assert got == [e["at"] for e in entries], "\n".join(
        f"{_where(d)}  | {d.message} | {d.path} | {d.hint}" for d in findings
    )
    for d, e in zip(findings, entries, strict=True):
        assert d.severity is genplat.Severity(e.get("severity", "error"))
        assert d.message
        if "hint" in e:
            assert d.hint is not None and e["hint"] in d.hint, (d.hint, e["hint"])
        if "message" in e:
            assert e["message"] in d.message, (d.message, e["message"])
        if "path" in e:
            assert d.path == e["path"]

    args = ["validate", ".", "--format", "json"]
    for key, value in options.items():
        args += [_CLI_OPTIONS[key], str(value)]
    for f in crds:
        args += ["--crds", str(f)]
    result = genplat_cli(*args)
    errors = [e for e in entries if e.get("severity", "error") == "error"]
    assert result.code == (1 if errors else 0), result.stderr
    doc = json.loads(result.stdout)
    assert [f"{x['file']}:{x['line']}:{x['column']}: {x['rule']}" for x in doc["diagnostics"]] == got


def test_base_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "blueprints"
    shutil.copytree(BASE, root)
    monkeypatch.chdir(root)
    project = genplat.load_project(".")
    assert project.platform is not None and len(project.tenants) == 2
    assert genplat.validate(project) == []


def test_every_rule_is_covered() -> None:
    """Each rule id named in docs/rules.md has at least one case, and every case's rule is documented."""
    documented = set()
    for line in (HERE.parent.parent / "docs" / "rules.md").read_text("utf-8").splitlines():
        if line.startswith("| `") and "` |" in line:
            documented.add(line.split("`")[1])
    covered = {e["at"].rsplit(": ", 1)[1] for n in CASE_NAMES for e in _expected_entries(read_expected(CASES / n))}
    assert covered <= documented, covered - documented
    assert documented - covered == {"schema-<keyword>"}, documented - covered  # the generic fallback
