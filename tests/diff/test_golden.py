"""The acceptance cases over pairs of outputs of the real examples, each with the exact expected
report in all three formats.

Each case copies blueprints/ into a temporary project, runs ``genplat build``, applies one edit
(tests/diff/examples.py), builds again and runs ``genplat diff base head`` from the folder holding
both outputs, so the reports name the sides ``base`` and ``head`` and hold no temporary path.

The expected reports live in tests/diff/golden/<case>.{txt,md,json}. To regenerate them after a
deliberate change of the examples or of the format, run with GENPLAT_UPDATE_GOLDEN=1 and read every
changed file before committing.
"""

from __future__ import annotations

import json
import os
import shutil
import typing as t
from pathlib import Path

import pytest

from genplat.diff import diff

from . import examples as ex

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("GENPLAT_UPDATE_GOLDEN") == "1"
FORMATS = {"text": "txt", "markdown": "md", "json": "json"}


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> t.Callable[[str], Path]:
    """``pairs(case)`` → a folder holding ``base/`` and ``head/``; each case is built once per module."""
    made: dict[str, Path] = {}

    def get(case: str) -> Path:
        if case not in made:
            root = tmp_path_factory.mktemp(case)
            ex.make_pair(case, root)
            made[case] = root
        return made[case]

    return get


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("case", ex.CASES)
def test_golden(case: str, fmt: str, pairs: t.Callable[[str], Path], genplat_cli: t.Any,
                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(pairs(case))
    result = genplat_cli("diff", "base", "head", "--format", fmt, "--exit-code")
    assert result.stderr == ""
    expected_file = GOLDEN / f"{case}.{FORMATS[fmt]}"
    if UPDATE:
        expected_file.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected_file.read_text(encoding="utf-8"), (
        f"{expected_file.name} differs: if the examples or their rendering changed on purpose, regenerate with "
        "GENPLAT_UPDATE_GOLDEN=1 and read the new report")
    assert result.code == (0 if case == "reordered" else 1)


# What each golden report must say, checked apart from the bytes so that regenerating the goldens
# cannot quietly bless a wrong report: (status, bundle, kind, namespace, name) of every object, and
# (rule, bundle, kind, name) of every risk flag.
EXPECTED: dict[str, tuple[list[tuple[str, ...]], list[tuple[str, ...]]]] = {
    "changed-image": (
        [("changed", b, "Service", ns, "checkout") for b, ns in
         (("dev/dev-eu", "globex-dev"), ("prod/prod-eu", "globex-prod"), ("prod/prod-us", "globex-prod"))],
        [],
    ),
    "traffic-split": (
        [("changed", b, "Service", "globex-prod", "checkout") for b in ("prod/prod-eu", "prod/prod-us")],
        [],
    ),
    "new-tenant": (
        [("added", "dev/dev-eu", kind, ns, name) for kind, ns, name in (
            ("Namespace", None, "hooli-dev"),
            ("ExternalSecret", "hooli-dev", "acme-registry"),
            ("LimitRange", "hooli-dev", "tenant-limits"),
            ("NetworkPolicy", "hooli-dev", "allow-dns"),
            ("NetworkPolicy", "hooli-dev", "allow-platform"),
            ("NetworkPolicy", "hooli-dev", "allow-same-namespace"),
            ("NetworkPolicy", "hooli-dev", "default-deny"),
            ("ResourceQuota", "hooli-dev", "tenant-quota"),
            ("RoleBinding", "hooli-dev", "tenant-admins"),
            ("RoleBinding", "hooli-dev", "tenant-developers"),
            ("Service", "hooli-dev", "search"),
            ("ServiceAccount", "hooli-dev", "workload"))],
        [("rbac-widened", "dev/dev-eu", "RoleBinding", "tenant-admins"),
         ("rbac-widened", "dev/dev-eu", "RoleBinding", "tenant-developers")],
    ),
    "removed-offering": (
        [("removed", b, kind, ns, name) for b, env in (("dev/dev-eu", "dev"), ("prod/prod-eu", "prod"))
         for kind, ns, name in (("CompositeResourceDefinition", None, "virtualclusters.platform.acme.example"),
                                ("Composition", None, "vcluster-default"),
                                ("VirtualCluster", f"initech-{env}", "sandbox"))],
        # The tenant's VirtualCluster is protected (the offering's deletionPolicy is Orphan by default).
        [("protected-removed", b, "VirtualCluster", "sandbox") for b in ("dev/dev-eu", "prod/prod-eu")]
        + [("crd-removed", b, "CompositeResourceDefinition", "virtualclusters.platform.acme.example")
           for b in ("dev/dev-eu", "prod/prod-eu")]
        + [("object-deleted", b, "Composition", "vcluster-default") for b in ("dev/dev-eu", "prod/prod-eu")],
    ),
    "tier-move": (
        [("changed", b, kind, f"umbrella-{env}", name)
         for b, env in (("dev/dev-eu", "dev"), ("prod/prod-eu", "prod"), ("prod/prod-us", "prod"))
         for kind, name in (("LimitRange", "tenant-limits"), ("ResourceQuota", "tenant-quota"))],
        [("quota-raised", b, kind, name) for b in ("dev/dev-eu", "prod/prod-eu", "prod/prod-us")
         for kind, name in (("LimitRange", "tenant-limits"), ("ResourceQuota", "tenant-quota"))],
    ),
    "reordered": ([], []),
}


def test_every_case_has_an_expectation() -> None:
    assert sorted(EXPECTED) == ex.CASES


@pytest.mark.parametrize("case", ex.CASES)
def test_golden_json_says_what_the_edit_does(case: str) -> None:
    report = json.loads((GOLDEN / f"{case}.json").read_text(encoding="utf-8"))
    objects, risks = EXPECTED[case]
    assert [(o["status"], o["bundle"], o["kind"], o["namespace"], o["name"]) for o in report["objects"]] == objects
    assert [(r["rule"], r["bundle"], r["kind"], r["name"]) for r in report["risks"]] == risks
    assert report["differences"] is bool(objects)


def _changes(report: dict[str, t.Any]) -> set[tuple[str, t.Any, t.Any]]:
    return {(c["path"], c.get("old"), c.get("new")) for o in report["objects"] for c in o["changes"]}


def test_changed_image_names_old_and_new_reference() -> None:
    report = json.loads((GOLDEN / "changed-image.json").read_text(encoding="utf-8"))
    paths = {path for path, _, _ in _changes(report)}
    image_path = "spec.template.spec.containers[name=checkout].image"
    # The image, and the revision name genplat derives from the template's content: nothing else.
    assert paths == {image_path, "spec.template.metadata.name"}
    assert {(old, new) for path, old, new in _changes(report) if path == image_path} == {
        ("ghcr.io/acme/globex-checkout:1.5.0@sha256:c7761e58969f7edd498186641b2021e8477e1bcd230de4cf3435242da4a40d14",
         ex.NEW_CHECKOUT)}


def test_traffic_split_matched_by_tag() -> None:
    report = json.loads((GOLDEN / "traffic-split.json").read_text(encoding="utf-8"))
    assert _changes(report) == {("spec.traffic[tag=stable].percent", 80, 50),
                                ("spec.traffic[tag=canary].percent", 20, 50)}


def test_tier_move_raises_every_quota() -> None:
    report = json.loads((GOLDEN / "tier-move.json").read_text(encoding="utf-8"))
    quota = {(path, old, new) for path, old, new in _changes(report) if path.startswith("spec.hard")}
    assert ('spec.hard["limits.cpu"]', "16", "64") in quota
    assert ('spec.hard["requests.memory"]', "32Gi", "128Gi") in quota
    assert ("spec.hard.pods", "60", "200") in quota


def test_risk_flags_come_first_in_text_and_markdown() -> None:
    for case in ("new-tenant", "removed-offering", "tier-move"):
        text = (GOLDEN / f"{case}.txt").read_text(encoding="utf-8")
        assert text.index("Risk flags") < text.index("\ndev/dev-eu\n")
        md = (GOLDEN / f"{case}.md").read_text(encoding="utf-8")
        assert md.index("Risk flags") < md.index("Changes by bundle and tenant") < md.index("<details>")


def test_reordered_file_really_differs(pairs: t.Callable[[str], Path]) -> None:
    """The no-difference case must not pass because the bytes happen to be equal or nothing was read."""
    root = pairs("reordered")
    before = (root / "base" / ex.REORDERED_FILE).read_text(encoding="utf-8")
    after = (root / "head" / ex.REORDERED_FILE).read_text(encoding="utf-8")
    assert before != after
    assert "# source:" in before and "# source:" not in after
    assert before.index("kind: Namespace") < before.index("kind: Service\n")
    assert after.index("kind: Namespace") > after.index("kind: Service\n")  # documents reversed
    assert before.index("apiVersion: v1\nkind: Namespace") >= 0 and "apiVersion: v1\nkind: Namespace" not in after
    assert not diff(str(root / "base"), str(root / "head")).has_differences


def test_reordered_file_with_one_real_change_is_seen(tmp_path: Path, pairs: t.Callable[[str], Path]) -> None:
    """The reordered file is really read and compared: one edited value in it is seen."""
    root = pairs("reordered")
    head = tmp_path / "head"
    shutil.copytree(root / "head", head)
    path = head / ex.REORDERED_FILE
    text = path.read_text(encoding="utf-8")
    assert text.count("percent: 20") == 1
    path.write_text(text.replace("percent: 20", "percent: 25"), encoding="utf-8")
    result = diff(str(root / "base"), str(head))
    assert [(o.key.bundle, o.key.name, [c.new for c in o.changes]) for o in result.objects] == [
        ("prod/prod-eu", "checkout", [25])]


def test_colour_only_when_asked(pairs: t.Callable[[str], Path], genplat_cli: t.Any,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(pairs("traffic-split"))
    assert "\x1b[" not in genplat_cli("diff", "base", "head").stdout  # not a terminal
    coloured = genplat_cli("diff", "base", "head", "--color").stdout
    assert "\x1b[" in coloured and "spec.traffic[tag=canary].percent" in coloured


def test_bundle_filter(pairs: t.Callable[[str], Path], genplat_cli: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(pairs("changed-image"))
    out = json.loads(genplat_cli("diff", "base", "head", "--bundle", "prod/*", "--format", "json").stdout)
    assert [o["bundle"] for o in out["objects"]] == ["prod/prod-eu", "prod/prod-us"]
    out = json.loads(genplat_cli("diff", "base", "head", "--bundle", "dev/dev-eu", "--format", "json").stdout)
    assert [o["bundle"] for o in out["objects"]] == ["dev/dev-eu"]
