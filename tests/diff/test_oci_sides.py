"""`genplat diff` against bundles in a real registry: what a cluster pulled vs. what a change renders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.registry import Registry, package_and_push, run_genplat

pytestmark = pytest.mark.registry

EXAMPLES = Path(__file__).resolve().parents[2] / "blueprints"


def test_diff_pushed_bundle_against_a_local_change(tmp_path: Path, registry: Registry) -> None:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES, root / "blueprints")
    assert run_genplat("build", cwd=root).returncode == 0
    pushed = package_and_push(root, registry, "live")
    ref = f"{registry.host}/platform/dev-dev-eu@{pushed['dev-dev-eu']}"

    same = run_genplat("diff", ref, "dir:out", "--bundle", "dev/dev-eu", "--insecure", "--exit-code", cwd=root)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "no differences" in same.stdout

    tenant = root / "blueprints/tenants/globex.yaml"
    tenant.write_text(tenant.read_text().replace("globex-checkout:1.5.0", "globex-checkout:1.6.0"))
    assert run_genplat("build", cwd=root).returncode == 0
    changed = run_genplat(
        "diff",
        f"{registry.host}/platform/dev-dev-eu:live",
        "dir:out",
        "--bundle",
        "dev/dev-eu",
        "--insecure",
        "--exit-code",
        "--format",
        "json",
        cwd=root,
    )
    assert changed.returncode == 1, changed.stderr
    report = json.loads(changed.stdout)
    texts = json.dumps(report)
    assert "globex-dev/checkout" in texts and "1.5.0" in texts and "1.6.0" in texts
