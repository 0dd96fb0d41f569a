"""`genplat validate` end to end: examples, the issue's acceptance scenario, output formats, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest

import genplat
from genplat import pipeline

REPO = Path(__file__).resolve().parent.parent.parent
BASE = Path(__file__).resolve().parent / "base"
BILLION_LAUGHS = "".join(
    ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"]
    + [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10)]
)


def _genplat_script() -> str:
    """The console script installed next to the interpreter running the tests."""
    script = Path(sys.executable).parent / "genplat"
    assert script.exists(), f"genplat is not installed in {Path(sys.executable).parent}"
    return str(script)


def _position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of ``needle``, found independently of genplat."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in text")


# ---------------------------------------------------------------- examples


def test_examples_validate_cleanly_in_process(genplat_cli: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = genplat_cli("validate", "blueprints")
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "5 blueprint(s) valid" in result.stderr


def test_examples_validate_cleanly_as_a_command() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    proc = subprocess.run(
        [_genplat_script(), "validate", "blueprints"], cwd=REPO, capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_examples_through_the_library(examples_dir: Path) -> None:
    project = genplat.load_project(examples_dir)
    assert project.platform is not None and project.platform.name == "acme"
    assert sorted(bp.name for bp in project.tenants) == ["globex", "initech", "tools", "umbrella"]
    assert genplat.validate(project) == []
    # A project folder that holds blueprints/ works as well as blueprints/ itself.
    assert genplat.validate(genplat.load_project(examples_dir.parent)) == []


def test_examples_use_every_tenant_feature(examples_dir: Path) -> None:
    """The issue asks the examples to use every feature together: guard that they keep doing so."""
    project = genplat.load_project(examples_dir)
    specs = [bp.spec for bp in project.tenants]
    services = [s for spec in specs for s in spec.get("services", [])]
    assert any(len(s.get("traffic", [])) == 2 for s in services), "a canary split"
    assert any(s.get("scaling", {}).get("min") == 0 for s in services), "scale to zero"
    assert any("build" in s for s in services) and any(s.get("secrets") for s in services)
    assert {r["offering"] for spec in specs for r in spec.get("resources", [])} >= {"postgres", "dedicated-cluster"}
    assert any(spec.get("events") for spec in specs) and any(spec.get("network", {}).get("allowFrom") for spec in specs)


# ---------------------------------------------------------------- the acceptance scenario


def _acceptance_folder(tmp: Path) -> tuple[Path, dict[str, tuple[str, int, int]]]:
    """Examples plus four defects; returns the folder and rule → (file, line, column) expected."""
    root = tmp / "blueprints"
    shutil.copytree(REPO / "blueprints", root)
    expected: dict[str, tuple[str, int, int]] = {}

    def edit(rel: str, old: str, new: str, rule: str, needle: str, offset: int = 0) -> None:
        path = root / rel
        text = path.read_text("utf-8")
        assert text.count(old) == 1, (rel, old)
        text = text.replace(old, new)
        path.write_text(text, "utf-8")
        line, column = _position(text, needle)
        expected[rule] = (f"tenants/{Path(rel).name}", line, column + offset)

    edit("tenants/globex.yaml", "port: 8080", 'port: "8080"', "schema-type", '"8080"')  # wrong type
    edit(
        "tenants/tools.yaml",
        "visibility: cluster-local",
        "visibilty: cluster-local",
        "schema-unknown-field",
        "visibilty",
    )
    edit(
        "tenants/initech.yaml",
        "offering: dedicated-cluster",
        "offering: dedicated-clustr",
        "unknown-offering",
        "dedicated-clustr",
    )
    (root / "tenants" / "lol.yaml").write_text(BILLION_LAUGHS, "utf-8")
    # lol0..lol4 hold 11 + 111 + 1,111 + 11,111 + 111,111 values (with their keys about 123,000); the first
    # *l4 adds 111,111 more and passes the budget of 200,000: that alias is the one reported.
    line, column = _position(BILLION_LAUGHS, "*l4")
    expected["yaml-alias-limit"] = ("tenants/lol.yaml", line, column)
    return root, expected


def test_acceptance_four_defects_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    root, expected = _acceptance_folder(tmp_path)
    monkeypatch.chdir(root)
    result = genplat_cli("validate", ".", "--format", "text")
    assert result.code == 1, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("  hint: ")]
    assert len(lines) == 4, result.stdout
    for rule, (file, line, column) in expected.items():
        assert any(x.startswith(f"{file}:{line}:{column}: error[{rule}]: ") for x in lines), (
            rule,
            file,
            line,
            column,
            result.stdout,
        )
    assert "did you mean 'visibility'?" in result.stdout
    assert "did you mean 'dedicated-cluster'?" in result.stdout
    assert "billion laughs" in result.stdout


def test_acceptance_elapsed_time_for_the_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not a timed test (speed targets live in benchmarks): prints how long the run took."""
    root, expected = _acceptance_folder(tmp_path)
    monkeypatch.chdir(root)
    start = time.perf_counter()
    proc = subprocess.run([_genplat_script(), "validate", "."], capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 1
    assert {rule for rule in expected} == {
        line.split("[")[1].split("]")[0] for line in proc.stdout.splitlines() if "error[" in line
    }
    with capsys.disabled():
        print(
            f"\n[record] genplat validate, acceptance folder (4 defects, billion laughs), whole process: {elapsed:.3f} s"
        )


# ---------------------------------------------------------------- output formats


def _bad_folder(tmp: Path) -> Path:
    root = tmp / "blueprints"
    shutil.copytree(BASE, root)
    acme = root / "tenants" / "acme.yaml"
    acme.write_text(acme.read_text().replace("port: 8080", "port: http").replace("tier: small", "tier: smal"))
    return root


def test_json_format_structure_and_field_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any
) -> None:
    monkeypatch.chdir(_bad_folder(tmp_path))
    result = genplat_cli("validate", ".", "--format", "json", env={"GITHUB_ACTIONS": "true"})  # --format wins
    assert result.code == 1
    assert result.stdout.endswith("}\n")
    doc = json.loads(result.stdout)
    assert list(doc) == ["version", "summary", "diagnostics"]
    assert doc["version"] == 1
    assert doc["summary"] == {"errors": 2, "warnings": 0, "infos": 0}
    assert list(doc["summary"]) == ["errors", "warnings", "infos"]
    fields = ["file", "line", "column", "path", "rule", "severity", "message", "hint", "object"]
    for item in doc["diagnostics"]:
        assert list(item) == fields
    tier, port = doc["diagnostics"]
    assert tier == {
        "file": "tenants/acme.yaml",
        "line": 7,
        "column": 9,
        "path": "spec.tier",
        "rule": "unknown-tier",
        "severity": "error",
        "message": "tier 'smal' is not offered by the platform",
        "hint": "did you mean 'small'?",
        "object": None,
    }
    assert (port["line"], port["column"], port["rule"], port["path"]) == (
        13,
        13,
        "schema-type",
        "spec.services[0].port",
    )
    assert port["hint"] is None
    # The JSON document is the only thing on stdout; nothing else is mixed in.
    assert result.stderr == ""


def test_json_format_when_clean(monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    monkeypatch.chdir(REPO)
    result = genplat_cli("validate", "blueprints", "--format", "json")
    assert result.code == 0
    assert json.loads(result.stdout) == {
        "version": 1,
        "summary": {"errors": 0, "warnings": 0, "infos": 0},
        "diagnostics": [],
    }


def test_json_document_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    monkeypatch.chdir(_bad_folder(tmp_path))
    first = genplat_cli("validate", ".", "--format", "json").stdout
    assert first == genplat_cli("validate", ".", "--format", "json").stdout


def test_text_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    monkeypatch.chdir(_bad_folder(tmp_path))
    result = genplat_cli("validate", ".", env={"GITHUB_ACTIONS": None})
    assert result.code == 1
    assert result.stdout.splitlines() == [
        "tenants/acme.yaml:7:9: error[unknown-tier]: tier 'smal' is not offered by the platform at spec.tier",
        "  hint: did you mean 'small'?",
        'tenants/acme.yaml:13:13: error[schema-type]: expected integer, got string "http" at spec.services[0].port',
    ]


def test_github_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    monkeypatch.chdir(_bad_folder(tmp_path))
    result = genplat_cli("validate", ".", env={"GITHUB_ACTIONS": "true"})
    assert result.code == 1
    assert result.stdout.splitlines() == [
        "::error file=tenants/acme.yaml,line=7,col=9,title=unknown-tier::tier 'smal' is not offered by the platform"
        " at spec.tier. Hint: did you mean 'small'?",
        '::error file=tenants/acme.yaml,line=13,col=13,title=schema-type::expected integer, got string "http"'
        " at spec.services[0].port",
    ]
    # People reading the log still get the plain text, on stderr.
    assert "tenants/acme.yaml:7:9: error[unknown-tier]" in result.stderr


def test_github_annotation_escaping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    """Workflow-command syntax: %, CR, LF escaped in the message; also : and , in properties."""
    root = tmp_path / "a,b:c"
    shutil.copytree(BASE, root)
    acme = root / "tenants" / "acme.yaml"
    acme.write_text(acme.read_text().replace("tier: small", "tier: '100%'"))
    monkeypatch.chdir(tmp_path)
    result = genplat_cli("validate", "a,b:c", "--format", "github")
    assert result.code == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith("::error file=a%2Cb%3Ac/tenants/acme.yaml,line=7,col=9,title=name-invalid::"), line
    assert '"100%25"' in line and "100%'" not in line


# ---------------------------------------------------------------- exit codes


def test_exit_code_0_and_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    monkeypatch.chdir(REPO)
    assert genplat_cli("validate", "blueprints").code == 0
    assert genplat_cli("validate", str(_bad_folder(tmp_path))).code == 1


def test_exit_code_2_for_a_missing_folder(tmp_path: Path, genplat_cli: t.Any) -> None:
    result = genplat_cli("validate", str(tmp_path / "nope"))
    assert result.code == 2
    assert "no such folder" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args", [["validate", "--format", "xml"], ["validate", "--max-file-size", "0"], ["validate", "--nope"]]
)
def test_exit_code_2_for_bad_options(args: list[str], genplat_cli: t.Any) -> None:
    result = genplat_cli(*args)
    assert result.code == 2, result
    assert "Traceback" not in result.stderr


def test_exit_code_2_as_a_command(tmp_path: Path) -> None:
    proc = subprocess.run(
        [_genplat_script(), "validate", str(tmp_path / "nope")], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2 and "no such folder" in proc.stderr


def _explode(project: genplat.Project, **_: t.Any) -> list[genplat.Diagnostic]:
    raise RuntimeError("simulated bug")


def test_exit_code_3_for_an_internal_error(monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(pipeline, "validate", _explode)
    result = genplat_cli("validate", "blueprints")
    assert result.code == 3
    assert "internal error" in result.stderr and "simulated bug" in result.stderr
    assert "Traceback" not in result.stderr
    assert "--debug" in result.stderr  # says how to get the traceback


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(pipeline, "validate", _explode)
    result = genplat_cli("--debug", "validate", "blueprints")
    assert result.code == 3
    assert "Traceback (most recent call last)" in result.stderr and "_explode" in result.stderr
    assert "internal error" in result.stderr


def test_max_file_size_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, genplat_cli: t.Any) -> None:
    root = tmp_path / "blueprints"
    shutil.copytree(BASE, root)
    monkeypatch.chdir(root)
    size = (root / "platform.yaml").stat().st_size
    assert genplat_cli("validate", ".", "--max-file-size", str(size)).code == 0
    result = genplat_cli("validate", ".", "--max-file-size", str(size - 1), "--format", "json")
    assert result.code == 1
    [finding] = json.loads(result.stdout)["diagnostics"]
    assert (finding["file"], finding["line"], finding["rule"]) == ("platform.yaml", 1, "file-too-large")


def test_single_files_are_checked_with_their_project(tmp_path: Path) -> None:
    """A pre-commit hook passes changed files: each is validated against its whole project."""
    import shutil

    from click.testing import CliRunner

    from genplat.cli import cli

    root = Path(__file__).resolve().parents[2]
    shutil.copytree(root / "blueprints", tmp_path / "blueprints")
    globex = tmp_path / "blueprints/tenants/globex.yaml"
    umbrella = tmp_path / "blueprints/tenants/umbrella.yaml"
    r = CliRunner().invoke(cli, ["validate", str(globex)])
    assert r.exit_code == 0, r.stdout + r.stderr
    globex.write_text(globex.read_text().replace("tier: medium", "tier: mediun"))
    r = CliRunner().invoke(cli, ["validate", str(globex), str(umbrella)])
    assert r.exit_code == 1 and "unknown-tier" in r.stdout and "platform-missing" not in r.stdout
    r = CliRunner().invoke(cli, ["validate", str(umbrella)])  # its own findings only
    assert r.exit_code == 0, r.stdout
    r = CliRunner().invoke(cli, ["validate", str(tmp_path / "blueprints"), str(globex)])
    assert r.exit_code == 2
