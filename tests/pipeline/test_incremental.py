"""A rebuild with nothing changed stops at the fingerprint; any change to inputs or out/ renders again."""

from __future__ import annotations

from pathlib import Path

from genplat import BuildOptions, build

from .conftest import snapshot


def _build(project: Path, **kw: object) -> object:
    result = build(BuildOptions(project=project, **kw))  # type: ignore[arg-type]
    assert result.ok, result.diagnostics
    return result


def test_nothing_changed_skips_rendering(project: Path) -> None:
    first = _build(project)
    assert not first.up_to_date_by_fingerprint and first.objects > 0
    again = _build(project)
    assert again.up_to_date_by_fingerprint and again.objects == 0
    assert set(again.timings) == {"fingerprint"}


def test_full_renders_anyway(project: Path) -> None:
    _build(project)
    assert not _build(project, incremental=False).up_to_date_by_fingerprint


def test_blueprint_or_template_edit_renders_again(project: Path) -> None:
    _build(project)
    tenant = project / "blueprints/tenants/globex.yaml"
    tenant.write_text(tenant.read_text() + "\n# a comment changes the bytes\n")
    assert not _build(project).up_to_date_by_fingerprint
    assert _build(project).up_to_date_by_fingerprint
    (project / "blueprints/templates/tenant").mkdir(parents=True)
    (project / "blueprints/templates/tenant/x.yaml.j2").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: {{ namespace }}\n"
    )
    r = _build(project)
    assert not r.up_to_date_by_fingerprint
    assert "name: x" in (project / "out/dev/dev-eu/tenants/globex.yaml").read_text()


def test_tampered_missing_or_extra_output_is_repaired(project: Path) -> None:
    _build(project)
    good = snapshot(project / "out")
    target = project / "out/dev/dev-eu/tenants/globex.yaml"
    target.write_text(target.read_text() + "# edited by hand\n")
    assert not _build(project).up_to_date_by_fingerprint
    assert snapshot(project / "out") == good
    target.unlink()
    assert not _build(project).up_to_date_by_fingerprint
    assert snapshot(project / "out") == good
    (project / "out/dev/dev-eu/tenants/stray.yaml").write_text("a: 1\n")
    assert not _build(project).up_to_date_by_fingerprint
    assert snapshot(project / "out") == good


def test_output_bytes_do_not_depend_on_the_state(project: Path, tmp_path: Path) -> None:
    _build(project)
    with_state = {k: v for k, v in snapshot(project / "out").items() if not k.startswith(".")}
    fresh = tmp_path / "fresh"
    _build(project, out_dir=fresh, incremental=False)
    assert {k: v for k, v in snapshot(fresh).items() if not k.startswith(".")} == with_state  # .genplat/: lock
