"""The platform side of egress: offerings' entries, and the warning for an offering that declares none."""

from __future__ import annotations

import shutil
from pathlib import Path

import genplat
from genplat.core.diagnostics import Severity

REPO = Path(__file__).resolve().parents[2]


def _examples(tmp_path: Path) -> Path:
    root = tmp_path / "blueprints"
    shutil.copytree(REPO / "blueprints", root)
    return root


def test_an_offering_without_egress_for_a_cluster_is_a_warning(tmp_path: Path) -> None:
    root = _examples(tmp_path)
    platform = root / "platform.yaml"
    text = platform.read_text("utf-8")
    line = "        - {cluster: prod-eu, cidrs: [10.90.0.0/20], ports: [5432]}   # prod-eu's own peering range\n"
    gke = "        - {provider: gke, cidrs: [10.80.0.0/20], ports: [5432]}      # Cloud SQL private services access\n"
    assert line in text and gke in text
    platform.write_text(text.replace(line, "").replace(gke, ""), "utf-8")
    found = genplat.validate(genplat.load_project(root))
    (d,) = found
    assert (d.rule, d.severity, d.path) == ("egress-missing", Severity.WARNING, "spec.offerings[0].name")
    assert "'dev-eu', 'prod-eu'" in d.message  # prod-us (eks) keeps its entry; it has no crossplane anyway


def test_offering_entries_are_checked(tmp_path: Path) -> None:
    root = _examples(tmp_path)
    platform = root / "platform.yaml"
    text = platform.read_text("utf-8")
    old = "{cluster: prod-eu, cidrs: [10.90.0.0/20], ports: [5432]}"
    platform.write_text(
        text.replace(old, "{cluster: prod-xx, cidrs: [10.90.0.1/20], ports: [5432]}").replace(
            "{provider: eks, cidrs: [10.1.64.0/18]", "{provider: gke, cidrs: [10.1.64.0/18]"
        ),
        "utf-8",
    )
    found = sorted((d.rule, d.path) for d in genplat.validate(genplat.load_project(root)))
    assert found == [
        ("egress-invalid", "spec.offerings[0].egress[1].cidrs[0]"),
        ("egress-invalid", "spec.offerings[0].egress[1].cluster"),
        ("egress-invalid", "spec.offerings[0].egress[2]"),
    ]
