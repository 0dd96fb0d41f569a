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
import tempfile
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
def test_golden(
    case: str, fmt: str, pairs: t.Callable[[str], Path], genplat_cli: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(pairs(case))
    result = genplat_cli("diff", "base", "head", "--format", fmt, "--exit-code")
    assert result.stderr == ""
    expected_file = GOLDEN / f"{case}.{FORMATS[fmt]}"
    if UPDATE:
        expected_file.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected_file.read_text(encoding="utf-8"), (
        f"{expected_file.name} differs: if the examples or their rendering changed on purpose, regenerate with "
        "GENPLAT_UPDATE_GOLDEN=1 and read the new report"
    )
    assert result.code == (0 if case == "reordered" else 1)


# What each golden report must say, checked apart from the bytes so that regenerating the goldens
# cannot quietly bless a wrong report: (status, bundle, kind, namespace, name) of every object, and
# (rule, bundle, kind, name) of every risk flag.
EXPECTED: dict[str, tuple[list[tuple[t.Any, ...]] | None, list[tuple[t.Any, ...]]]] = {
    "changed-image": (
        [
            ("changed", b, "Service", ns, "checkout")
            for b, ns in (
                ("dev/dev-eu", "globex-dev"),
                ("prod/prod-eu", "globex-prod"),
                ("prod/prod-us", "globex-prod"),
            )
        ],
        [],
    ),
    "traffic-split": (
        [("changed", b, "Service", "globex-prod", "checkout") for b in ("prod/prod-eu", "prod/prod-us")],
        [],
    ),
    "new-tenant": (
        [
            ("added", "dev/dev-eu", kind, ns, name)
            for kind, ns, name in (
                ("Namespace", None, "hooli-dev"),
                ("ExternalSecret", "hooli-dev", "acme-registry"),
                ("LimitRange", "hooli-dev", "tenant-limits"),
                ("NetworkPolicy", "hooli-dev", "allow-dns"),
                ("NetworkPolicy", "hooli-dev", "allow-platform"),
                ("NetworkPolicy", "hooli-dev", "allow-same-namespace"),
                ("NetworkPolicy", "hooli-dev", "allow-telemetry"),
                ("NetworkPolicy", "hooli-dev", "default-deny"),
                ("ResourceQuota", "hooli-dev", "tenant-quota"),
                ("RoleBinding", "hooli-dev", "tenant-admins"),
                ("RoleBinding", "hooli-dev", "tenant-developers"),
                ("Service", "hooli-dev", "search"),
                ("ServiceAccount", "hooli-dev", "workload"),
            )
        ],
        [],  # a new tenant's standard bindings (admin, edit in its own namespace) are not a risk
    ),
    "removed-offering": (
        [
            ("removed", b, kind, ns, name)
            for b, env in (("dev/dev-eu", "dev"), ("prod/prod-eu", "prod"))
            for kind, ns, name in (
                ("CompositeResourceDefinition", None, "virtualclusters.platform.acme.example"),
                ("Composition", None, "vcluster-default"),
                ("VirtualCluster", f"initech-{env}", "sandbox"),
                # provider-helm's configuration was there for this offering's Helm releases only.
                ("ClusterProviderConfig", None, "default"),
            )
        ]
        + [
            ("removed", b, "Kustomization", "flux-system", f"{b.replace('/', '-')}-addons-provider-configs")
            for b in ("dev/dev-eu", "prod/prod-eu")
        ],
        # The tenant's VirtualCluster is protected (the offering's deletionPolicy is Orphan by default).
        [("kept-on-removal", b, "VirtualCluster", "sandbox") for b in ("dev/dev-eu", "prod/prod-eu")]
        + [
            ("crd-removed", b, "CompositeResourceDefinition", "virtualclusters.platform.acme.example")
            for b in ("dev/dev-eu", "prod/prod-eu")
        ]
        + [("object-deleted", b, "Composition", "vcluster-default") for b in ("dev/dev-eu", "prod/prod-eu")]
        # The add-on layer's provider configuration goes with its only user; the Kustomization that
        # applied it is kept (prune disabled), so the configuration stays on the cluster.
        + [
            ("kept-on-removal", b, "Kustomization", f"{b.replace('/', '-')}-addons-provider-configs")
            for b in ("dev/dev-eu", "prod/prod-eu")
        ]
        + [("object-deleted", b, "ClusterProviderConfig", "default") for b in ("dev/dev-eu", "prod/prod-eu")],
    ),
    "tier-move": (
        [
            ("changed", b, kind, f"umbrella-{env}", name)
            for b, env in (("dev/dev-eu", "dev"), ("prod/prod-eu", "prod"), ("prod/prod-us", "prod"))
            for kind, name in (("LimitRange", "tenant-limits"), ("ResourceQuota", "tenant-quota"))
        ],
        [
            ("quota-changed", b, kind, name)
            for b in ("dev/dev-eu", "prod/prod-eu", "prod/prod-us")
            for kind, name in (("LimitRange", "tenant-limits"), ("ResourceQuota", "tenant-quota"))
        ],
    ),
    "reordered": ([], []),
    "new-environment": (None, []),  # 49 objects: test_new_environment_is_one_block_per_tenant
    "loosened-policy": (
        [
            (status, b, kind, ns, name)
            for b, envs in (("dev/dev-eu", ("dev",)), ("prod/prod-eu", ("prod",)), ("prod/prod-us", ("prod",)))
            for status, kind, ns, name in (
                (
                    [
                        ("removed", "ValidatingPolicy", None, "genplat-container-resources"),
                        ("changed", "ValidatingPolicy", None, "genplat-image-registry-build"),
                        ("changed", "ValidatingPolicy", None, "genplat-image-registry-workload"),
                        ("removed", "ValidatingPolicy", None, "genplat-image-tag"),
                    ]
                    if b != "prod/prod-us"
                    else [
                        ("removed", "ValidatingAdmissionPolicy", None, "genplat-container-resources"),
                        ("changed", "ValidatingAdmissionPolicy", None, "genplat-image-registry-build"),
                        ("changed", "ValidatingAdmissionPolicy", None, "genplat-image-registry-workload"),
                        ("removed", "ValidatingAdmissionPolicy", None, "genplat-image-tag"),
                        ("removed", "ValidatingAdmissionPolicyBinding", None, "genplat-container-resources"),
                        ("removed", "ValidatingAdmissionPolicyBinding", None, "genplat-image-tag"),
                    ]
                )
                + [
                    x
                    for env in envs
                    for x in (
                        [
                            ("changed", "Namespace", None, f"globex-{env}"),
                            ("changed", "NetworkPolicy", f"globex-{env}", "allow-from-peers"),
                        ]
                        + (
                            [
                                ("changed", "Namespace", None, f"initech-{env}"),
                                ("changed", "Namespace", None, f"tools-{env}"),
                                ("added", "NetworkPolicy", f"tools-{env}", "allow-to-peers"),
                            ]
                            if b != "prod/prod-us"
                            else []
                        )
                        + [("changed", "Namespace", None, f"umbrella-{env}")]
                    )
                ]
                # Knative's secure-pod-defaults follows the enforced level (the add-on's own settings).
                + (
                    [("changed", "ConfigMap", "knative-serving", "config-features")]
                    if b != "prod/prod-us"
                    else [("changed", "App", "kapp-controller", "addon-knative-serving")]
                )
            )
        ],
        # Read from the rendered policies (their rule-input annotations), each pointing at the blueprint
        # value; the blueprint-level flags saying the same are left out.
        [
            ("allowlist-widened", b, kind, f"genplat-image-registry-{scope}")
            for b, kind in (
                ("dev/dev-eu", "ValidatingPolicy"),
                ("prod/prod-eu", "ValidatingPolicy"),
                ("prod/prod-us", "ValidatingAdmissionPolicy"),
            )
            for scope in ("build", "workload")
        ]
        + [
            ("guardrail-disabled", b, kind, name)
            for b, kind in (
                ("dev/dev-eu", "ValidatingPolicy"),
                ("prod/prod-eu", "ValidatingPolicy"),
                ("prod/prod-us", "ValidatingAdmissionPolicy"),
                ("prod/prod-us", "ValidatingAdmissionPolicyBinding"),
            )
            for name in ("genplat-container-resources", "genplat-image-tag")
        ]
        + [
            ("pod-security-lowered", b, "Namespace", f"{t}-{env}")
            for b, env, tenants in (
                ("dev/dev-eu", "dev", ("globex", "initech", "tools", "umbrella")),
                ("prod/prod-eu", "prod", ("globex", "initech", "tools", "umbrella")),
                ("prod/prod-us", "prod", ("globex", "umbrella")),
            )
            for t in tenants
        ]
        + [
            ("network-peers-added", b, "NetworkPolicy", name)
            for b, names in (
                ("dev/dev-eu", ("allow-from-peers", "allow-to-peers")),
                ("prod/prod-eu", ("allow-from-peers", "allow-to-peers")),
                ("prod/prod-us", ("allow-from-peers",)),
            )
            for name in names
        ],
    ),
}


def test_every_case_has_an_expectation() -> None:
    assert sorted(EXPECTED) == ex.CASES


@pytest.mark.parametrize("case", ex.CASES)
def test_golden_json_says_what_the_edit_does(case: str) -> None:
    report = json.loads((GOLDEN / f"{case}.json").read_text(encoding="utf-8"))
    objects, risks = EXPECTED[case]
    if objects is not None:
        found = [(o["status"], o["bundle"], o["kind"], o["namespace"], o["name"]) for o in report["objects"]]
        assert sorted(found, key=str) == sorted(objects, key=str)
        assert report["differences"] is bool(objects)
    assert sorted((r["rule"], r["bundle"], r["kind"], r["name"]) for r in report["risks"]) == sorted(risks)


def _changes(report: dict[str, t.Any]) -> set[tuple[str, t.Any, t.Any]]:
    return {(c["path"], c.get("old"), c.get("new")) for o in report["objects"] for c in o["changes"]}


def test_changed_image_names_old_and_new_reference() -> None:
    report = json.loads((GOLDEN / "changed-image.json").read_text(encoding="utf-8"))
    paths = {path for path, _, _ in _changes(report)}
    image_path = "spec.template.spec.containers[name=checkout].image"
    # The image, the version label the pods carry (its tag), and the revision name genplat derives from
    # the template's content: nothing else.
    version = 'spec.template.metadata.labels["app.kubernetes.io/version"]'
    assert paths == {image_path, "spec.template.metadata.name", version}
    assert {(old, new) for path, old, new in _changes(report) if path == image_path} == {
        (
            "ghcr.io/acme/globex-checkout:1.5.0@sha256:c7761e58969f7edd498186641b2021e8477e1bcd230de4cf3435242da4a40d14",
            ex.NEW_CHECKOUT,
        )
    }


def test_traffic_split_matched_by_tag() -> None:
    report = json.loads((GOLDEN / "traffic-split.json").read_text(encoding="utf-8"))
    assert _changes(report) == {
        ("spec.traffic[tag=stable].percent", 80, 50),
        ("spec.traffic[tag=canary].percent", 20, 50),
    }


def test_tier_move_raises_every_quota() -> None:
    report = json.loads((GOLDEN / "tier-move.json").read_text(encoding="utf-8"))
    quota = {(path, old, new) for path, old, new in _changes(report) if path.startswith("spec.hard")}
    assert ('spec.hard["limits.cpu"]', "16", "64") in quota
    assert ('spec.hard["requests.memory"]', "32Gi", "128Gi") in quota
    assert ("spec.hard.pods", "60", "200") in quota


def _json(case: str) -> dict[str, t.Any]:
    return json.loads((GOLDEN / f"{case}.json").read_text(encoding="utf-8"))


def _md(case: str) -> str:
    return (GOLDEN / f"{case}.md").read_text(encoding="utf-8")


# The summary line each day-2 change must open with, and the blueprint file:line it names.
SUMMARY = {
    "new-tenant": [
        ("tenant hooli added: tier small; environment dev; 1 service (search)", "blueprints/tenants/hooli.yaml", 5)
    ],
    "tier-move": [("tenant umbrella: tier medium → large", "blueprints/tenants/umbrella.yaml", 9)],
    "changed-image": [
        (
            "tenant globex: service checkout: image ghcr.io/acme/globex-checkout:1.5.0 → "
            "ghcr.io/acme/globex-checkout:1.6.0",
            "blueprints/tenants/globex.yaml",
            31,
        )
    ],
    "traffic-split": [
        (
            "tenant globex: service checkout: traffic [stable].percent 80 → 50; [canary].percent 20 → 50",
            "blueprints/tenants/globex.yaml",
            50,
        )
    ],
    "new-environment": [
        (
            "new environment staging: 1 cluster (staging-eu), 3 tenants (globex, tools, umbrella)",
            "blueprints/platform.yaml",
            127,
        ),
        ("tenant globex joins environment staging", "blueprints/tenants/globex.yaml", 29),
        ("tenant tools joins environment staging", "blueprints/tenants/tools.yaml", 20),
        ("tenant umbrella joins environment staging", "blueprints/tenants/umbrella.yaml", 19),
    ],
    "removed-offering": [
        ("offering vcluster removed (used by initech/sandbox)", "blueprints/platform.yaml", 301),
        ("tenant initech: resource sandbox removed", "blueprints/tenants/initech.yaml", 126),
    ],
    "loosened-policy": [
        ("policy podSecurity: enforce restricted → baseline", "blueprints/platform.yaml", 415),
        ("policy allowedRegistries: + docker.io", "blueprints/platform.yaml", 416),
        ("policy requireLimits: true → false", "blueprints/platform.yaml", 417),
        ("policy forbidLatest: true → false", "blueprints/platform.yaml", 418),
        ("tenant globex: allowFrom + tools (tools may now call globex)", "blueprints/tenants/globex.yaml", 55),
    ],
}


def _line_of(case: str, file: str, needle: str) -> int:
    """The line of ``needle`` in the case's head blueprint, found independently of genplat."""
    project = ex.copy_project(Path(tempfile.mkdtemp()) / "p")
    try:
        ex.BLUEPRINT_EDITS[case](project)
        lines = (project / file).read_text(encoding="utf-8").split("\n")
        return next(i for i, line in enumerate(lines, 1) if needle in line)
    finally:
        shutil.rmtree(project.parent)


def test_every_blueprint_case_has_a_summary() -> None:
    assert sorted(SUMMARY) == sorted(ex.BLUEPRINT_EDITS)


@pytest.mark.parametrize("case", sorted(SUMMARY))
def test_summary_first_in_blueprint_terms(case: str) -> None:
    report = _json(case)
    assert report["blueprints"]["compared"] is True
    assert [(c["text"], c["file"], c["line"]) for c in report["blueprints"]["changes"]] == SUMMARY[case]
    md = _md(case)
    text = (GOLDEN / f"{case}.txt").read_text(encoding="utf-8")
    for line, file, number in SUMMARY[case]:
        assert f"- {line} · `{file}:{number}`" in md
        assert f"  * {line}  ({file}:{number})" in text
    # Summary, then risk flags, then objects.
    order = [md.index(h) for h in ("#### Blueprint changes", "#### ⚠️ Risk flags", "#### Objects") if h in md]
    assert order == sorted(order) and md.index("#### Blueprint changes") < md.index("<details>")


def test_summary_lines_point_at_the_edited_value() -> None:
    """The file:line of each summary item is where the edit is (found by text search, not by genplat)."""
    assert _line_of("tier-move", "blueprints/tenants/umbrella.yaml", "tier: large") == 9
    assert _line_of("changed-image", "blueprints/tenants/globex.yaml", ex.NEW_CHECKOUT) == 31
    assert _line_of("new-environment", "blueprints/platform.yaml", "- name: staging") == 127
    assert _line_of("loosened-policy", "blueprints/platform.yaml", "allowedRegistries:") == 416
    assert _line_of("loosened-policy", "blueprints/tenants/globex.yaml", "allowFrom: [initech, tools]") == 55
    assert _line_of("new-tenant", "blueprints/tenants/hooli.yaml", "name: hooli") == 5


def _outside_folds(md: str) -> str:
    while "<details>" in md:
        start = md.index("<details>")
        md = md[:start] + md[md.index("</details>", start) + len("</details>") :]
    return md


def test_new_tenant_is_short_and_says_what_it_is_granted() -> None:
    md = _md("new-tenant")
    assert len(_outside_folds(md).encode("utf-8")) < 3 * 1024 and len(md.encode("utf-8")) < 3 * 1024
    assert "blueprints/tenants/hooli.yaml:5" in md
    assert "Risk flags" not in md and "rbac-widened" not in (GOLDEN / "new-tenant.txt").read_text(encoding="utf-8")
    assert md.count("<details>") == 1  # one fold for the tenant's objects
    assert "<b>+ tenant hooli: 13 objects added</b> in <code>dev/dev-eu</code>" in md
    assert "<summary>The 13 objects: 5 NetworkPolicy, 2 RoleBinding," in md
    # What the tenant is granted, outside the fold, read from its objects.
    granted = [
        "- namespaces: hooli-dev (Pod Security restricted)",
        "- access: admin to User gavin@hooli.example; edit to Group hooli-devs",
        "- quota: cpu 4, memory 8Gi, pods 20, count/services.serving.knative.dev 10, persistentvolumeclaims 5, "
        "requests.storage 50Gi, services 450; each container at most cpu 1, memory 1Gi",
        "- network: default deny; in from ingress-nginx, knative-eventing, knative-serving, kourier-system, "
        "own namespace; out to kube-system, knative-eventing, knative-serving, own namespace, observability; "
        "tenant peers: none",
        "- images: ghcr.io/acme/hooli-search:0.1.0",
        "- secrets synced: acme-registry from ClusterSecretStore vault",
        "- resources ordered: none",
    ]
    outside = _outside_folds(md).split("\n")
    assert [line for line in outside if line.startswith("- ") and not line.startswith("- tenant")] == granted
    groups = _json("new-tenant")["groups"]
    assert [(g["type"], g["tenant"], g["bundles"], sum(g["kinds"].values())) for g in groups] == [
        ("tenant", "hooli", ["dev/dev-eu"], 13)
    ]
    assert groups[0]["grants"] == [line[2:] for line in granted]
    text = (GOLDEN / "new-tenant.txt").read_text(encoding="utf-8")
    assert "    granted:\n      namespaces: hooli-dev (Pod Security restricted)\n" in text


def test_identical_changes_are_shown_once_with_their_places() -> None:
    md = _md("changed-image")
    # One object change per cluster; the revision names differ per cluster (they hash each cluster's
    # template: its environment, and the cluster's telemetry attributes and egress proxy), but the rename
    # only follows the image: folded, one fold for all three.
    assert md.count("<details>") == 1 and "In dev/dev-eu (globex-dev); prod/prod-eu, prod/prod-us (globex-prod)." in md
    assert "@@ spec.template.metadata.name @@" not in md
    assert (
        "Revision renamed checkout-gp4kn → checkout-jw4dk (dev/dev-eu); checkout-z7huk → checkout-iuib5 "
        "(prod/prod-eu); checkout-ut3vj → checkout-3ysdb (prod/prod-us): a revision's name changes with its "
        "template" in md
    )
    groups = _json("changed-image")["groups"]
    assert [[p["bundle"] for p in g["places"]] for g in groups] == [["dev/dev-eu", "prod/prod-eu", "prod/prod-us"]]
    notes = [c.get("note") for o in _json("changed-image")["objects"] for c in o["changes"]]
    # The image and the version label (its tag) of each of the three; the revision name follows them.
    assert notes.count(None) == 6 and all(n.startswith("follows the template: ") for n in notes if n)
    md = _md("tier-move")
    assert md.count("<details>") == 2  # LimitRange and ResourceQuota, each once for three clusters
    assert md.count("In dev/dev-eu (umbrella-dev); prod/prod-eu, prod/prod-us (umbrella-prod).") == 2
    assert md.count("**Quota changed**") == 1  # one flag: one tier move


def test_new_environment_is_one_block_per_tenant() -> None:
    report = _json("new-environment")
    assert {o["status"] for o in report["objects"]} == {"added"}
    assert {o["bundle"] for o in report["objects"]} == {"staging/staging-eu"}
    blocks = [
        (g["type"], g["tenant"], sum(g["kinds"].values()), g["cause"]["file"], g["cause"]["line"])
        for g in report["groups"]
    ]
    assert blocks == [
        ("platform", None, 20, "blueprints/platform.yaml", 127),  # 12 of them the add-ons layer
        ("tenant", "globex", 18, "blueprints/tenants/globex.yaml", 29),
        ("tenant", "tools", 14, "blueprints/tenants/tools.yaml", 20),
        ("tenant", "umbrella", 26, "blueprints/tenants/umbrella.yaml", 19),
    ]
    assert report["risks"] == [] and _md("new-environment").count("<details>") == 4


def test_list_changes_are_item_level() -> None:
    md = _md("loosened-policy")
    # globex's allow-from-peers gains tools-dev: one added item, not the whole list twice.
    block = md[md.index("<code>NetworkPolicy allow-from-peers</code>") :]
    block = block[: block.index("</details>")]
    assert "+ tools-dev" in block and "- initech-dev" not in block and "- - " not in md and "+ - " not in md
    change = next(
        c
        for o in _json("loosened-policy")["objects"]
        if o["name"] == "allow-from-peers" and o["bundle"] == "dev/dev-eu"
        for c in o["changes"]
    )
    assert change["items"] == {"added": ["tools-dev"], "removed": []}


def test_loosened_policy_flags() -> None:
    risks = _json("loosened-policy")["risks"]
    # Every flag is about rendered objects (what a folder or OCI diff sees too) and points at the
    # blueprint value behind it.
    assert [r for r in risks if r["kind"] is None] == []
    causes = {(r["rule"], r["cause"]["file"], r["cause"]["line"], r["cause"]["path"]) for r in risks}
    assert causes == {
        ("allowlist-widened", "blueprints/platform.yaml", 416, "spec.policies.allowedRegistries"),
        ("guardrail-disabled", "blueprints/platform.yaml", 418, "spec.policies.forbidLatest"),
        ("guardrail-disabled", "blueprints/platform.yaml", 417, "spec.policies.requireLimits"),
        ("pod-security-lowered", "blueprints/platform.yaml", 415, "spec.policies.podSecurity.enforce"),
        ("network-peers-added", "blueprints/tenants/globex.yaml", 55, "spec.network.allowFrom[1]"),
    }
    widened = {r["message"] for r in risks if r["rule"] == "allowlist-widened"}
    assert widened == {"allows images from docker.io too: tenants may pull images from there"}
    # The removed policies are what forbidLatest/requireLimits turned off: not a second flag each.
    assert not [r for r in risks if r["rule"] in ("protected-removed", "object-deleted")]
    md = _md("loosened-policy")
    assert md.count("**Pod Security lowered**") == 1 and md.count("**Network peers added**") == 1
    assert md.count("**Registry allowlist widened**") == 1 and md.count("**Policy turned off**") == 2


def test_attribution_of_peer_policies() -> None:
    """tools' new allow-to-peers is caused by globex's allowFrom (not by tools.yaml), and globex's
    allow-from-peers by the same entry."""
    for o in _json("loosened-policy")["objects"]:
        if not (o["head"] or o["base"])["source"]:
            continue
        if o["kind"] == "NetworkPolicy":
            assert (o["cause"]["file"], o["cause"]["line"], o["cause"]["path"], o["cause"]["note"]) == (
                "blueprints/tenants/globex.yaml",
                55,
                "spec.network.allowFrom[1]",
                "globex's allowFrom lists tools",
            )
        elif o["kind"] == "Namespace":
            assert (o["cause"]["file"], o["cause"]["path"]) == (
                "blueprints/platform.yaml",
                "spec.policies.podSecurity.enforce",
            )
        elif o["kind"] == "App":  # kapp-controller's Knative install carries the settings overlay
            assert o["cause"]["path"].endswith("addons[knative-serving].version"), o
        else:
            assert o["cause"]["path"].startswith("spec.policies."), o


def test_every_object_change_names_a_blueprint_value() -> None:
    for case in SUMMARY:
        for o in _json(case)["objects"]:
            if not (o["head"] or o["base"])["source"]:
                continue  # an object written without a "# source:" comment names no blueprint value
            assert o["cause"] is not None and o["cause"]["file"].startswith("blueprints/"), (case, o["display"])
            assert o["cause"]["line"], (case, o["display"])
    causes = {(o["kind"], o["cause"]["path"], o["cause"]["note"]) for o in _json("tier-move")["objects"]}
    assert causes == {
        ("LimitRange", "spec.tier", "tier medium → large"),
        ("ResourceQuota", "spec.tier", "tier medium → large"),
    }


def test_output_folders_say_there_are_no_blueprints(pairs: t.Callable[[str], Path]) -> None:
    root = pairs("reordered")
    head = Path(tempfile.mkdtemp())
    try:
        shutil.copytree(root / "head", head / "out")
        (head / "out" / "dev/dev-eu/tenants/umbrella.yaml").unlink()
        result = diff(str(root / "base"), str(head / "out"))
    finally:
        shutil.rmtree(head)
    assert "has no blueprints: an output folder" in result.summary_note
    assert [i.text for i in result.summary] == ["tenant umbrella removed from dev/dev-eu (namespaces umbrella-dev)"]


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
        ("prod/prod-eu", "checkout", [25])
    ]


def test_colour_only_when_asked(
    pairs: t.Callable[[str], Path], genplat_cli: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
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


def test_multiline_cel_is_diffed_by_line() -> None:
    """The one registry the allowlist gains is a `+` line of its own, in Markdown and text, not a
    900-character escaped string."""
    added = '+  e.ref == "docker.io" || e.ref.startsWith("docker.io/") ||'
    md_lines = _md("loosened-policy").split("\n")
    assert md_lines.count(added) == 4  # build and workload policies, Kyverno (2 places) and native
    assert not [line for line in md_lines if line.startswith(("- ", "+ ")) and "\\n" in line]
    text_lines = (GOLDEN / "loosened-policy.txt").read_text(encoding="utf-8").split("\n")
    assert sum(line.strip() == added.strip() for line in text_lines) == 6  # one per policy and cluster
