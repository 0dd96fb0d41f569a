"""Diffing git revisions of a real repository made by the test, without touching its working tree,
index or HEAD."""

from __future__ import annotations

import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest

from genplat.diff import diff

from . import outputs as o

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "HOME": str(repo),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def state(repo: Path) -> tuple[str, str, bytes, dict[str, bytes]]:
    files = {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        (repo / ".git" / "index").read_bytes(),
        files,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """project/ in a repository: commit 1 = the example, commit 2 = a changed traffic split,
    and an uncommitted edit (a tier move) in the working tree."""
    r = tmp_path / "repo"
    project = r / "project"
    project.mkdir(parents=True)
    git(r, "init", "-q", "-b", "main")
    o.write(o.example(), project / "out")
    (project / "README.md").write_text("project\n")
    git(r, "add", "-A")
    git(r, "commit", "-qm", "one")
    p = o.example()
    p.tenants[0].services[0].traffic[0]["percent"] = 60
    p.tenants[0].services[0].traffic[1]["percent"] = 40
    o.write(p, project / "out")
    git(r, "commit", "-qam", "two")
    p.tenants[1].tier = "large"
    o.write(p, project / "out")
    return r


def test_two_revisions_from_committed_output(repo: Path) -> None:
    before = state(repo)
    result = diff("HEAD~1", "HEAD", project=repo / "project", use_committed_output=True)
    assert state(repo) == before
    assert [(d.status, d.key.bundle, d.key.name) for d in result.objects] == [
        ("changed", "dev/dev-eu", "checkout"),
        ("changed", "prod/prod-eu", "checkout"),
    ]
    assert result.base.label.startswith("HEAD~1 (") and result.base.kind == "git"


def test_default_base_head_against_working_tree(repo: Path) -> None:
    before = state(repo)
    assert before[1]  # the uncommitted edit is there
    result = diff(project=repo / "project", use_committed_output=True)
    assert state(repo) == before
    assert {d.key.kind for d in result.objects} == {"ResourceQuota", "LimitRange"}
    assert {r.rule for r in result.risks} == {"quota-changed"}


def test_cli_in_a_subfolder_with_exit_code(repo: Path, genplat_cli: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    before = state(repo)
    monkeypatch.chdir(repo / "project")
    res = genplat_cli("diff", "HEAD~1", "HEAD", "--use-committed-output", "--exit-code", "--format", "json")
    assert res.code == 1, res.stderr
    assert '"percent"' not in res.stdout or "spec.traffic[tag=stable].percent" in res.stdout
    res = genplat_cli("diff", "HEAD", "git:HEAD", "--use-committed-output", "--exit-code")
    assert res.code == 0 and "no differences" in res.stdout
    assert state(repo) == before


def test_unknown_revision_is_a_clear_error(repo: Path, genplat_cli: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "project")
    res = genplat_cli("diff", "no-such-branch", "--use-committed-output")
    assert res.code == 2
    assert "neither a folder, an OCI reference nor a git revision" in res.stderr


def test_revision_before_the_project_existed_is_empty(repo: Path) -> None:
    empty_tree = subprocess.run(
        ["git", "mktree"], cwd=repo, input="", capture_output=True, text=True, check=True
    ).stdout.strip()
    commit = git(repo, "commit-tree", empty_tree, "-m", "unrelated root").strip()
    git(repo, "branch", "fresh", commit)
    result = diff("fresh", "HEAD", project=repo / "project", use_committed_output=True)
    assert result.base.label.endswith("no out/ committed")
    assert result.objects and all(d.status == "added" for d in result.objects)


def test_rendering_blueprints_at_two_revisions(tmp_path: Path) -> None:
    """The real build renders each revision's blueprints (not the committed out/)."""
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    shutil.copytree(REPO / "blueprints", r / "blueprints")
    (r / "out").mkdir()
    (r / "out" / "stale.yaml").write_text("not: rendered\n")  # must be ignored: sides are rendered
    git(r, "add", "-A")
    git(r, "commit", "-qm", "one")
    tenant = r / "blueprints" / "tenants" / "globex.yaml"
    text = tenant.read_text()
    assert "tier: medium" in text
    tenant.write_text(text.replace("tier: medium", "tier: large", 1))
    before = state(r)
    result = diff(project=r)  # HEAD (rendered) vs the working tree (rendered)
    assert state(r) == before
    assert result.objects, "a tier change must change the rendered quota"
    assert {d.key.kind for d in result.objects} <= {"ResourceQuota", "LimitRange"}
    assert all(d.tenant == "globex" for d in result.objects)
    assert any(r_.rule == "quota-changed" for r_ in result.risks)


def test_cli_default_sides_in_a_fresh_copy_of_the_project(
    tmp_path: Path, genplat_cli: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`genplat diff` with no arguments in a new repository holding a copy of the project: the last
    commit's blueprints against the edited working tree, both rendered; nothing in the repository moves."""
    r = tmp_path / "project"
    r.mkdir()
    for name in ("blueprints", "out"):
        shutil.copytree(REPO / name, r / name)
    git(r, "init", "-q", "-b", "main")
    git(r, "add", "-A")
    git(r, "commit", "-qm", "the example project")
    tenant = r / "blueprints" / "tenants" / "globex.yaml"
    text = tenant.read_text(encoding="utf-8")
    assert text.count("percent: 80") == 1 and text.count("percent: 20") == 1
    tenant.write_text(
        text.replace("percent: 80", "percent: 70").replace("percent: 20", "percent: 30"), encoding="utf-8"
    )
    git(r, "add", "blueprints/tenants/globex.yaml")  # a staged edit: the index must stay as it is too
    (r / "blueprints" / "tenants" / "umbrella.yaml").write_text(
        (r / "blueprints" / "tenants" / "umbrella.yaml").read_text(encoding="utf-8") + "# an unstaged edit\n",
        encoding="utf-8",
    )
    before = state(r)
    monkeypatch.chdir(r)
    res = genplat_cli("diff", "--exit-code")
    assert res.code == 1, res.stderr
    assert state(r) == before
    lines = res.stdout.splitlines()
    assert lines[0].startswith("genplat diff: HEAD (") and lines[0].endswith(") → working tree")
    assert lines[1] == "2 objects differ in 2 bundles: 2 changed"
    for bundle in ("prod/prod-eu", "prod/prod-us"):
        assert bundle in lines
    assert res.stdout.count("spec.traffic[tag=stable].percent: 80 → 70") == 2
    assert res.stdout.count("spec.traffic[tag=canary].percent: 20 → 30") == 2
    # And with the edit committed, the default sides are the same again.
    git(r, "commit", "-qam", "canary 30 %")
    res = genplat_cli("diff", "--exit-code")
    assert (res.code, res.stdout.splitlines()[1:]) == (0, ["no differences"]), res.stderr
