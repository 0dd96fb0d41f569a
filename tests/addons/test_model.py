"""The add-on data model: sources, globs, how a cluster's add-ons and capabilities resolve, the lock's
format, and the catalog kept honest against the pins the tests fetch (tools/upstream.toml)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from genplat.core.addons import (
    Fetched,
    LockedFile,
    LockEntry,
    Source,
    capability_addons,
    catalog,
    cluster_capabilities,
    expand,
    glob_match,
    go_module_url,
    lock_bytes,
    parse_lock,
    platform_entries,
    resolve_cluster,
)
from genplat.loader.project import load_project
from genplat.resolver.model import resolve
from tests.upstream_parts import upstream

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("config/300-crds/*.yaml", "config/300-crds/task.yaml", True),
        ("config/300-crds/*.yaml", "x/config/300-crds/task.yaml", False),  # anchored at the root
        ("config/300-crds/*.yaml", "config/300-crds/sub/task.yaml", False),  # * stays in one folder
        ("config/**/*.yaml", "config/a/b/c.yaml", True),
        ("config/**/*.yaml", "config/c.yaml", True),  # ** is zero folders too
        ("crds/gateway.networking.k8s.io_[!v]*.yaml", "crds/gateway.networking.k8s.io_gateways.yaml", True),
        ("crds/gateway.networking.k8s.io_[!v]*.yaml", "crds/gateway.networking.k8s.io_vap_x.yaml", False),
    ],
)
def test_globs(pattern: str, path: str, hit: bool) -> None:
    assert glob_match(pattern, path) is hit


def test_go_module_urls_escape_capitals() -> None:
    assert go_module_url("github.com/Shopify/toxiproxy/v2", "v2.5.0") == (
        "https://proxy.golang.org/github.com/!shopify/toxiproxy/v2/@v/v2.5.0.zip"
    )
    assert expand("https://x/{version}/crds-{semver}.yaml", "v1.2.3") == "https://x/v1.2.3/crds-1.2.3.yaml"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"goModule": "a", "url": "b"}, "exactly one"),
        ({"goModule": "github.com/acme/op"}, "needs paths"),
        ({"url": []}, "non-empty"),
        ({"helm": "oci://r/c", "paths": "crds/*.yaml"}, "list of globs"),
        ({"local": "x", "version": "v1"}, "unknown source field 'version'"),
        ("oci://r/c", "a mapping"),
    ],
)
def test_bad_sources_say_why(raw: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Source.from_dict(raw)


def test_a_source_round_trips() -> None:
    for raw in (
        {"goModule": "knative.dev/serving", "paths": ["config/core/300-resources/*.yaml"]},
        {"url": ["https://a/{version}/x.yaml", "https://a/{version}/y.yaml"]},
        {"helm": "oci://ghcr.io/o/charts/c", "tag": "{semver}"},
        {"local": "addons/x", "paths": ["*.yaml"]},
    ):
        assert Source.from_dict(raw).to_dict() == raw


def _spec(text: str) -> dict[str, object]:
    return yaml.safe_load(text)["spec"]  # type: ignore[no-any-return]


SPEC = """
spec:
  addons:
    - {name: knative-serving, version: v0.47.0}
    - {name: tekton-pipelines, version: v1.6.0}
    - name: acme-operator
      version: v2.0.0
      source: {url: "https://releases.acme.example/operator/{version}/crds.yaml"}
  environments:
    - name: dev
      clusters:
        - name: old
          capabilities: [knative-serving, tekton]
        - name: new
          addons:
            - {name: knative-serving, version: v0.45.0}
            - acme-operator
          capabilities: [tekton]
"""


def test_capabilities_stand_for_their_addons_at_the_platforms_versions() -> None:
    spec = _spec(SPEC)
    entries, versioned = platform_entries(spec)
    env = spec["environments"][0]  # type: ignore[index]
    old = resolve_cluster(env["clusters"][0], ("c",), entries, versioned)
    assert [(a.name, a.version) for a in old] == [
        ("knative-serving", "v0.47.0"),  # the platform's version
        ("tekton-pipelines", "v1.6.0"),  # the platform's
        ("tekton-triggers", catalog()["tekton-triggers"].version),  # not declared: the catalog's
    ]
    assert old[0].version_path == ("spec", "addons", 0, "version") and old[2].version_path is None
    assert cluster_capabilities(old) == {"knative-serving", "tekton"}
    new = resolve_cluster(env["clusters"][1], ("c",), entries, versioned)
    assert [(a.name, a.version) for a in new][:2] == [("knative-serving", "v0.45.0"), ("acme-operator", "v2.0.0")]
    assert new[0].version_path == ("c", "addons", 0, "version")  # pinned on the cluster
    assert new[1].source.kind == "url" and new[1].entry.capability == "acme-operator"
    assert capability_addons()["tekton"] == ("tekton-pipelines", "tekton-triggers")
    assert capability_addons()["flux"] == ("flux-source-controller", "flux-kustomize-controller")


def test_the_resolved_model_exposes_each_clusters_addons() -> None:
    platform, _ = resolve(load_project(REPO / "blueprints"))
    clusters = {c.name: c for c in platform.clusters}
    us = clusters["prod-us"]
    assert us.addons["knative-serving"].version == "v0.45.0" and clusters["dev-eu"].addons[
        "knative-serving"
    ].version == ("v0.47.0")
    assert us.has("knative-serving") and not us.has("tekton") and us.gitops == "kapp-controller"
    assert us.kubernetes_version == "1.33" and us.locked
    serving = us.addons["knative-serving"]
    assert serving.serves_kind("serving.knative.dev", "Service") == ("v1",)
    assert serving.origin.line is not None and "prod-us" not in str(serving.origin)  # the line with its version
    sql = clusters["dev-eu"].addons["provider-gcp-sql"]
    assert sql.type == "provider" and sql.package == "xpkg.upbound.io/upbound/provider-gcp-sql"
    assert sql.serves_kind("sql.gcp.m.upbound.io", "DatabaseInstance") == ("v1beta1",)


def test_lock_round_trips_and_reads_as_line_diffs() -> None:
    digest = "sha256:" + "ab" * 32
    entry = LockEntry(
        "knative-serving",
        "v0.45.0",
        Source.from_dict({"goModule": "knative.dev/serving", "paths": ["config/core/300-resources/*.yaml"]}),
        (Fetched(go_module_url("knative.dev/serving", "v0.45.0"), digest),),
        (LockedFile("config/core/300-resources/service.yaml", digest),),
        {"Service.serving.knative.dev": ("v1",)},
        ("prod/prod-us",),
    )
    data = lock_bytes([entry])
    lock, problems = parse_lock(data)
    assert not problems and lock is not None and lock.get("knative-serving", "v0.45.0") == entry
    assert json.loads(data)["lockVersion"] == 1
    # One line per CRD file and kind: a version bump is a readable diff.
    assert '{"path": "config/core/300-resources/service.yaml", "digest": "sha256:' in data.decode()


def test_a_lock_with_a_bad_digest_is_refused() -> None:
    bad = lock_bytes([]).replace(
        b'"addons": []',
        b'"addons": [{"name": "x", "version": "v1", "source": {"local": "x"}, '
        b'"fetched": [{"ref": "x", "digest": "md5:1"}], "crds": []}]',
    )
    lock, problems = parse_lock(bad)
    assert lock is None and "not a sha256" in problems[0][2]


def test_catalog_matches_the_pinned_test_crds() -> None:
    """Where tools/upstream.toml pins the same Go module, the catalog's default version and paths are the
    pin's: the catalog blesses exactly what the tests run against."""
    pins = {e["module"]: e for e in upstream.spec()["crds"].values() if "module" in e and e.get("default", True)}
    checked = 0
    for name, entry in catalog().items():
        if entry.source.kind == "goModule" and entry.source.ref[0] in pins:
            pin = pins[entry.source.ref[0]]
            assert (entry.version, list(entry.source.paths)) == (pin["version"], pin["paths"]), name
            checked += 1
    assert checked >= 10


def test_the_examples_lock_only_modules_the_tests_can_serve() -> None:
    """The loopback Go proxy serves the zips tools/upstream.toml pins: every module the examples lock is one."""
    lock, problems = parse_lock((REPO / "blueprints" / "addons.lock.json").read_bytes())
    assert lock is not None and not problems
    pinned = {(e["module"], e["version"]) for e in upstream.spec()["crds"].values() if "module" in e}
    for entry in lock.entries.values():
        if entry.source.kind == "goModule":
            assert (entry.source.ref[0], entry.version) in pinned, entry.key
