"""Pairs of rendered outputs, each with the exact expected report in all three formats.

The expected reports live in tests/diff/golden/<case>.{txt,md,json}. To regenerate them after a
deliberate change of format, run with GENPLAT_UPDATE_GOLDEN=1 and review the diff before committing.
"""

from __future__ import annotations

import os
import re
import typing as t
from pathlib import Path

import pytest

from . import outputs as o

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("GENPLAT_UPDATE_GOLDEN") == "1"


def changed_image(p: o.Platform) -> o.Platform | dict[str, str]:
    p.tenants[0].services[0].image = "ghcr.io/acme/globex-checkout:1.6.0"
    return p


def traffic_split(p: o.Platform) -> o.Platform | dict[str, str]:
    p.tenants[0].services[0].traffic = [{"revisionName": "checkout-v1", "percent": 50, "tag": "stable"},
                                        {"latestRevision": True, "percent": 50, "tag": "canary"}]
    return p


def new_tenant(p: o.Platform) -> o.Platform | dict[str, str]:
    p.tenants.append(o.Tenant("hooli", "small", ["gavin@hooli.example"], ["hooli-devs"], environments=["dev"],
                              services=[o.Service("search", "docker.io/hooli/search:3.1",
                                                  [{"latestRevision": True, "percent": 100}])]))
    return p


def removed_offering(p: o.Platform) -> o.Platform | dict[str, str]:
    p.offerings.remove("vcluster")
    return p


def tier_move(p: o.Platform) -> o.Platform | dict[str, str]:
    p.tenants[1].tier = "medium"
    return p


def _reorder(text: str) -> str:
    """Reverse the documents, drop comments and write every mapping's keys in reverse order."""
    import yaml

    def rev(v: t.Any) -> t.Any:
        if isinstance(v, dict):
            return {k: rev(v[k]) for k in reversed(list(v))}
        if isinstance(v, list):
            return [rev(x) for x in v]
        return v

    docs = [rev(d) for d in yaml.safe_load_all(text) if d is not None]
    return yaml.safe_dump_all(list(reversed(docs)), sort_keys=False, default_flow_style=None, width=60)


def reordered(p: o.Platform) -> o.Platform | dict[str, str]:
    files = o.files(p)
    for path in ("dev/dev-eu/tenants/globex.yaml", "prod/prod-eu/platform/offerings.yaml"):
        files[path] = _reorder(files[path])
    return files


CASES: dict[str, t.Callable[[o.Platform], o.Platform | dict[str, str]]] = {
    "changed-image": changed_image,
    "traffic-split": traffic_split,
    "new-tenant": new_tenant,
    "removed-offering": removed_offering,
    "tier-move": tier_move,
    "reordered": reordered,
}
FORMATS = {"text": "txt", "markdown": "md", "json": "json"}


@pytest.fixture
def sides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Callable[[str], None]:
    def make(case: str) -> None:
        o.write(o.example(), tmp_path / "base")
        o.write(CASES[case](o.clone(o.example())), tmp_path / "head")
        monkeypatch.chdir(tmp_path)

    return make


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, fmt: str, sides: t.Callable[[str], None], genplat_cli: t.Any) -> None:
    sides(case)
    result = genplat_cli("diff", "base", "head", "--format", fmt, "--exit-code")
    assert result.stderr == ""
    expected_file = GOLDEN / f"{case}.{FORMATS[fmt]}"
    if UPDATE:
        expected_file.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected_file.read_text(encoding="utf-8")
    assert result.code == (0 if case == "reordered" else 1)


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_secret_value_in_any_format(case: str, sides: t.Callable[[str], None], genplat_cli: t.Any) -> None:
    sides(case)
    for fmt in FORMATS:
        out = genplat_cli("diff", "base", "head", "--format", fmt).stdout
        assert "sk_live_do_not_print" not in out


def test_reordered_file_really_differs_in_bytes(tmp_path: Path) -> None:
    """The no-difference case must not pass just because the bytes happen to be equal."""
    before = o.files(o.example())
    after = reordered(o.clone(o.example()))
    assert isinstance(after, dict)
    assert before["dev/dev-eu/tenants/globex.yaml"] != after["dev/dev-eu/tenants/globex.yaml"]
    assert re.search(r"^kind: Namespace", before["dev/dev-eu/tenants/globex.yaml"], re.M)


def test_colour_only_when_asked(sides: t.Callable[[str], None], genplat_cli: t.Any) -> None:
    sides("traffic-split")
    assert "\x1b[" not in genplat_cli("diff", "base", "head").stdout  # not a terminal
    coloured = genplat_cli("diff", "base", "head", "--color").stdout
    assert "\x1b[" in coloured and "spec.traffic[tag=canary].percent" in coloured


def test_bundle_filter(sides: t.Callable[[str], None], genplat_cli: t.Any) -> None:
    sides("traffic-split")
    out = genplat_cli("diff", "base", "head", "--bundle", "prod/*", "--format", "json").stdout
    assert '"bundle": "dev/dev-eu"' not in out and '"bundle": "prod/prod-eu"' in out
