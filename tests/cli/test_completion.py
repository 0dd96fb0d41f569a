"""Live completion: the names of the project, completed as bash asks for them (a fresh process with
click's completion variables), and without loading a heavy library. The speed is in
bench/completion_bench.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

GENPLAT = str(Path(sys.executable).parent / "genplat")
HEAVY = ("requests", "jinja2", "jsonschema", "ruamel", "cryptography", "nacl", "kubernetes_validate")


def tab(words: str, cwd: Path) -> list[str]:
    """What bash would offer after ``words`` (ending in a space: a new word; else the word being typed)."""
    env = {
        **os.environ,
        "_GENPLAT_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    proc = subprocess.run([GENPLAT], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("completion") / "example"
    shutil.copytree(REPO / "blueprints", root / "blueprints")
    return root


def test_set_image_completes_the_tenants_then_that_tenants_services(example: Path) -> None:
    assert tab("genplat set-image ", example) == ["globex", "initech", "tools", "umbrella"]
    assert tab("genplat set-image g", example) == ["globex"]
    assert tab("genplat set-image globex ", example) == ["checkout"]
    assert tab("genplat set-image umbrella ", example) == ["notifier", "status"]


def test_environments_clusters_tiers_offerings_resources_and_bundles(example: Path) -> None:
    assert tab("genplat render --env ", example) == ["dev", "prod"]
    assert tab("genplat render --env prod --cluster ", example) == ["prod-eu", "prod-us"]
    assert tab("genplat render --cluster ", example) == ["dev-eu", "prod-eu", "prod-us"]
    assert tab("genplat render --tenant i", example) == ["initech"]
    assert tab("genplat tenant new shop --tier ", example) == ["small", "medium", "large"]
    assert tab("genplat tenant new shop --env ", example) == ["dev", "prod"]
    assert tab("genplat tenant new shop --resource db=p", example) == ["db=postgres"]
    assert tab("genplat resource add globex db ", example) == ["postgres", "dedicated-cluster", "vcluster"]
    assert tab("genplat resource remove initech ", example) == ["reports-db", "initech-gke", "sandbox"]
    assert tab("genplat cluster add ", example) == ["dev", "prod"]
    assert tab("genplat cluster remove prod-", example) == ["prod-eu", "prod-us"]
    assert tab("genplat service add globex web ghcr.io/acme/web:1 --pipeline ", example) == [
        "container-build",
        "maven-build",
    ]
    assert tab("genplat push ", example) == ["dev-dev-eu", "prod-prod-eu", "prod-prod-us"]
    assert tab("genplat diff --bundle prod/", example) == ["prod/*", "prod/prod-eu", "prod/prod-us"]


def test_names_follow_the_project_and_its_edits(example: Path, tmp_path: Path) -> None:
    """-C DIR names the project from elsewhere; a tenant added is completed at once (no cache to go stale)."""
    assert tab(f"genplat set-image -C {example} ", tmp_path) == ["globex", "initech", "tools", "umbrella"]
    inside = example / "blueprints" / "tenants"
    assert tab("genplat set-image t", inside) == ["tools"]
    (inside / "zeta.yaml").write_text((inside / "tools.yaml").read_text().replace("name: tools", "name: zeta", 1))
    try:
        assert tab("genplat set-image ", example)[-1] == "zeta"
    finally:
        (inside / "zeta.yaml").unlink()


def test_outside_a_project_names_complete_to_nothing(tmp_path: Path) -> None:
    assert tab("genplat set-image ", tmp_path) == []
    assert "set-image" in tab("genplat set", tmp_path)  # command names need no project


def test_a_tab_loads_no_heavy_library(example: Path) -> None:
    """Completion imports the command's module only: no HTTP, template, schema, ruamel or crypto library."""
    script = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})), file=sys.stderr))\n"
        "from genplat.cli import main\nmain()\n"
    )
    for words in (
        "genplat set-image ",
        "genplat render --env prod --cluster ",
        "genplat push ",
        "genplat diff --bundle ",
        "genplat resource add globex db ",
        "genplat tenant new x --tier ",
        "genplat check --kubernetes-version ",
        "genplat addons list --cluster ",
    ):
        env = {
            **os.environ,
            "_GENPLAT_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split(" ")) - 1),
        }
        proc = subprocess.run(
            [sys.executable, "-c", script],
            cwd=example,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.stdout, (words, proc.stderr)
        assert proc.stderr.strip().splitlines()[-1] == "[]", (words, proc.stderr)
