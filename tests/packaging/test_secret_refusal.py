"""``genplat package`` and ``genplat push`` refuse bundles that hold a secret, whatever wrote them, and
say so without the value; a value the platform declares not secret (``spec.secrets.allow``) passes
every command, is recorded in the lock file, and shows in ``genplat diff``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import genplat
from genplat.core.secrets import scan, value_digest
from genplat.output.lockfile import make_lockfile
from genplat.packaging import package_bundle, write_layout
from tests.conftest import run_genplat
from tests.core.secret_corpus import ALNUM, _rnd, leaks

BASE = Path(__file__).resolve().parents[1] / "validation" / "base"
# Built at run time (see tests/core/secret_corpus.py): a Slack bot token and a Stripe publishable key.
TOKEN = next(c.value for c in leaks() if c.id == "slack-bot-token")
PUBLISHABLE = "pk_" + "live_" + "51" + _rnd(ALNUM, 60, "publishable")
LEAK_DOC = f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hand-edited\n  namespace: acme-dev\ndata:\n  CHATOPS: {TOKEN}\n"


def _project(tmp: Path) -> Path:
    project = tmp / "project"
    shutil.copytree(BASE, project / "blueprints")
    (project / "blueprints" / "tenants" / "beta.yaml").unlink()
    return project


def test_package_refuses_a_tree_with_a_secret_and_writes_no_layout(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert run_genplat("build", str(project)).code == 0
    tenant_file = project / "out" / "dev" / "dev-1" / "tenants" / "acme.yaml"
    tenant_file.write_text(tenant_file.read_text("utf-8") + LEAK_DOC, "utf-8")  # edited by hand after the build
    line = tenant_file.read_text("utf-8").splitlines().index(f"  CHATOPS: {TOKEN}") + 1
    for fmt in ("text", "json"):
        r = run_genplat("package", str(project / "out"), "--format", fmt)
        assert r.code == 1, r.stdout + r.stderr
        assert TOKEN not in r.stdout + r.stderr
        assert "Slack Token" in r.stdout + r.stderr
    doc = json.loads(run_genplat("package", str(project / "out"), "--format", "json").stdout)
    (finding,) = doc["diagnostics"]
    assert finding["rule"] == "secret-value" and finding["line"] == line, finding
    assert finding["file"].endswith("dev/dev-1/tenants/acme.yaml")
    assert not (project / "out" / ".oci").exists()


def test_push_refuses_a_layout_with_a_secret_before_sending_anything(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = {"tenants/acme.yaml": LEAK_DOC.encode(), "kustomization.yaml": b"resources: [tenants/acme.yaml]\n"}
    art = package_bundle(files, fmt="flux")  # packed by hand (or by an older genplat): package never ran
    write_layout(out / ".oci", {"dev-dev-1": art})
    (out / "genplat.lock.json").write_bytes(
        make_lockfile({"dev/dev-1": files}, oci_digests={"dev/dev-1": {"flux": art.digest}})
    )
    for fmt in ("text", "json"):
        # Port 9 (discard) on loopback: nothing listens, and nothing may be sent before the refusal.
        r = run_genplat(
            "push", "--layout", str(out / ".oci"), "--registry", "127.0.0.1:9/acme", "--insecure", "--format", fmt
        )
        assert r.code == 1, r.stdout + r.stderr
        assert TOKEN not in r.stdout + r.stderr
        assert "secret" in r.stdout + r.stderr


def test_a_value_declared_not_secret_passes_every_command_and_shows_in_the_diff(tmp_path: Path) -> None:
    assert scan(PUBLISHABLE, key="STRIPE_PUBLISHABLE"), "the example must look like a secret to the detector"
    base = _project(tmp_path / "base")
    assert run_genplat("build", str(base)).code == 0
    head = _project(tmp_path / "head")
    acme = head / "blueprints" / "tenants" / "acme.yaml"
    acme.write_text(
        acme.read_text("utf-8").replace(
            "      port: 8080\n", f"      port: 8080\n      env: {{STRIPE_PUBLISHABLE: {PUBLISHABLE}}}\n"
        ),
        "utf-8",
    )
    r = run_genplat("validate", str(head / "blueprints"))
    assert r.code == 1 and "STRIPE_PUBLISHABLE" in r.stdout and PUBLISHABLE not in r.stdout
    platform = head / "blueprints" / "platform.yaml"
    reason = "Stripe publishable key: public by design, shipped to browsers"
    platform.write_text(
        platform.read_text("utf-8").replace(
            "    store: {kind: ClusterSecretStore, name: vault}\n",
            f"    store: {{kind: ClusterSecretStore, name: vault}}\n    allow:\n      - value: {PUBLISHABLE}\n        reason: {json.dumps(reason)}\n",
        ),
        "utf-8",
    )
    assert run_genplat("validate", str(head / "blueprints")).code == 0
    r = run_genplat("build", str(head))
    assert r.code == 0, r.stdout + r.stderr
    lock = json.loads((head / "out" / "genplat.lock.json").read_text("utf-8"))
    assert lock["secretAllowances"] == [{"sha256": value_digest(PUBLISHABLE), "reason": reason}]
    assert PUBLISHABLE in (head / "out" / "dev" / "dev-1" / "tenants" / "acme.yaml").read_text("utf-8")
    r = run_genplat("check", str(head / "out"), "--format", "json")
    assert not [d for d in json.loads(r.stdout)["diagnostics"] if d["rule"] == "secret-value"]
    assert run_genplat("package", str(head / "out")).code == 0
    r = run_genplat("diff", str(base), str(head), "--format", "json")
    risks = [x for x in json.loads(r.stdout)["risks"] if x["rule"] == "secret-allowed"]
    assert len(risks) == 1 and reason in risks[0]["message"] and PUBLISHABLE not in r.stdout, r.stdout
    assert risks[0]["cause"]["path"] == "spec.secrets.allow[0]"
    # Without the allowance the same tree is refused: the allowance, not the value, made it pass.
    (head / "out" / "genplat.lock.json").write_text(json.dumps({**lock, "secretAllowances": []}), "utf-8")
    assert genplat.check([head / "out"])
    assert run_genplat("package", str(head / "out")).code == 1
