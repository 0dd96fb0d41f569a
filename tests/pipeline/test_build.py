from __future__ import annotations

import os
from pathlib import Path

import yaml
from click.testing import CliRunner

from genplat.cli import cli
from genplat.pipeline import BuildOptions, build

from .conftest import ROOT, snapshot


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_build_twice_is_byte_identical_and_leaves_unchanged_files_alone(project: Path) -> None:
    code, _, err = run("build", str(project))
    assert code == 0, err
    first = snapshot(project / "out")
    stats = {p: os.stat(project / "out" / p).st_mtime_ns for p in first}
    for extra in ([], ["--full"]):
        code, _, err = run("build", str(project), *extra)
        assert code == 0, err
        assert snapshot(project / "out") == first
        assert {p: os.stat(project / "out" / p).st_mtime_ns for p in first} == stats
    assert "0 file(s) written" in err


def test_layout_has_bundles_kustomizations_and_lock(project: Path) -> None:
    assert run("build", str(project))[0] == 0
    out = project / "out"
    for bundle in ("dev/dev-eu", "prod/prod-eu", "prod/prod-us"):
        kust = yaml.safe_load((out / bundle / "kustomization.yaml").read_text())
        assert kust["resources"] == ["addons", "platform", "tenants"]  # the layers, in the order they apply
        listed = sorted(
            f"{layer}/{r}"
            for layer in kust["resources"]
            for r in yaml.safe_load((out / bundle / layer / "kustomization.yaml").read_text())["resources"]
        )
        on_disk = sorted(
            p.relative_to(out / bundle).as_posix()
            for p in (out / bundle).rglob("*.yaml")
            # (an add-on's own folder, addons/<name>/, is built by that add-on's Kustomization)
            if p.name != "kustomization.yaml" and len(p.relative_to(out / bundle).parts) == 2
        )
        assert listed == on_disk
        assert (out / bundle / "tenants" / "globex.yaml").exists()
    assert not (out / "prod/prod-us/tenants/initech.yaml").exists()  # initech runs only on prod-eu in prod
    assert (out / "genplat.lock.json").exists()


def test_every_document_names_its_blueprint_source(project: Path) -> None:
    assert run("build", str(project))[0] == 0
    text = (project / "out/dev/dev-eu/tenants/globex.yaml").read_text()
    docs = text.split("---\n")[1:]
    assert docs
    for doc in docs:
        first = doc.splitlines()[0]
        assert first.startswith("# source: blueprints/"), first
        file, _, anchor = first.removeprefix("# source: ").partition("#")
        assert (project / file).exists() and anchor, first
        assert not any(part.isdigit() for part in anchor.replace("[", ".").replace("]", "").split(".")), first


def test_output_reads_back_with_a_yaml_1_1_parser(project: Path) -> None:
    assert run("build", str(project))[0] == 0
    for path in (project / "out").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            assert isinstance(doc, dict) and doc["apiVersion"] and doc["kind"]


def test_check_passes_on_fresh_output_and_fails_after_an_edit(project: Path) -> None:
    assert run("build", str(project))[0] == 0
    code, out, err = run("build", str(project), "--check")
    assert code == 0, out + err
    tenant = project / "blueprints/tenants/globex.yaml"
    tenant.write_text(tenant.read_text().replace("hank@globex.example", "hank2@globex.example"))
    before = snapshot(project / "out")
    code, out, _ = run("build", str(project), "--check")
    assert code == 1
    assert "stale: dev/dev-eu/tenants/globex.yaml" in out
    assert snapshot(project / "out") == before  # --check writes nothing


def test_check_reports_missing_and_extra_files(project: Path) -> None:
    assert run("build", str(project))[0] == 0
    (project / "out/dev/dev-eu/tenants/globex.yaml").unlink()
    (project / "out/dev/dev-eu/tenants/ghost.yaml").write_text("x: 1\n")
    code, out, _ = run("build", str(project), "--check")
    assert code == 1
    assert "missing: dev/dev-eu/tenants/globex.yaml" in out
    assert "extra: dev/dev-eu/tenants/ghost.yaml" in out


def test_an_error_leaves_previous_output_byte_identical(project: Path) -> None:
    assert run("build", str(project))[0] == 0
    before = snapshot(project / "out")
    tenant = project / "blueprints/tenants/globex.yaml"
    tenant.write_text(tenant.read_text().replace("tier: medium", "tier: huge"))
    code, _, err = run("build", str(project))
    assert code == 1
    assert "unknown-tier" in err or "unknown-tier" in _  # reported
    assert snapshot(project / "out") == before


def test_removed_tenant_files_disappear(project: Path) -> None:
    assert run("build", str(project))[0] == 0
    (project / "blueprints/tenants/umbrella.yaml").unlink()
    (project / "blueprints/tenants/globex.yaml").write_text(
        (project / "blueprints/tenants/globex.yaml").read_text().replace("allowFrom: [initech]", "allowFrom: [initech]")
    )
    assert run("build", str(project))[0] == 0
    assert not list((project / "out").rglob("umbrella.yaml"))


def test_hidden_entries_in_out_are_kept(project: Path) -> None:
    assert run("build", str(project))[0] == 0
    (project / "out/.oci").mkdir()
    (project / "out/.oci/index.json").write_text("{}")
    assert run("build", str(project))[0] == 0
    assert (project / "out/.oci/index.json").read_text() == "{}"


def test_split_per_object(project: Path) -> None:
    code, _, err = run("build", str(project), "--split", "per-object")
    assert code == 0, err
    files = list((project / "out/dev/dev-eu/tenants/globex").glob("*.yaml"))
    assert any(f.name == "namespace_globex-dev.yaml" for f in files)
    for f in files:
        assert len(list(yaml.safe_load_all(f.read_text()))) == 1


def test_build_result_api(project: Path) -> None:
    result = build(BuildOptions(project=project))
    assert result.ok and result.objects > 50
    assert set(result.timings) >= {"load", "validate", "resolve", "render", "write"}


def test_committed_example_output_is_current() -> None:
    """CI's `genplat build --check` on the committed out/ of the repository."""
    code, out, err = run("build", str(ROOT), "--check")
    assert code == 0, out + err
