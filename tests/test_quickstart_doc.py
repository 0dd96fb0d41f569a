"""docs/quickstart.md works as written: its shell blocks run, in order, in an empty folder.

The only change is the registry address: the page's ``127.0.0.1:5000`` becomes the real
Distribution registry this test starts. The test then asks the registry for what was pushed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from tests.registry import Registry

DOC = Path(__file__).resolve().parents[1] / "docs" / "quickstart.md"


def test_quickstart_commands_run_as_written(registry: Registry, tmp_path: Path) -> None:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text("utf-8"), flags=re.S)
    assert len(blocks) >= 4
    script = "set -euo pipefail\n" + "".join(blocks).replace("127.0.0.1:5000", registry.host)
    assert "genplat init" in script and "genplat push" in script
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "NO_COLOR": "1",
    }
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    demo = tmp_path / "demo"
    shop = (demo / "blueprints" / "tenants" / "shop.yaml").read_text()
    assert "image: ghcr.io/example/shop:1.1.0" in shop and "port: 9000" in shop and "#   storageGB: 20" in shop
    assert "- name: worker" in shop and "- name: prod" in shop  # grown by commands
    assert (demo / "README.md").read_text() == "# Our platform\n"  # init kept the repository's README
    assert (demo / "out" / "prod" / "prod-1" / "tenants" / "shop.yaml").is_file()
    assert "shop-dev" in proc.stdout  # genplat diff showed the new tenant's objects
    assert "kind: Service" in (demo / "shop.yaml").read_text()
    # The registry holds the bundle under the digest `genplat package` printed and the lock file records.
    lock = json.loads((demo / "out" / "genplat.lock.json").read_text())
    digest = lock["bundles"]["dev/dev-1"]["oci"]["flux"]
    manifest = requests.get(
        f"{registry.url}/v2/platform/dev-dev-1/manifests/latest",
        timeout=10,
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert manifest.status_code == 200
    pushed = manifest.headers["Docker-Content-Digest"]
    assert re.search(rf"^dev-dev-1 +{pushed}$", proc.stdout, flags=re.M) and digest == pushed
