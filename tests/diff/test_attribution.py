"""Reading ``# source:`` comments in both forms (``file:line`` and the stable ``file#anchor``) against
the real example blueprints, and attributing a change of rendered output that carries anchors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from genplat.diff import diff
from genplat.loader.sources import blueprints_from_folder, parse_anchor, resolve_source

from . import examples as ex


def _line(file: str, needle: str) -> int:
    lines = (ex.REPO / file).read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_anchor_grammar() -> None:
    assert parse_anchor('spec.services[checkout].env["LOG.LEVEL"]') == [
        "spec",
        "services",
        ("checkout",),
        "env",
        "LOG.LEVEL",
    ]
    assert parse_anchor("spec.environments[0].tier") == ["spec", "environments", 0, "tier"]
    assert parse_anchor("spec..x") is None


def test_both_source_forms_resolve_to_the_same_line() -> None:
    bps = blueprints_from_folder(ex.REPO)
    assert bps is not None
    checkout = _line("blueprints/tenants/globex.yaml", "- name: checkout")
    by_anchor = resolve_source("blueprints/tenants/globex.yaml#spec.services[checkout]", bps)
    assert (by_anchor.file, by_anchor.line, by_anchor.path) == (
        "blueprints/tenants/globex.yaml",
        checkout,
        "spec.services[checkout]",
    )
    by_line = resolve_source(f"blueprints/tenants/globex.yaml:{checkout}", bps)
    assert (by_line.line, by_line.path) == (checkout, "spec.services[checkout]")
    allow = _line("blueprints/platform.yaml", "allowedRegistries:")
    assert resolve_source(f"blueprints/platform.yaml:{allow}", bps).path == "spec.policies.allowedRegistries"
    assert resolve_source("blueprints/platform.yaml#spec.policies.allowedRegistries", bps).line == allow
    # Without blueprints (an OCI side) the anchor is kept, the line is unknown.
    unknown = resolve_source("blueprints/platform.yaml#spec.policies", None)
    assert (unknown.line, unknown.path) == (None, "spec.policies")


def _to_anchors(out: Path, project: Path) -> None:
    """Rewrite every ``# source: file:line`` of an output folder into ``file#path`` (what issue 14's
    stable anchors write), using genplat's own resolution of the line to a path."""
    bps = blueprints_from_folder(project)
    for f in out.rglob("*.yaml"):
        text = f.read_text(encoding="utf-8")

        def anchor(m: re.Match[str]) -> str:
            c = resolve_source(f"{m.group(1)}:{m.group(2)}", bps)
            return f"# source: {c.file}#{c.path}" if c.path else m.group(0)

        f.write_text(re.sub(r"^# source: (\S+?):(\d+)$", anchor, text, flags=re.M), encoding="utf-8")


def test_attribution_with_anchored_output(tmp_path: Path) -> None:
    """Output folders whose comments are anchors: the change is credited to the right line, and the
    peer policy to the other tenant's allowFrom even without blueprints."""
    base_p = ex.copy_project(tmp_path / "base")
    head_p = ex.copy_project(tmp_path / "head")
    ex.replace(
        head_p / "blueprints/tenants/umbrella.yaml",
        "allowFrom: [globex, initech]",
        "allowFrom: [globex, initech, tools]",
    )
    outs = []
    for p in (base_p, head_p):
        out = ex.build(p, p / "out")
        _to_anchors(out, p)
        outs.append(out)
    assert (
        "# source: blueprints/tenants/umbrella.yaml#spec.network"
        in (outs[1] / "dev/dev-eu/tenants/umbrella.yaml").read_text()
    )
    result = diff(f"dir:{outs[0]}", f"dir:{outs[1]}")
    causes = {(o.key.bundle, o.key.namespace, o.key.name): o.cause for o in result.objects}
    to_peers = causes[("dev/dev-eu", "tools-dev", "allow-to-peers")]
    assert (to_peers.file, to_peers.note) == ("blueprints/tenants/umbrella.yaml", "umbrella's allowFrom lists tools")
    # With blueprints (project folders), the anchor gets its line back.
    shutil.rmtree(base_p / "out")
    shutil.rmtree(head_p / "out")
    result = diff(str(base_p), str(head_p))
    allow_line = _line("blueprints/tenants/umbrella.yaml", "allowFrom:")
    for o in result.objects:
        assert (o.cause.file, o.cause.line) == ("blueprints/tenants/umbrella.yaml", allow_line), o.key
        assert o.cause.note == "umbrella's allowFrom lists tools"
    assert {r.rule for r in result.risks} == {"network-peers-added"}
