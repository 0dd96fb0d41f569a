"""Tenant values are data: nothing a tenant writes can change a manifest's structure."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from genplat.cli import cli

HOSTILE = [
    "\nkind: ClusterRoleBinding",
    "x\n---\napiVersion: v1\nkind: Secret",
    "{{ 7*7 }}",
    "!!python/object/apply:os.system ['id']",
    "--- ",
    "...",
    "&anchor *alias",
    "'; DROP TABLE",
    "on",
    "1e3",
    "#comment",
]


def test_hostile_values_stay_literal_strings(project: Path) -> None:
    tenant = project / "blueprints/tenants/globex.yaml"
    text = tenant.read_text()
    env = ", ".join(f"X{i}: {yaml.safe_dump(v, default_style=chr(34)).strip()}" for i, v in enumerate(HOSTILE))
    text = text.replace('env: {LOG_LEVEL: warn, FEATURE_NEW_CART: "true"}', "env: {LOG_LEVEL: warn, " + env + "}")
    desc = yaml.safe_dump("\nkind: ClusterRoleBinding\n{{ 7*7 }}", default_style='"').strip()
    text = text.replace("description: Globex Corporation (customer)", f"description: {desc}")
    tenant.write_text(text)
    r = CliRunner().invoke(cli, ["build", str(project)])
    assert r.exit_code == 0, r.stderr
    docs = list(yaml.safe_load_all((project / "out/dev/dev-eu/tenants/globex.yaml").read_text()))
    kinds = [d["kind"] for d in docs]
    assert "ClusterRoleBinding" not in kinds and "Secret" not in kinds
    ns = next(d for d in docs if d["kind"] == "Namespace")
    assert ns["metadata"]["annotations"]["genplat.dev/description"] == "\nkind: ClusterRoleBinding\n{{ 7*7 }}"
    found = {}
    for d in docs:
        for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []:
            for e in c.get("env") or []:
                found[e["name"]] = e.get("value")
    if found:  # Knative Services render env (when that renderer is present)
        for i, v in enumerate(HOSTILE):
            assert found[f"X{i}"] == v


def test_path_like_tenant_names_are_refused_and_nothing_is_written(project: Path) -> None:
    bad = project / "blueprints/tenants/evil.yaml"
    for name in ("../../etc", "/etc/passwd", "a/../../b"):
        bad.write_text(
            "apiVersion: genplat.dev/v1alpha1\nkind: Tenant\nmetadata:\n"
            f"  name: {yaml.safe_dump(name).splitlines()[0]}\n"
            "spec:\n  tier: small\n  environments: [{name: dev}]\n"
        )
        r = CliRunner().invoke(cli, ["build", str(project)])
        assert r.exit_code == 1
        assert "name-invalid" in r.stdout + r.stderr
        assert not (project / "out").exists()
        assert not (project.parent / "etc").exists()
