"""The documented publish path (build → package --provenance → push) on a real registry, and every
consumer of the pushed bundles: Flux's own client (source-controller's path and the flux CLI's), oras,
and kapp-controller's template steps (imgpkg pull, ytt, kbld's Config).

The example platform is built with its registry pointed at the test registry, so out/_gitops/ pins
what the clusters would pull; the tests check that the registry serves exactly those digests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest
import requests
import yaml

from tests.registry import REPO_ROOT, Registry, require_tool, run_genplat

pytestmark = pytest.mark.registry

GIT_ENV = {
    "GIT_AUTHOR_NAME": "ci",
    "GIT_AUTHOR_EMAIL": "ci@example.invalid",
    "GIT_COMMITTER_NAME": "ci",
    "GIT_COMMITTER_EMAIL": "ci@example.invalid",
    "GIT_AUTHOR_DATE": "2024-05-06T07:08:09Z",
    "GIT_COMMITTER_DATE": "2024-05-06T07:08:09Z",
}


def _project(root: Path, registry: Registry) -> Path:
    """The example project, its registry the test registry (plain HTTP), built and committed."""
    shutil.copytree(REPO_ROOT / "blueprints", root / "blueprints")
    platform = root / "blueprints" / "platform.yaml"
    text = platform.read_text().replace(
        "registry: registry.acme.example/platform", f"registry: {registry.host}/platform\n  registryInsecure: true", 1
    )
    platform.write_text(text)
    built = run_genplat("build", cwd=root)
    assert built.returncode == 0, built.stderr
    git = require_tool("git")
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", "https://git.example.invalid/acme/platform.git"],
        ["add", "-A"],
        ["commit", "-qm", "platform"],
    ):
        subprocess.run([git, *args], cwd=root, check=True, env={**os.environ, **GIT_ENV}, capture_output=True)
    return root


def _pins(root: Path) -> dict[str, tuple[str, str]]:
    """``{bundle: (repository, digest)}`` as out/_gitops/ wires them."""
    out: dict[str, tuple[str, str]] = {}
    for path in sorted((root / "out" / "_gitops").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc["kind"] == "OCIRepository":
                out[doc["metadata"]["name"]] = (doc["spec"]["url"].removeprefix("oci://"), doc["spec"]["ref"]["digest"])
            elif doc["kind"] == "App":
                repo, digest = doc["spec"]["fetch"][0]["imgpkgBundle"]["image"].split("@")
                out[doc["metadata"]["name"]] = (repo, digest)
    return out


def _bundle_files(root: Path, bundle: str) -> dict[str, bytes]:
    env, cluster = bundle.split("-", 1)
    folder = root / "out" / env / cluster
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> tuple[Path, dict[str, t.Any]]:
    root = _project(tmp_path_factory.mktemp("publish"), registry)
    packaged = run_genplat(
        "package", "--provenance", "--output-format", "json", cwd=root, env={"SOURCE_DATE_EPOCH": "1715000000"}
    )
    assert packaged.returncode == 0, packaged.stderr
    pushed = run_genplat("push", "--insecure", "--format", "json", cwd=root)
    assert pushed.returncode == 0, pushed.stderr
    return root, {"package": json.loads(packaged.stdout), "push": json.loads(pushed.stdout)}


def test_push_sends_exactly_the_pinned_digests(published: tuple[Path, dict[str, t.Any]], registry: Registry) -> None:
    root, result = published
    pins = _pins(root)
    assert set(pins) == {"dev-dev-eu", "prod-prod-eu", "prod-prod-us"}
    formats = {b["name"]: b["format"] for b in result["package"]["bundles"]}
    assert formats == {"dev-dev-eu": "flux", "prod-prod-eu": "flux", "prod-prod-us": "imgpkg"}  # as each is delivered
    lock = json.loads((root / "out" / "genplat.lock.json").read_text())
    for r in result["push"]["pushed"]:
        repo, digest = pins[r["bundle"]]
        assert r["digest"] == digest and r["ref"].startswith(repo + ":")
        env, cluster = r["bundle"].split("-", 1)
        assert lock["bundles"][f"{env}/{cluster}"]["oci"][formats[r["bundle"]]] == digest
        # What the registry itself serves under the tag is the pinned manifest.
        path = repo.split("/", 1)[1]
        head = requests.head(
            f"{registry.url}/v2/{path}/manifests/latest",
            timeout=5,
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        )
        assert head.headers["Docker-Content-Digest"] == digest


def test_provenance_is_a_referrer_beside_the_pinned_bundle(
    published: tuple[Path, dict[str, t.Any]], registry: Registry
) -> None:
    root, result = published
    sha = subprocess.run(
        [require_tool("git"), "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    for r in result["push"]["pushed"]:
        path = r["ref"].split("/", 1)[1].rsplit(":", 1)[0]
        manifest = requests.get(
            f"{registry.url}/v2/{path}/manifests/{r['digest']}",
            timeout=5,
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        ).json()
        assert "annotations" not in manifest  # never inside the pinned manifest
        index = requests.get(
            f"{registry.url}/v2/{path}/manifests/{r['digest'].replace(':', '-')}",
            timeout=5,
            headers={"Accept": "application/vnd.oci.image.index.v1+json"},
        ).json()
        (entry,) = [
            m for m in index["manifests"] if m.get("artifactType") == "application/vnd.genplat.provenance.v1+json"
        ]
        assert entry["digest"] == r["provenance"]
        assert entry["annotations"]["org.opencontainers.image.revision"] == f"main@sha1:{sha}"
        referrer = requests.get(
            f"{registry.url}/v2/{path}/manifests/{entry['digest']}",
            timeout=5,
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        ).json()
        assert referrer["subject"]["digest"] == r["digest"]
    # oras, an independent client, finds it through the same fallback scheme.
    oras = require_tool("oras")
    r = result["push"]["pushed"][0]
    found = subprocess.run(
        [oras, "discover", "--plain-http", "--format", "json", f"{r['ref'].rsplit(':', 1)[0]}@{r['digest']}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.returncode == 0, found.stderr
    assert r["provenance"] in found.stdout


def test_push_again_changes_nothing(published: tuple[Path, dict[str, t.Any]], registry: Registry) -> None:
    root, _ = published
    mark = registry.log_mark()
    again = run_genplat("push", "--insecure", "--format", "json", cwd=root)
    assert again.returncode == 0, again.stderr
    assert registry.writes_since(mark) == []


def test_stale_layout_and_changed_bundle_are_refused(published: tuple[Path, dict[str, t.Any]], tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(published[0], root)
    tenant = root / "blueprints" / "tenants" / "globex.yaml"
    tenant.write_text(tenant.read_text().replace("hank@globex.example", "hank2@globex.example"))
    assert run_genplat("build", cwd=root).returncode == 0
    # The layout was packaged before this build: push refuses it, in one line with the fix.
    stale = run_genplat("push", "--insecure", cwd=root)
    assert stale.returncode == 1  # a user error (out of date), never 3
    lines = stale.stderr.strip().splitlines()
    assert len(lines) == 1 and "genplat.lock.json pins" in lines[0] and "run `genplat package` again" in lines[0], lines
    # A bundle edited by hand after the build: package refuses it.
    (root / "out" / "dev" / "dev-eu" / "tenants" / "globex.yaml").write_text("---\n{}\n")
    edited = run_genplat("package", cwd=root)
    assert edited.returncode == 1
    lines = edited.stderr.strip().splitlines()
    assert len(lines) == 1 and "run `genplat build`" in lines[0], lines


def test_another_registry_needs_a_flag_and_says_so(
    published: tuple[Path, dict[str, t.Any]], registry: Registry
) -> None:
    root, _ = published
    refused = run_genplat("push", "--registry", f"{registry.host}/mirror", "--insecure", cwd=root)
    assert (
        refused.returncode == 2 and "--other-registry" in refused.stderr and "will not see this push" in refused.stderr
    )
    mirrored = run_genplat(
        "push", "--registry", f"{registry.host}/mirror", "--other-registry", "--insecure", "--format", "json", cwd=root
    )
    assert mirrored.returncode == 0, mirrored.stderr
    assert mirrored.stderr.count("genplat: warning:") == 3 and "will not see this push" in mirrored.stderr
    assert all("/mirror/" in r["ref"] for r in json.loads(mirrored.stdout)["pushed"])


def test_oras_pull_writes_the_bundle_files(published: tuple[Path, dict[str, t.Any]], tmp_path: Path) -> None:
    root, result = published
    oras = require_tool("oras")
    for r in result["push"]["pushed"]:
        dest = tmp_path / r["bundle"]
        dest.mkdir()
        pulled = subprocess.run(
            [oras, "pull", "--plain-http", "-o", str(dest), f"{r['ref'].rsplit(':', 1)[0]}@{r['digest']}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert pulled.returncode == 0, pulled.stderr
        files = _bundle_files(root, r["bundle"])
        if r["bundle"] == "prod-prod-us":  # imgpkg: the manifests under config/, the ImagesLock beside them
            got = _tree(dest)
            assert {p.removeprefix("config/"): d for p, d in got.items() if p.startswith("config/")} == files
            assert set(got) - {f"config/{p}" for p in files} == {".imgpkg/images.yml"}
        else:
            assert _tree(dest) == files


def test_flux_client_pulls_the_pinned_artifact(published: tuple[Path, dict[str, t.Any]], tmp_path: Path) -> None:
    """Flux's own OCI client (fluxcd/pkg/oci + pkg/tar): source-controller's path and the flux CLI's."""
    root, _ = published
    fluxpull = require_tool("fluxpull")
    for bundle, (repo, digest) in _pins(root).items():
        if bundle == "prod-prod-us":
            continue
        for mode in ([], ["-client"]):
            dest = tmp_path / f"{bundle}{''.join(mode)}"
            proc = subprocess.run(
                [fluxpull, "-insecure", *mode, f"{repo}@{digest}", str(dest)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert proc.returncode == 0, proc.stderr
            report = json.loads(proc.stdout)
            assert report["digest"].endswith(digest)
            assert _tree(dest) == _bundle_files(root, bundle)


def test_kapp_template_steps_over_each_pushed_imgpkg_bundle(
    published: tuple[Path, dict[str, t.Any]], tmp_path: Path
) -> None:
    """The App's steps as kapp-controller runs them: imgpkg pull by digest, ytt with the App's paths and
    file marks, and kbld's input checked: its Config leaves exactly the Kyverno patterns alone."""
    root, _ = published
    imgpkg, ytt = require_tool("imgpkg"), require_tool("ytt")
    apps = [
        d
        for p in sorted((root / "out" / "_gitops" / "kapp").glob("*.yaml"))
        for d in yaml.safe_load_all(p.read_text())
        if d["kind"] == "App"
    ]
    assert [a["metadata"]["name"] for a in apps] == ["prod-prod-us"]
    for app in apps:
        spec = app["spec"]
        ref = spec["fetch"][0]["imgpkgBundle"]["image"]
        dest = tmp_path / app["metadata"]["name"]
        pulled = subprocess.run(
            [imgpkg, "pull", "-b", ref, "-o", str(dest), "--registry-insecure"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HOME": str(tmp_path)},
        )
        assert pulled.returncode == 0, pulled.stderr + pulled.stdout
        step = spec["template"][0]["ytt"]
        args = [ytt, *(["--ignore-unknown-comments"] if step.get("ignoreUnknownComments") else [])]
        for path in step["paths"]:
            args += ["-f", str(dest / path)]
        for mark in step["fileMarks"]:
            args += ["--file-mark", mark]
        rendered = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert rendered.returncode == 0, rendered.stderr
        docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
        assert not [d for d in docs if d["kind"] == "Kustomization"]
        # kbld's step reads ytt's output ("-") and the ImagesLock; both are there.
        assert spec["template"][1]["kbld"]["paths"] == ["-", ".imgpkg/images.yml"]
        lock = yaml.safe_load((dest / ".imgpkg" / "images.yml").read_text())
        assert lock["kind"] == "ImagesLock"
        (config,) = [d for d in docs if d["apiVersion"] == "kbld.k14s.io/v1alpha1" and d["kind"] == "Config"]
        assert "minimumRequiredVersion" not in config
        rules = {r["valueMatcher"]["image"]: r for r in config["searchRules"]}
        patterns = set()
        for d in docs:
            if d["kind"] in ("ClusterPolicy", "Policy"):
                patterns |= _image_values(d)
        # A bundle whose cluster runs Kyverno carries its image patterns; one with native admission
        # policies (CEL, no image: keys) has nothing kbld must leave alone.
        assert set(rules) == patterns
        for rule in rules.values():
            assert rule == {
                "keyMatcher": {"name": "image"},
                "valueMatcher": {"image": rule["valueMatcher"]["image"]},
                "updateStrategy": {"none": {}},
            }
        # Every other image kbld meets is a reference it can resolve (or one the lock holds).
        others = set()
        for d in docs:
            if d["kind"] not in ("ClusterPolicy", "Policy", "Config"):
                others |= _image_values(d)
        assert not others & patterns
        # Every object the bundle holds reaches kapp (the configs are for kbld and kapp themselves).
        objects = [d for d in docs if d["apiVersion"] not in ("kbld.k14s.io/v1alpha1", "kapp.k14s.io/v1alpha1")]
        in_bundle = [
            d
            for p, data in _bundle_files(root, app["metadata"]["name"]).items()
            if not p.endswith("kustomization.yaml") and p not in ("kbld-config.yaml", "kapp-config.yaml")
            for d in yaml.safe_load_all(data)
            if d
        ]
        assert len(objects) == len(in_bundle) > 0
        # Change groups: every object is in a layer; the platform waits for the add-ons, tenants for the platform.
        for d in objects:
            ann = d["metadata"]["annotations"]
            assert ann["kapp.k14s.io/change-group"] in (
                "genplat.dev/addons",
                "genplat.dev/platform",
                "genplat.dev/tenants",
            )
            if ann["kapp.k14s.io/change-group"] == "genplat.dev/platform":
                assert ann["kapp.k14s.io/change-rule.addons"] == "upsert after upserting genplat.dev/addons"
            if ann["kapp.k14s.io/change-group"] == "genplat.dev/tenants":
                assert ann["kapp.k14s.io/change-rule"] == "upsert after upserting genplat.dev/platform"


def _image_values(node: t.Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "image" and isinstance(v, str):
                found.add(v)
            else:
                found |= _image_values(v)
    elif isinstance(node, list):
        for v in node:
            found |= _image_values(v)
    return found
