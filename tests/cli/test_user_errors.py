"""User errors exit 1 or 2 with one clear message, never 3 ("internal or external failure")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_genplat


@pytest.fixture
def starter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    monkeypatch.chdir(root)
    assert run_genplat("init").code == 0
    return root


def test_tenant_new_with_an_invalid_name_is_a_usage_error_naming_a_valid_one(starter: Path) -> None:
    res = run_genplat("tenant", "new", "Bad_Name")
    assert res.code == 2 and "'Bad_Name' is not a valid tenant name" in res.stderr and "'bad-name'" in res.stderr
    assert not res.stdout and sorted(p.name for p in (starter / "blueprints" / "tenants").iterdir()) == [
        "data.yaml",
        "web.yaml",
    ]
    assert run_genplat("tenant", "new", "../escape").code == 2 and not (starter / "blueprints" / "escape.yaml").exists()


def test_tenant_new_shows_findings_on_the_lines_it_would_have_written(starter: Path) -> None:
    res = run_genplat("tenant", "new", "shop", "--tier", "huge")
    assert res.code == 1 and not (starter / "blueprints" / "tenants" / "shop.yaml").exists()
    lines = res.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "error[unknown-tier]" in line)
    assert lines[at].startswith("blueprints/tenants/shop.yaml:9:9: ")
    assert lines[at + 1] == "  9 |   tier: huge   # offered: small, large" and lines[at + 2] == "    |         ^"
    assert "not written" in res.stderr and "what it would hold" in res.stderr


def test_a_stale_out_is_refused_by_package_with_exit_1(starter: Path) -> None:
    assert run_genplat("package").code == 2  # nothing built yet: no out/ to package
    assert run_genplat("build").code == 0
    bundle = starter / "out" / "dev" / "dev-1" / "tenants" / "web.yaml"
    bundle.write_text(bundle.read_text() + "# edited by hand\n")
    res = run_genplat("package")
    assert res.code == 1, res
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "run `genplat build`" in lines[0] and "internal" not in lines[0]


def test_push_before_package_is_a_usage_error(starter: Path) -> None:
    assert run_genplat("build").code == 0
    res = run_genplat("push", "--registry", "127.0.0.1:9/x", "--other-registry", "--insecure")
    assert res.code == 2 and "run `genplat package` first" in res.stderr
