from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from genplat.cli import cli


def build(project: Path) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["build", str(project)])
    return r.exit_code, r.stdout + r.stderr


def docs(path: Path) -> list[dict]:
    return list(yaml.safe_load_all(path.read_text()))


def test_tenant_template_overrides_a_builtin_object_and_adds_one(project: Path) -> None:
    tdir = project / "blueprints/templates/tenant"
    tdir.mkdir(parents=True)
    (tdir / "quota.yaml.j2").write_text(
        "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: tenant-quota\n  namespace: {{ namespace }}\n"
        "spec:\n  hard:\n    pods: {{ (tenant.tier.quota.pods * 2) | string }}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tenant-info\n  namespace: {{ namespace }}\n"
        "data:\n  description: {{ tenant.description }}\n  cluster: {{ cluster.name }}\n"
    )
    code, out = build(project)
    assert code == 0, out
    objs = docs(project / "out/dev/dev-eu/tenants/globex.yaml")
    quotas = [o for o in objs if o["kind"] == "ResourceQuota"]
    assert len(quotas) == 1 and quotas[0]["spec"]["hard"] == {"pods": "40"}  # dev tier is small: 20 pods
    cm = next(o for o in objs if o["kind"] == "ConfigMap")
    assert cm["data"] == {"description": "Globex Corporation (customer)", "cluster": "dev-eu"}
    text = (project / "out/dev/dev-eu/tenants/globex.yaml").read_text()
    assert "# source: blueprints/templates/tenant/quota.yaml.j2#ResourceQuota/globex-dev/" in text


def test_template_values_cannot_inject_structure(project: Path) -> None:
    tenant = project / "blueprints/tenants/globex.yaml"
    tenant.write_text(
        tenant.read_text().replace(
            "description: Globex Corporation (customer)",
            'description: "x\\nkind: ClusterRoleBinding\\n---\\nkind: Secret {{ 7*7 }}"',
        )
    )
    tdir = project / "blueprints/templates/tenant"
    tdir.mkdir(parents=True)
    (tdir / "info.yaml.j2").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: info\n  namespace: {{ namespace }}\ndata:\n  d: {{ tenant.description }}\n"
    )
    code, out = build(project)
    assert code == 0, out
    objs = docs(project / "out/dev/dev-eu/tenants/globex.yaml")
    assert not any(o["kind"] in ("ClusterRoleBinding", "Secret") for o in objs)
    cm = next(o for o in objs if o["kind"] == "ConfigMap")
    assert cm["data"]["d"] == "x\nkind: ClusterRoleBinding\n---\nkind: Secret {{ 7*7 }}"


def test_undefined_names_and_sandbox_escapes_are_findings(project: Path) -> None:
    tdir = project / "blueprints/templates/platform"
    tdir.mkdir(parents=True)
    (tdir / "bad.yaml.j2").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ nope.name }}\n")
    (tdir / "escape.yaml.j2").write_text("x: {{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    code, out = build(project)
    assert code == 1
    assert "template-error" in out and "bad.yaml.j2" in out and "escape.yaml.j2" in out
    assert not (project / "out").exists()


def test_composite_resources_are_checked_against_the_rendered_xrd(project: Path) -> None:
    """XRs have no upstream CRD; the build derives one from the XRD it renders and checks them."""
    tdir = project / "blueprints/templates/tenant"
    tdir.mkdir(parents=True)
    (tdir / "xr.yaml.j2").write_text(
        "{% if tenant.name == 'initech' %}apiVersion: platform.acme.example/v1alpha1\nkind: PostgresInstance\n"
        "metadata:\n  name: reports-db\n  namespace: {{ namespace }}\nspec:\n  parameters:\n    storageGB: lots\n{% endif %}\n"
    )
    code, out = build(project)
    assert code == 1, out
    assert "PostgresInstance/initech-dev/reports-db" in out and "spec.parameters.storageGB" in out


def test_template_object_names_cannot_escape_in_per_object_output(project: Path) -> None:
    tdir = project / "blueprints/templates/platform"
    tdir.mkdir(parents=True)
    (tdir / "evil.yaml.j2").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ../../../escaped\n  namespace: default\n"
    )
    r = CliRunner().invoke(cli, ["build", str(project), "--split", "per-object"])
    assert r.exit_code == 0, r.stdout + r.stderr
    assert not list(project.rglob("escaped.yaml"))  # no file anywhere under that name
    names = [p.name for p in (project / "out/dev/dev-eu/platform/templates").iterdir()]
    assert len(names) == 1 and names[0].startswith("configmap_default_") and names[0].endswith("_escaped.yaml")
    assert ".." not in names[0]
