"""The wheel users install works on its own: built from this checkout, installed alone into a fresh
virtualenv outside the repository, it validates, builds, checks and packages a copy of the examples.

An editable install hides a package left out of the wheel (the checkout is on sys.path); this does not.
The runtime dependencies come from the locked, hash-checked wheelhouse `make test-deps` fills, so the test
needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.upstream_parts import _missing, upstream

REPO = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.slow
def test_wheel_installed_alone_runs_the_pipeline(tmp_path: Path) -> None:
    wheels = upstream.wheelhouse()
    if not any(wheels.glob("*.whl")):
        _missing(f"no locked runtime wheels in {wheels}: run `make wheels`")
    # Build from a copy so the checkout gets no build/ or egg-info of the test's making.
    src = tmp_path / "src"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            ".venv*", ".git", "out", "__pycache__", "*.egg-info", ".mypy_cache", ".pytest_cache", ".hypothesis", "bench"
        ),
    )
    built = _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(src)],
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "Warning" not in built.stderr and "deprecated" not in built.stderr.lower(), built.stderr
    (wheel,) = (tmp_path / "dist").glob("genplat-*.whl")

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path).returncode == 0
    pip = _run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
            str(wheels),
            str(wheel),
        ],
        cwd=tmp_path,
    )
    assert pip.returncode == 0, pip.stderr

    project = tmp_path / "project"
    shutil.copytree(REPO / "blueprints", project / "blueprints")
    shutil.copytree(REPO / "out", project / "out", ignore=shutil.ignore_patterns(".oci", ".genplat"))
    genplat = str(venv / "bin" / "genplat")
    for args in (
        ["validate", "blueprints"],
        ["build", "--check"],
        ["check", "out", "--blueprints", "blueprints"],
        ["package"],
    ):
        res = _run([genplat, *args], cwd=project)
        assert res.returncode == 0, f"genplat {' '.join(args)}: {res.stdout}{res.stderr}"
    # The installed genplat is the wheel's, not the checkout's.
    where = _run([str(venv / "bin" / "python"), "-c", "import genplat; print(genplat.__file__)"], cwd=project)
    assert str(venv) in where.stdout, where.stdout
    assert list((project / "out" / ".oci").rglob("index.json"))
