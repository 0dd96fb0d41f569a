"""The release workflow (.github/workflows/release.yaml) cannot run here; what can be checked is: it is
valid YAML, on a version tag it builds, tests, describes (SBOM), attests and publishes the wheel and the
sdist in that order, its own scripts work (the tag check, the install of the built files), as written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import typing as t
from pathlib import Path

import pytest
import yaml

from tests.upstream_parts import _missing, upstream

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = yaml.safe_load((REPO / ".github" / "workflows" / "release.yaml").read_text())
JOBS: dict[str, t.Any] = WORKFLOW["jobs"]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def step(job: str, name: str) -> dict[str, t.Any]:
    return next(s for s in JOBS[job]["steps"] if s.get("name", "").startswith(name))


def uses(job: str) -> list[str]:
    return [s["uses"].split("@")[0] for s in JOBS[job]["steps"] if "uses" in s]


def test_it_runs_on_version_tags_and_publishes_only_what_was_built_and_tested() -> None:
    assert WORKFLOW[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads the key `on` as True
    assert WORKFLOW["permissions"] == {"contents": "read"}
    assert "python -m build --no-isolation --outdir dist ." in step("build", "Build the wheel")["run"]
    assert "make test" in [s.get("run") for s in JOBS["test"]["steps"]]
    assert JOBS["test-dist"]["needs"] == "build" and "anchore/sbom-action" in uses("test-dist")
    assert set(JOBS["publish"]["needs"]) == {"build", "test", "test-dist"}
    assert {"actions/attest-build-provenance", "actions/attest-sbom"} <= set(uses("publish"))
    assert step("publish", "Attest the build provenance")["with"]["subject-path"] == "dist/*"
    release = step("publish", "Publish the GitHub release")["run"]
    assert "gh release create" in release and "dist/* sbom/* SHA256SUMS" in release
    assert JOBS["publish"]["permissions"] == {"contents": "write", "id-token": "write", "attestations": "write"}
    assert JOBS["pypi"]["if"] == "vars.PYPI_PUBLISH == 'true'" and "pypa/gh-action-pypi-publish" in uses("pypi")


@pytest.mark.parametrize(("tag", "ok"), [(f"v{VERSION}", True), ("v0.0.0-not-this", False), (VERSION, False)])
def test_the_tag_must_name_the_version_of_pyproject(tag: str, ok: bool, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "GITHUB_REF_NAME": tag, "GITHUB_OUTPUT": str(out)}
    proc = subprocess.run(["bash", "-e", "-c", step("build", "The tag names")["run"]], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert (proc.returncode == 0) is ok, proc.stderr
    if ok:
        assert out.read_text() == f"version={VERSION}\n"
    else:
        assert f"does not name version {VERSION}" in proc.stderr


@pytest.mark.slow
def test_the_install_step_runs_the_pipeline_with_a_locally_built_wheel(tmp_path: Path) -> None:
    wheels = upstream.wheelhouse()
    if not any(wheels.glob("*.whl")):
        _missing(f"no locked runtime wheels in {wheels}: run `make wheels`")
    src = tmp_path / "src"
    shutil.copytree(
        REPO, src, ignore=shutil.ignore_patterns(".venv*", ".git", "__pycache__", "*.egg-info", ".*_cache", "bench")
    )
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", "dist", "."],
                           cwd=src, capture_output=True, text=True, check=False)  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))},
        "RUNNER_TEMP": str(runner_temp),
        "PIP_NO_INDEX": "1",  # the locked runtime wheels come from the wheelhouse, not PyPI
        "PIP_FIND_LINKS": str(wheels),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    script = step("test-dist", "Install the wheel alone")["run"]
    proc = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=src, env=env, capture_output=True, text=True,
                          timeout=900, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (runner_temp / "project" / "out" / ".oci" / "index.json").is_file()
