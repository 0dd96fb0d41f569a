"""Risk from objects, end to end: ``genplat diff BASE_OUT HEAD_OUT`` on two output folders (no
blueprints), and between two OCI references pushed to a real registry, flags a widened registry
allowlist, a lowered Pod Security level, a removed default-deny and an RBAC widening, each as a risk
naming the object and the cluster — and nothing else.

Both sides are the example blueprints built with ``genplat build``; the head side first gets one
platform edit (docker.io allowed, Pod Security ``baseline``, ``defaultDenyNetwork: false``) and one
tenant edit (globex's viewers: ``system:authenticated``, every authenticated user).
"""

from __future__ import annotations

import json
import shutil
import typing as t
from pathlib import Path

import pytest

from genplat.diff import diff
from tests.diff.examples import allow_docker_io_at_baseline, build, replace
from tests.registry import Registry, package_and_push, run_genplat

EXAMPLES = Path(__file__).resolve().parents[2] / "blueprints"

# bundle → (its environment, tenants placed there, tenants with a build namespace there, policy kind)
BUNDLES = {
    "dev/dev-eu": ("dev", ("globex", "initech", "tools", "umbrella"), ("initech", "tools"), "ValidatingPolicy"),
    "prod/prod-eu": ("prod", ("globex", "initech", "tools", "umbrella"), (), "ValidatingPolicy"),
    "prod/prod-us": ("prod", ("globex", "umbrella"), (), "ValidatingAdmissionPolicy"),
}
ADDED_LINE = '+  e.ref == "docker.io" || e.ref.startsWith("docker.io/") ||'


def loosen(project: Path) -> None:
    platform = project / "blueprints/platform.yaml"
    allow_docker_io_at_baseline(platform)
    replace(platform, "    defaultDenyNetwork: true\n", "    defaultDenyNetwork: false\n")
    replace(
        project / "blueprints/tenants/globex.yaml",
        "    developers: {groups: [globex-devs]}\n",
        "    developers: {groups: [globex-devs]}\n    viewers: {groups: ['system:authenticated']}\n",
    )


def expected(bundle: str, name: str | None = None) -> list[tuple[str, str, str, str | None, str]]:
    """(rule, bundle, kind, namespace, name) of every flag the edit must raise in ``bundle``
    (reported under ``name``), in the report's order."""
    env, tenants, builds, policy = BUNDLES[bundle]
    where = name or bundle
    namespaces = sorted([f"{t_}-{env}" for t_ in tenants] + [f"{t_}-{env}-build" for t_ in builds])
    return (
        [("default-deny-removed", where, "NetworkPolicy", ns, "default-deny") for ns in namespaces]
        + [("allowlist-widened", where, policy, None, f"genplat-image-registry-{s}") for s in ("build", "workload")]
        + [("pod-security-lowered", where, "Namespace", None, f"{t_}-{env}") for t_ in tenants]
        + [("rbac-widened", where, "RoleBinding", f"globex-{env}", "tenant-viewers")]
    )


def _risks(report: dict[str, t.Any]) -> list[tuple[str, str, str, str | None, str]]:
    return [(r["rule"], r["bundle"], r["kind"], r["namespace"], r["name"]) for r in report["risks"]]


def _sorted(risks: t.Iterable[tuple[t.Any, ...]]) -> list[tuple[t.Any, ...]]:
    order = ["default-deny-removed", "allowlist-widened", "pod-security-lowered", "rbac-widened"]
    return sorted(risks, key=lambda r: (order.index(r[0]), r[1], r[2], r[3] or "", r[4]))


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``base/`` and ``head/``: projects with ``out/`` built by ``genplat build``."""
    root = tmp_path_factory.mktemp("risk-sides")
    for side in ("base", "head"):
        shutil.copytree(EXAMPLES, root / side / "blueprints")
    loosen(root / "head")
    for side in ("base", "head"):
        built = run_genplat("build", cwd=root / side)
        assert built.returncode == 0, built.stdout + built.stderr
    return root


def _diff(*args: str, cwd: Path) -> str:
    res = run_genplat("diff", *args, "--exit-code", cwd=cwd)
    assert res.returncode == 1 and res.stderr == "", res.stdout + res.stderr
    return res.stdout


def test_folder_diff_flags_the_four_risks_with_object_and_cluster(sides: Path) -> None:
    report = json.loads(_diff("base/out", "head/out", "--format", "json", cwd=sides))
    assert report["blueprints"]["compared"] is False  # output folders: the rules read objects only
    assert _sorted(_risks(report)) == _sorted(r for b in BUNDLES for r in expected(b))
    messages = {r["rule"]: r["message"] for r in report["risks"]}
    assert messages["allowlist-widened"] == "allows images from docker.io too: tenants may pull images from there"
    assert messages["pod-security-lowered"].startswith("enforced level restricted → baseline")
    assert messages["rbac-widened"] == "grants ClusterRole view to Group system:authenticated"
    # Without blueprints the flags still name where they come from: the source of each object.
    causes = {(r["rule"], r["cause"]["file"], r["cause"]["path"]) for r in report["risks"]}
    assert ("allowlist-widened", "blueprints/platform.yaml", "spec.policies.allowedRegistries") in causes
    assert ("default-deny-removed", "blueprints/platform.yaml", "spec.policies.defaultDenyNetwork") in causes
    assert ("rbac-widened", "blueprints/tenants/globex.yaml", "spec.access.viewers") in causes

    text = _diff("base/out", "head/out", cwd=sides)
    flags = text[text.index("Risk flags") : text.index("\n\n", text.index("Risk flags"))].split("\n")[1:]
    for rule, obj_name, cluster in (
        ("allowlist-widened", "genplat-image-registry-build", "prod/prod-us"),
        ("pod-security-lowered", "Namespace globex-prod", "prod/prod-us"),
        ("default-deny-removed", "NetworkPolicy default-deny", "prod/prod-us (umbrella-prod)"),
        ("rbac-widened", "RoleBinding tenant-viewers", "dev/dev-eu (globex-dev)"),
    ):
        assert any(f"! {rule} " in line and obj_name in line and cluster in line for line in flags), rule

    md = _diff("base/out", "head/out", "--format", "markdown", cwd=sides)
    for title in ("Registry allowlist widened", "Pod Security lowered", "Default-deny removed", "RBAC widened"):
        assert md.count(f"- **{title}** · `") == 1  # one flag each, naming every object and cluster
    assert "`RoleBinding tenant-viewers` in dev/dev-eu (globex-dev); prod/prod-eu, prod/prod-us (globex-prod)" in md
    assert ADDED_LINE in md.split("\n")  # the added registry on its own `+` line
    assert "object-deleted" not in text and "Object deleted" not in md  # the allow policies go with default-deny


@pytest.mark.parametrize("bundle", ["dev/dev-eu", "prod/prod-us"])  # Kyverno policies; native admission
def test_oci_diff_flags_the_four_risks_with_object_and_cluster(sides: Path, registry: Registry, bundle: str) -> None:
    base, head = package_and_push(sides / "base", registry, "base"), package_and_push(sides / "head", registry, "head")
    name = bundle.replace("/", "-")
    assert base[name] != head[name]
    repo = f"{registry.host}/platform/{name}"
    by_digest = json.loads(
        _diff(f"{repo}@{base[name]}", f"{repo}@{head[name]}", "--insecure", "--format", "json", cwd=sides)
    )
    assert by_digest["base"]["kind"] == by_digest["head"]["kind"] == "oci"
    assert _sorted(_risks(by_digest)) == _sorted(expected(bundle, name))
    by_tag = _diff(f"{repo}:base", f"{repo}:head", "--insecure", "--bundle", bundle, "--format", "markdown", cwd=sides)
    assert _sorted((rule, bundle, kind, ns, n) for rule, _, kind, ns, n in expected(bundle, name)) == _sorted(
        _risks(
            json.loads(
                _diff(f"{repo}:base", f"{repo}:head", "--insecure", "--bundle", bundle, "--format", "json", cwd=sides)
            )
        )
    )
    env = BUNDLES[bundle][0]
    assert ADDED_LINE in by_tag.split("\n") and f"`RoleBinding globex-{env}/tenant-viewers` in {bundle} —" in by_tag
    assert by_tag.count("- **Pod Security lowered** · ") == 1  # one flag for every tenant Namespace


def test_legacy_cluster_policies_flag_the_widened_allowlist_too(tmp_path: Path) -> None:
    """Clusters on Kyverno before 1.17 get ClusterPolicy objects: the same rule inputs, the same flag."""
    for side in ("base", "head"):
        shutil.copytree(EXAMPLES, tmp_path / side / "blueprints")
        replace(
            tmp_path / side / "blueprints/platform.yaml",
            "    requireLimits: true\n",
            "    requireLimits: true\n    kyverno: {policyKind: ClusterPolicy}\n",
        )
    replace(
        tmp_path / "head/blueprints/platform.yaml",
        "allowedRegistries: [ghcr.io/acme, registry.acme.example]\n",
        "allowedRegistries: [ghcr.io/acme, registry.acme.example, quay.io]\n",
    )
    result = diff(
        str(build(tmp_path / "base", tmp_path / "base-out")), str(build(tmp_path / "head", tmp_path / "head-out"))
    )
    flagged = {(r.rule, r.key.bundle, r.key.kind, r.key.name, r.message) for r in result.risks if r.key}
    message = "allows images from quay.io too: tenants may pull images from there"
    assert flagged == {
        ("allowlist-widened", b, "ClusterPolicy", f"genplat-image-registry-{s}", message)
        for b in ("dev/dev-eu", "prod/prod-eu")
        for s in ("build", "workload")
    } | {
        ("allowlist-widened", "prod/prod-us", "ValidatingAdmissionPolicy", f"genplat-image-registry-{s}", message)
        for s in ("build", "workload")
    }
