"""`genplat init` where people start: a repository that has files. It keeps them, refuses only to
overwrite (listing every file), --force replaces only genplat's own files, and --pin-only moves CI to
this genplat. The CI workflow it writes installs the wheel it wrote, as written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from genplat.authoring._wheel import own_wheel, package_files
from tests.conftest import CliResult, run_genplat
from tests.upstream_parts import _missing, upstream

README = b"# Our platform\n\nNotes of ours.\n"


def ok(*args: str) -> CliResult:
    res = run_genplat(*args)
    assert res.code == 0, f"genplat {' '.join(args)} -> {res.code}\n{res.stdout}\n{res.stderr}"
    return res


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "platform"
    root.mkdir()
    monkeypatch.chdir(root)
    subprocess.run(["git", "init", "-q"], check=True)
    (root / "README.md").write_bytes(README)
    return root


def test_init_in_a_fresh_repository_keeps_the_readme_and_a_second_init_lists_every_conflict(repo: Path) -> None:
    res = ok("init")
    assert (repo / "README.md").read_bytes() == README
    assert "kept README.md (yours)" in res.stderr and "what to change first" in res.stderr
    assert (repo / "blueprints" / "platform.yaml").is_file() and (
        repo / ".github" / "workflows" / "genplat.yaml"
    ).is_file()
    ok("validate")
    before = snapshot(repo)
    again = run_genplat("init")
    assert again.code == 2, again
    listed = [
        line.strip().split(" (")[0] for line in again.stderr.splitlines() if line.startswith("  ") and "(" in line
    ]
    assert sorted(listed) == sorted(f for f in before if f not in ("README.md", ".gitignore"))
    assert "--force replaces it" in again.stderr and "wrote nothing" in again.stderr
    assert snapshot(repo) == before  # not a byte or a timestamp changed


def test_an_existing_gitignore_gets_genplats_lines_once(repo: Path) -> None:
    (repo / ".gitignore").write_text("node_modules/\nout/.oci/\n")
    res = ok("init")
    assert (repo / ".gitignore").read_text() == "node_modules/\nout/.oci/\n# genplat\nout/.genplat/\n"
    assert "added to ./.gitignore: out/.genplat/" in res.stderr or "added to .gitignore: out/.genplat/" in res.stderr
    ok("init", "--force")
    assert (repo / ".gitignore").read_text().count("out/.genplat/") == 1


def test_force_replaces_only_what_genplat_wrote(repo: Path) -> None:
    mine = b"name: ours\non: push\njobs: {}\n"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "genplat.yaml").write_bytes(mine)
    refused = run_genplat("init")
    assert (
        refused.code == 2
        and ".github/workflows/genplat.yaml (not written by genplat: kept even with --force)" in refused.stderr
    )
    assert not (repo / "blueprints").exists()
    res = ok("init", "--force")
    assert (repo / ".github" / "workflows" / "genplat.yaml").read_bytes() == mine
    assert "kept .github/workflows/genplat.yaml (genplat did not write it" in res.stderr.replace("./", "")
    platform = repo / "blueprints" / "platform.yaml"
    written = platform.read_bytes()
    platform.write_bytes(written.replace(b"name: example", b"name: edited"))  # edited, still genplat's file
    hand_written = repo / "blueprints" / "tenants" / "web.yaml"
    hand_written.write_bytes(b"apiVersion: genplat.dev/v1alpha1\nkind: Tenant\nmetadata: {name: web}\nspec: {}\n")
    ok("init", "--force")
    assert platform.read_bytes() == written
    assert hand_written.read_bytes().startswith(b"apiVersion")  # no mark: not genplat's, kept
    assert (repo / "README.md").read_bytes() == README


def test_pin_only_moves_ci_to_this_genplat_and_changes_two_lines(repo: Path) -> None:
    ok("init")
    workflow = repo / ".github" / "workflows" / "genplat.yaml"
    text = workflow.read_text()
    wheel = yaml.safe_load(text)["env"]["GENPLAT_WHEEL"]
    old = text.replace(wheel, ".genplat/genplat-0.0.9-py3-none-any.whl").replace(
        yaml.safe_load(text)["env"]["GENPLAT_WHEEL_SHA256"], "0" * 64
    )
    old += "      - run: echo a step of ours\n"
    workflow.write_text(old)
    (repo / wheel).rename(repo / ".genplat" / "genplat-0.0.9-py3-none-any.whl")
    subprocess.run(["git", "add", "-A"], check=True)
    res = ok("init", "--pin-only")
    assert "removed" in res.stderr and not (repo / ".genplat" / "genplat-0.0.9-py3-none-any.whl").exists()
    assert (repo / wheel).is_file()
    now = workflow.read_text()
    assert now == old.replace(".genplat/genplat-0.0.9-py3-none-any.whl", wheel).replace(
        "0" * 64, yaml.safe_load(text)["env"]["GENPLAT_WHEEL_SHA256"]
    )
    stat = subprocess.run(["git", "diff", "--numstat", "--", str(workflow)], capture_output=True, text=True, check=True)
    assert stat.stdout.split()[:2] == ["2", "2"]


def test_the_wheel_is_reproducible_and_holds_the_whole_package() -> None:
    name, data = own_wheel()
    assert own_wheel() == (name, data)
    import io
    import zipfile

    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert set(package_files()) <= names and "genplat/schemas/tenant.schema.json" in names
    assert {n.split("/")[1] for n in names if ".dist-info/" in n} == {"METADATA", "WHEEL", "entry_points.txt", "RECORD"}


@pytest.mark.slow
def test_the_workflows_install_step_works_as_written(repo: Path, tmp_path: Path) -> None:
    """The install step of the workflow init writes, run by bash as GitHub runs it, installs the wheel init
    wrote (its sha256 checked) into a fresh virtualenv; that genplat validates, builds and packages."""
    wheels = upstream.wheelhouse()
    if not any(wheels.glob("*.whl")):
        _missing(f"no locked runtime wheels in {wheels}: run `make wheels`")
    ok("init")
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "genplat.yaml").read_text())
    install = next(
        s["run"] for s in workflow["jobs"]["genplat"]["steps"] if s.get("name") == "Install the pinned genplat"
    )
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))},
        **{k: str(v) for k, v in workflow["env"].items()},
        "PATH": f"{env_dir / 'bin'}:{os.environ['PATH']}",
        "PIP_NO_INDEX": "1",  # the runtime wheels come from the locked wheelhouse, not PyPI
        "PIP_FIND_LINKS": str(wheels),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", install], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    genplat = str(env_dir / "bin" / "genplat")
    for args in (["validate"], ["build"], ["build", "--check"], ["package"]):
        res = subprocess.run([genplat, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, (args, res.stdout, res.stderr)
    shown = subprocess.run(
        [str(env_dir / "bin" / "pip"), "show", "-f", "genplat"], env=env, capture_output=True, text=True
    )
    assert str(env_dir) in shown.stdout and "__editable__" not in shown.stdout  # the wheel's, not this checkout's
    # A wheel whose bytes are not the pinned ones is refused before pip runs.
    shutil.copy(repo / workflow["env"]["GENPLAT_WHEEL"], tmp_path / "saved.whl")
    (repo / workflow["env"]["GENPLAT_WHEEL"]).write_bytes(b"PK not the wheel")
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", install], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode != 0 and "FAILED" in proc.stdout + proc.stderr
    assert sys.executable  # the test ran with the interpreter the suite uses
