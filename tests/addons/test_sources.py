"""Acceptance: `genplat init` + `genplat addons lock` (mirrored to loopback) + `genplat build` checks every
custom resource, with no flags, against CRDs from every kind of source.

Loopback stand-ins for the upstreams: an HTTPS release page (github.com) with Knative Serving's release
manifest; the real Distribution registry (ghcr.io and xpkg.upbound.io mirrored to it) with a Helm chart
whose crds/ holds external-secrets' CRDs, a Crossplane package whose package.yaml holds the upjet AWS
provider's CRDs, and an OCI bundle of Knative Eventing's CRDs; the Go module proxy for the rest (the
session's mirror over the pinned module zips). All built here from the pinned CRD files.
"""

from __future__ import annotations

import json
import os
import typing as t
from pathlib import Path

import pytest

from tests.addon_servers import (
    FileServer,
    Target,
    package_yaml,
    push_helm_chart,
    push_oci_bundle,
    push_xpkg,
    self_signed,
)
from tests.addons.test_lock import RELEASE_PATH, release_manifest, snapshot
from tests.registry import TEST_PASSWORD, TEST_USER, Registry
from tests.upstream_parts import crd_files

TEMPLATE = """\
# One object per source kind, each with a value its CRD refuses: proof that each was checked.
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: probe
  namespace: {{ namespace }}
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: vault}
  target: {name: probe}
  refreshEvery: 1h
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: probe
  namespace: {{ namespace }}
spec:
  broker: default
  subscriber: {uri: "http://probe.example"}
  delivery: {retry: many}
---
apiVersion: rds.aws.m.upbound.io/v1beta1
kind: Instance
metadata:
  name: probe
  namespace: {{ namespace }}
spec:
  forProvider: {region: us-east-1, engine: postgres, instanceClass: db.t3.micro}
  size: large
"""


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[FileServer, Path]]:
    work = tmp_path_factory.mktemp("releases")
    cert, key = self_signed(work)
    server = FileServer({RELEASE_PATH: release_manifest()}, tls=(cert, key))
    yield server, cert
    server.stop()


def published(registry: Registry) -> dict[str, str]:
    """Push the chart, the package and the bundle; their manifest digests by upstream reference."""
    aws = [f for f in crd_files("provider-upjet-aws") if f.name.startswith("rds.")]
    eventing = {f"crds/{f.name}": f.read_bytes() for f in crd_files("knative-eventing")}
    return {
        "oci://ghcr.io/external-secrets/charts/external-secrets:1.3.2": push_helm_chart(
            registry.host,
            "external-secrets/charts/external-secrets",
            "external-secrets",
            "1.3.2",
            crd_files("external-secrets"),
        ),
        "oci://xpkg.upbound.io/upbound/provider-aws-rds:v2.1.0": push_xpkg(
            registry.host, "upbound/provider-aws-rds", "v2.1.0", package_yaml("Provider", "provider-aws-rds", aws)
        ),
        "oci://ghcr.io/acme/knative-eventing-crds:v0.47.0": push_oci_bundle(
            registry.host, "acme/knative-eventing-crds", "v0.47.0", eventing
        ),
    }


def sourced(platform: str) -> str:
    """The starter's platform with some add-ons from other kinds of sources, and a Crossplane provider."""
    swaps = {
        "    - {name: knative-serving, version: v0.47.0}\n": (
            "    - name: knative-serving\n      version: knative-v1.20.0\n"
            '      source: {url: "https://github.com/knative/serving/releases/download/{version}/serving-crds.yaml"}\n'
        ),
        "    - {name: knative-eventing, version: v0.47.0}\n": (
            "    - name: knative-eventing\n      version: v0.47.0\n"
            "      source: {oci: oci://ghcr.io/acme/knative-eventing-crds, paths: [crds/*.yaml]}\n"
        ),
        "    - {name: external-secrets, version: v1.3.2}\n": (
            "    - name: external-secrets\n      version: v1.3.2\n"
            "      source: {helm: oci://ghcr.io/external-secrets/charts/external-secrets, tag: '{semver}'}\n"
            "    - {name: provider-aws-rds, version: v2.1.0}\n"
        ),
        "            - crossplane\n": "            - crossplane\n            - provider-aws-rds\n",
    }
    for old, new in swaps.items():
        assert old in platform, old
        platform = platform.replace(old, new)
    return platform


def test_init_lock_build_checks_every_custom_resource(
    genplat_cli: t.Any,
    registry: Registry,
    releases: tuple[FileServer, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GENPLAT_CACHE_DIR", str(tmp_path / "cache"))
    digests = published(registry)
    server, ca = releases
    root = tmp_path / "platform"
    assert genplat_cli("init", str(root)).code == 0
    platform = root / "blueprints" / "platform.yaml"
    platform.write_text(sourced(platform.read_text()))
    mirrors = [
        f"github.com={server.url}",
        f"ghcr.io=http://{registry.host}",
        f"xpkg.upbound.io=http://{registry.host}",
    ]
    args = [a for m in mirrors for a in ("--mirror", m)]
    res = genplat_cli("addons", "lock", "-C", str(root), *args, "--ca-file", str(ca))
    assert res.code == 0, res.stderr
    lock = {
        (e["name"], e["version"]): e
        for e in json.loads((root / "blueprints" / "addons.lock.json").read_text())["addons"]
    }
    # OCI sources are recorded by the upstream reference and the digest of the manifest pushed.
    for name, version in (
        ("external-secrets", "v1.3.2"),
        ("provider-aws-rds", "v2.1.0"),
        ("knative-eventing", "v0.47.0"),
    ):
        (fetched,) = lock[(name, version)]["fetched"]
        assert digests[fetched["ref"]] == fetched["digest"], name
    assert lock[("provider-aws-rds", "v2.1.0")]["crds"][0]["path"] == "package.yaml"
    assert lock[("provider-aws-rds", "v2.1.0")]["serves"] == {
        "Instance.rds.aws.m.upbound.io": ["v1beta1"],
        "SubnetGroup.rds.aws.m.upbound.io": ["v1beta1"],
    }
    assert all(c["path"].startswith("crds/") for c in lock[("external-secrets", "v1.3.2")]["crds"])
    assert lock[("crossplane", "v2.1.0")]["fetched"][0]["ref"].startswith("https://proxy.golang.org/")
    # The build needs no flag: the cache is warm, every custom resource is checked.
    res = genplat_cli("build", "-C", str(root), "--format", "json")
    assert res.code == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["diagnostics"] == []
    # Each source's CRDs really check their objects: one planted unknown field per kind, each refused.
    templates = root / "blueprints" / "templates" / "tenant"
    templates.mkdir(parents=True)
    (templates / "probe.yaml.j2").write_text(TEMPLATE)
    res = genplat_cli("build", "-C", str(root), "--format", "json")
    findings = json.loads(res.stdout)["diagnostics"]
    assert res.code == 1
    refused = {
        (d["rule"], d["message"].split(" (cluster")[0], d["message"].split(": ")[-1].rstrip(")")) for d in findings
    }
    assert ("schema-unknown-field", "unknown field 'refreshEvery'", "external-secrets v1.3.2") in refused
    assert ("schema-type", 'expected integer, got string "many"', "knative-eventing v0.47.0") in refused
    assert ("schema-unknown-field", "unknown field 'size'", "provider-aws-rds v2.1.0") in refused


def test_a_locked_oci_version_is_fetched_by_digest_even_when_its_tag_moved(
    genplat_cli: t.Any, registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENPLAT_CACHE_DIR", str(tmp_path / "cache"))
    crds = [f for f in crd_files("cert-manager")]
    first = push_helm_chart(registry.host, "jetstack/charts/cert-manager", "cert-manager", "v1.21.2", crds)
    root = tmp_path / "p"
    assert genplat_cli("init", str(root)).code == 0
    platform = root / "blueprints" / "platform.yaml"
    text = platform.read_text().replace(
        "  environments:",
        "    - name: cert-manager\n      version: v1.21.2\n"
        "      source: {helm: oci://quay.io/jetstack/charts/cert-manager}\n  environments:",
    )
    platform.write_text(
        text.replace("            - crossplane\n", "            - crossplane\n            - cert-manager\n")
    )
    mirror = ("--mirror", f"quay.io=http://{registry.host}")
    assert genplat_cli("addons", "lock", "-C", str(root), *mirror).code == 0
    # Someone pushes other CRDs under the same tag; a machine with a cold cache builds from the lock.
    push_helm_chart(registry.host, "jetstack/charts/cert-manager", "cert-manager", "v1.21.2", crds[:1])
    monkeypatch.setenv("GENPLAT_CACHE_DIR", str(tmp_path / "cold"))
    monkeypatch.setenv("GENPLAT_MIRRORS", f"proxy.golang.org={_session_proxy()},quay.io=http://{registry.host}")
    res = genplat_cli("build", "-C", str(root))
    assert res.code == 0, res.stderr
    lock = json.loads((root / "blueprints" / "addons.lock.json").read_text())
    entry = next(e for e in lock["addons"] if e["name"] == "cert-manager")
    assert entry["fetched"][0]["digest"] == first and len(entry["crds"]) == len(crds)


def _session_proxy() -> str:
    mirrors = dict(m.split("=", 1) for m in os.environ["GENPLAT_MIRRORS"].split(",") if m)
    return mirrors["proxy.golang.org"]


def test_registry_credentials_go_only_to_their_registry(
    genplat_cli: t.Any, tls_registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart behind Basic auth and TLS (a private mirror): the credentials from the environment open it,
    and the error without them says what to do, naming no secret."""
    assert tls_registry.tls is not None
    target = Target(tls_registry.url, ca=tls_registry.tls[0], auth=(TEST_USER, TEST_PASSWORD))
    push_helm_chart(target, "charts/cert-manager", "cert-manager", "v1.21.2", crd_files("cert-manager"))
    monkeypatch.setenv("GENPLAT_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "p"
    assert genplat_cli("init", str(root)).code == 0
    platform = root / "blueprints" / "platform.yaml"
    platform.write_text(
        platform.read_text()
        .replace(
            "  environments:",
            "    - name: cert-manager\n      version: v1.21.2\n"
            "      source: {helm: oci://charts.internal.example/charts/cert-manager}\n  environments:",
        )
        .replace("            - crossplane\n", "            - crossplane\n            - cert-manager\n")
    )
    args = ("addons", "lock", "-C", str(root), "--mirror", f"charts.internal.example={tls_registry.url}")
    args += ("--ca-file", str(tls_registry.tls[0]))
    res = genplat_cli(*args)
    assert res.code == 3 and "needs credentials" in res.stderr and TEST_PASSWORD not in res.stderr
    assert snapshot(tmp_path / "cache") == {} and not (root / "blueprints" / "addons.lock.json").exists()
    res = genplat_cli(*args, env={"GENPLAT_REGISTRY_USERNAME": TEST_USER, "GENPLAT_REGISTRY_PASSWORD": TEST_PASSWORD})
    assert res.code == 0, res.stderr
    assert TEST_PASSWORD not in (root / "blueprints" / "addons.lock.json").read_text()
