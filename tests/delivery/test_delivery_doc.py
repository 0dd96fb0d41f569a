"""docs/delivery.md stays true to the code: the options it shows exist, the JSON shape it shows is the
one ``--format json`` prints, and its text example has the layout genplat prints. (Its ClusterRole is
the one tests/cluster/test_flux_controllers.py binds a ServiceAccount to.)"""

from __future__ import annotations

import json
import re
import typing as t
from pathlib import Path

from genplat.delivery.model import ClusterStatus, Drift, Event, Inventory, ObjectProblem, StatusReport, UnitStatus
from genplat.delivery.report import format_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "delivery.md"


def _keys(value: t.Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(prefix + k)
            out |= _keys(v, prefix + k + ".")
    elif isinstance(value, list) and value:
        out |= _keys(value[0], prefix)
    return out


def test_the_options_shown_exist(genplat_cli: t.Any) -> None:
    text = DOC.read_text("utf-8")
    shown = set(re.findall(r"genplat status[^\n`]*?(--[a-z-]+)", text)) | set(re.findall(r"`(--[a-z-]+)", text))
    help_text = genplat_cli("status", "--help").stdout
    offered = set(re.findall(r"(--[a-z-]+)", help_text))
    assert {"--wait", "--drift", "--cluster", "--context", "--kubeconfig", "--format", "--timeout"} <= shown
    assert shown <= offered | {"--server-side", "--format"}, shown - offered  # kubectl's flag in the example


def test_the_json_shape_shown_is_the_one_printed() -> None:
    block = re.search(r"```json\n(.*?)```", DOC.read_text("utf-8"), flags=re.S)
    assert block is not None
    shown = json.loads(block.group(1).replace("…", ""))
    unit = UnitStatus(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        "b-tenants",
        "flux-system",
        "tenants",
        "failing",
        "s",
        events=[Event("Warning", "R", "m", "t", 1, "sha256:1")],
        objects=[ObjectProblem("Service/ns/x", "m", "f", 1, "s", "o", "globex")],
        inventory=Inventory(1, 1),
        nested=[],
    )
    cluster = ClusterStatus("b", "prod", "eu", "flux", "sha256:1", "w", "ctx", [unit], drift=[])
    printed = StatusReport([cluster], waited=1.0).to_dict()
    # Every key the page shows is printed, and the page shows every key but the nested ones it describes in prose.
    assert _keys(shown) <= _keys(printed), _keys(shown) - _keys(printed)
    described = {
        "clusters.units.inventory.applied",
        "clusters.units.inventory.expected",
        "clusters.units.inventory.missing",
        "clusters.units.inventory.extra",
    }
    assert _keys(printed) - _keys(shown) <= described
    drift = Drift("ResourceQuota/ns/q", "globex", ("spec.hard.pods",), ("kubectl-edit (Update, t)",), "f", 9)
    documented = re.search(r"a list of `\{(.*?)\}`", DOC.read_text("utf-8"), flags=re.S)
    assert documented is not None
    assert set(re.findall(r'"(\w+)"', documented.group(1))) == set(drift.to_dict())


def test_the_text_shown_is_the_layout_printed() -> None:
    page = DOC.read_text("utf-8")
    unit = UnitStatus(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        "prod-prod-eu-tenants",
        "flux-system",
        "tenants",
        "failing",
        "ReconciliationFailed: x",
        objects=[ObjectProblem("Service/globex-prod/probe", "refused", "blueprints/templates/tenant/probe.j2", 2)],
    )
    cluster = ClusterStatus("prod-prod-eu", "prod", "prod-eu", "flux", "sha256:" + "a" * 64, "w", "prod-eu", [unit])
    text = format_text(StatusReport([cluster], waited=21.0))
    for line in (
        "prod-prod-eu: failing  (context prod-eu; flux bundle, lock sha256:aaaaaaaaaaaa…)",
        "    ✗ Service/globex-prod/probe  blueprints/templates/tenant/probe.j2:2",
        "0 of 1 cluster(s) converged on the lock's digests (waited 21s)",
    ):
        assert line in text
        assert line.replace("aaaaaaaaaaaa", "a116314fac7b") in page
    assert "  tenants   Kustomization/flux-system/prod-prod-eu-tenants     failing   ReconciliationFailed" in text
    assert "  tenants   Kustomization/flux-system/prod-prod-eu-tenants     failing   ReconciliationFailed" in page
