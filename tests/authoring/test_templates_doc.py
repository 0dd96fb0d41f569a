"""docs/templates.md shows the template context's exact shape, and template errors point at their line."""

from __future__ import annotations

import json
import re
import shutil
import typing as t
from pathlib import Path

import pytest

import genplat
from genplat.loader.project import load_project
from genplat.rendering.chunks import Renderer, template_context
from genplat.rendering.templates import Templates
from genplat.resolver.model import resolve

REPO = Path(__file__).resolve().parent.parent.parent
DOC = REPO / "docs" / "templates.md"


def _keys(context: dict[str, t.Any]) -> dict[str, set[str]]:
    """The fixed part of the context: its objects' keys (maps such as env or labels are the blueprint's)."""
    tenant = context.get("tenant") or {}
    out = {"": set(context), "platform": set(context["platform"]), "cluster": set(context["cluster"])}
    if tenant:
        out["tenant"] = set(tenant)
        for part in ("services", "resources", "events"):
            for item in tenant[part]:
                out.setdefault(f"tenant.{part}[]", set()).update(item)
    return out


def test_documented_context_has_exactly_the_keys_templates_get() -> None:
    documented = json.loads(re.search(r"```json\n(.*?)```", DOC.read_text("utf-8"), flags=re.S).group(1))  # type: ignore[union-attr]
    platform, bundles = resolve(load_project(REPO / "blueprints"))
    renderer = Renderer(platform, Templates([]), split="per-tenant", display_root=REPO, checker=None)
    actual: dict[str, set[str]] = {}
    for bundle, targets in bundles.items():
        ctx = renderer.context(bundle, targets)
        assert _keys(template_context(ctx, None)) == {
            k: v for k, v in _keys(documented).items() if k in ("platform", "cluster")
        } | {"": {"platform", "cluster"}}  # platform templates: no tenant, no namespace
        for target in targets:  # every example tenant, so lists empty for one are filled by another
            for key, names in _keys(template_context(ctx, target)).items():
                actual.setdefault(key, set()).update(names)
    assert _keys(documented) == actual


def test_template_error_at_the_line_of_the_bad_expression(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "blueprints", root / "blueprints")
    (root / "blueprints" / "templates" / "tenant").mkdir(parents=True)
    (root / "blueprints" / "templates" / "tenant" / "cm.yaml.j2").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: {{ namespace }}\ndata:\n"
        "  tier: {{ tenant.tierName }}\n  oops: {{ tenant.tiername }}\n"
    )
    monkeypatch.chdir(root)
    result = genplat.build(
        genplat.BuildOptions(project=Path("."), out_dir=tmp_path / "out", check_only=True, incremental=False, jobs=1)
    )
    errors = [d for d in result.diagnostics if d.rule == "template-error"]
    assert errors and {(d.file, d.line) for d in errors} == {("blueprints/templates/tenant/cm.yaml.j2", 8)}
    assert "docs/templates.md" in (errors[0].hint or "") and DOC.is_file()
