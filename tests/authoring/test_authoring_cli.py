"""The authoring commands end to end, through the real CLI entry point, as the issue's acceptance reads."""

from __future__ import annotations

import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, CliResult, run_genplat


def ok(*args: str) -> CliResult:
    res = run_genplat(*args)
    assert res.code == 0, f"genplat {' '.join(args)} -> {res.code}\n{res.stdout}\n{res.stderr}"
    return res


@pytest.fixture
def starter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "platform"
    root.mkdir()
    monkeypatch.chdir(root)
    ok("init")
    return root


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's example project (blueprints + schemas), in git, cwd at its root."""
    root = tmp_path / "example"
    shutil.copytree(REPO / "blueprints", root / "blueprints")
    shutil.copytree(
        REPO / "genplat" / "schemas", root / "schemas", ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    monkeypatch.chdir(root)
    return root


def test_init_tenant_new_build_check_package_in_an_empty_folder(starter: Path) -> None:
    ok("tenant", "new", "shop", "--tier", "small", "--env", "dev")
    ok("build")
    ok("check")
    res = ok("package")
    assert res.stdout.startswith("dev-dev-1  sha256:")
    assert (starter / "out" / "dev" / "dev-1" / "tenants" / "shop.yaml").is_file()
    assert (starter / "out" / ".oci" / "index.json").is_file()
    ok("validate")
    ok("fmt", "--check")
    # What init promised: modelines, .gitignore entries, CI workflow, README.
    assert (
        (starter / "blueprints" / "tenants" / "shop.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=../../schemas/tenant.schema.json")
    )
    assert {"out/.oci/", "out/.genplat/"} <= set((starter / ".gitignore").read_text().split())
    workflow = yaml.safe_load((starter / ".github" / "workflows" / "genplat.yaml").read_text())
    steps = workflow["jobs"]["genplat"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert "genplat validate" in runs and "genplat build --check" in runs
    diff = next(s for s in steps if "genplat diff" in s.get("run", ""))
    assert "--format markdown" in diff["run"] and diff["if"] == "github.event_name == 'pull_request'"
    assert (
        next(s for s in steps if s.get("run") == "genplat package --provenance")["if"] == "github.event_name == 'push'"
    )
    assert "What to change first" in (starter / "README.md").read_text()


def test_every_command_works_from_blueprints_tenants(starter: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(starter / "blueprints" / "tenants")
    ok("validate")
    ok("tenant", "new", "shop", "--tier", "small", "--service", "web=ghcr.io/example/shop:1.0.0")
    ok("build")
    ok("check")
    ok("package")
    ok("fmt", "--check")
    ok("set", "shop.yaml", "spec.tier=large")
    ok("set-image", "shop", "web", "ghcr.io/example/shop:1.1.0")
    rendered = ok("render", "--tenant", "shop").stdout
    assert "image: ghcr.io/example/shop:1.1.0" in rendered and "namespace: web-dev" not in rendered
    assert (starter / "out" / "dev" / "dev-1" / "tenants" / "shop.yaml").is_file()
    assert not (starter / "blueprints" / "tenants" / "out").exists()
    # -C DIR names the project from anywhere, as a positional does.
    monkeypatch.chdir(starter.parent)
    ok("validate", "-C", "platform/blueprints/tenants")
    ok("build", "platform")
    ok("build", "-C", "platform", "--check")


def test_no_project_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (["validate"], ["build"], ["render"], ["tenant", "new", "x"], ["set-image", "a", "b", "c:1"], ["fmt"]):
        res = run_genplat(*args)
        assert res.code == 2 and "no genplat project" in res.stderr and "genplat init" in res.stderr, (args, res)


def test_set_changes_exactly_one_line_and_the_build_follows(example: Path) -> None:
    target = example / "blueprints" / "tenants" / "globex.yaml"
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run(["git", "add", "-A"], check=True)
    before = target.read_bytes()
    ok("set", "blueprints/tenants/globex.yaml", "spec.tier=large")
    diff = subprocess.run(
        ["git", "diff", "--numstat", "--", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert diff.split()[:2] == ["1", "1"], diff
    after = target.read_bytes()
    comments = [ln for ln in before.splitlines() if b"#" in ln]
    assert comments == [ln for ln in after.splitlines() if b"#" in ln] and len(comments) >= 2
    assert b"  tier: large\n" in after
    quotas = [
        d
        for d in yaml.safe_load_all(ok("render", "--env", "prod", "--cluster", "prod-eu", "--tenant", "globex").stdout)
        if d and d["kind"] == "ResourceQuota"
    ]
    assert quotas and quotas[0]["spec"]["hard"]["requests.cpu"] == "64"  # tier large's quota


def test_an_invalid_edit_exits_1_and_leaves_the_file_byte_identical(example: Path) -> None:
    target = example / "blueprints" / "tenants" / "globex.yaml"
    before = target.read_bytes()
    stat = target.stat()
    res = run_genplat("set", "blueprints/tenants/globex.yaml", "spec.tier=nope")
    assert res.code == 1
    assert "error[unknown-tier]" in res.stdout and "spec.tier" in res.stdout and "left unchanged" in res.stderr
    assert target.read_bytes() == before and target.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "globex.yaml",
        "initech.yaml",
        "tools.yaml",
        "umbrella.yaml",
    ]


def test_set_image_and_guardrails(example: Path) -> None:
    ok("set-image", "globex", "checkout", "ghcr.io/acme/globex-checkout:1.6.0")
    text = (example / "blueprints" / "tenants" / "globex.yaml").read_text()
    assert "      image: ghcr.io/acme/globex-checkout:1.6.0\n" in text
    res = run_genplat("set-image", "globex", "checkout", "docker.io/evil/checkout:latest")
    assert res.code == 1 and "guardrail/image-tag" in res.stdout and "guardrail/image-registry" in res.stdout
    res = run_genplat("set-image", "globex", "chekout", "x:1")
    assert res.code == 2 and "did you mean 'checkout'" in res.stderr


def test_tenant_new_writes_offering_parameters_as_comments_and_validates_first(starter: Path) -> None:
    ok("tenant", "new", "shop", "--service", "web=ghcr.io/example/shop:1.0.0", "--resource", "db=postgres")
    text = (starter / "blueprints" / "tenants" / "shop.yaml").read_text()
    assert '#   version: "17"   # string, one of "16", "17", default "17": PostgreSQL major version' in text
    assert "#   storageGB: 20   # integer, 10–200, default 20: Disk size in GB" in text
    assert "requests: {cpu: 100m, memory: 128Mi}" in text  # the first tier's defaults
    res = run_genplat("tenant", "new", "shop2", "--tier", "huge")
    assert res.code == 1 and "unknown-tier" in res.stdout
    assert not (starter / "blueprints" / "tenants" / "shop2.yaml").exists()
    res = run_genplat("tenant", "new", "shop", "--tier", "small")
    assert res.code == 2 and "exists" in res.stderr


def test_fmt_reorders_keys_and_keeps_comments(starter: Path) -> None:
    target = starter / "blueprints" / "tenants" / "web.yaml"
    good = target.read_text()
    lines = good.splitlines(keepends=True)
    spec = lines.index("spec:\n")
    shuffled = "".join(lines[:3] + lines[spec:] + lines[3:spec])  # metadata and header after spec
    target.write_text(shuffled)
    res = run_genplat("fmt", "--check")
    assert res.code == 1 and "web.yaml" in res.stdout and target.read_text() == shuffled
    ok("fmt")
    assert target.read_text() == good


def test_render_and_build_to_stdout(starter: Path) -> None:
    everything = ok("render").stdout
    docs = [d for d in yaml.safe_load_all(everything) if d]
    assert {"Namespace", "ResourceQuota", "Pipeline"} <= {d["kind"] for d in docs}
    assert ok("build", "-o", "-").stdout == everything
    assert not (starter / "-").exists() and not (starter / "out").exists()
    web = [d for d in yaml.safe_load_all(ok("render", "--tenant", "web").stdout) if d]
    assert web and all(d["metadata"].get("namespace", "").startswith("web-") or d["kind"] == "Namespace" for d in web)
    res = run_genplat("render", "--env", "prod")
    assert res.code == 2 and "environments: dev" in res.stderr


@pytest.mark.parametrize(
    "shell,marker", [("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete --no-files --command genplat")]
)
def test_completion(shell: str, marker: str) -> None:
    script = ok("completion", shell).stdout
    assert marker in script and "_GENPLAT_COMPLETE" in script


def test_completion_script_completes_commands(tmp_path: Path) -> None:
    """The bash protocol for real: the env var click reads, the words so far → the candidates."""
    genplat = shutil.which("genplat") or str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "genplat")
    proc = subprocess.run(
        [genplat],
        env={
            "PATH": "/usr/bin:/bin",
            "_GENPLAT_COMPLETE": "bash_complete",
            "COMP_WORDS": "genplat se",
            "COMP_CWORD": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    names = {line.split(",", 1)[1] for line in proc.stdout.splitlines() if "," in line}
    assert {"set", "set-image"} <= names, proc


def test_package_format_is_the_output_format_and_the_old_spelling_still_works(starter: Path) -> None:
    ok("build")
    doc = t.cast(dict[str, t.Any], yaml.safe_load(ok("package", "--format", "json").stdout))
    assert doc["format"] == "flux"
    res = ok("package", "--format", "imgpkg")
    assert "now --bundle-format imgpkg" in res.stderr
    assert yaml.safe_load(ok("package", "--bundle-format", "imgpkg", "--format", "json").stdout)["format"] == "imgpkg"


def test_render_marks_each_documents_bundle_when_it_prints_several(example: Path) -> None:
    """Without --cluster, documents of several clusters follow each other: each says its bundle."""
    everything = ok("render").stdout
    starts = [i for i, line in enumerate(everything.split("\n")) if line == "---"]
    lines = everything.split("\n")
    marks = [lines[i + 1] for i in starts]
    assert marks and all(m.startswith("# bundle: ") for m in marks)
    bundles = {m.split()[2] for m in marks}
    assert bundles == {"dev/dev-eu", "prod/prod-eu", "prod/prod-us"}
    # The mark says the truth: each document is the one that bundle's file holds.
    docs = [d for d in yaml.safe_load_all(everything) if d]
    assert len(docs) == len(marks)
    one = ok("render", "--env", "prod", "--cluster", "prod-us").stdout
    assert "# bundle:" not in one  # one bundle: nothing to tell apart
    prod_us = sum(m.startswith("# bundle: prod/prod-us ") for m in marks)
    assert prod_us == len([d for d in yaml.safe_load_all(one) if d])
    assert "# bundle: prod/prod-us (platform/admission.yaml)" in marks
    assert ok("build", "-o", "-").stdout == everything
