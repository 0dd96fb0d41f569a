"""Push and pull against real CNCF Distribution registries, checked with skopeo and imgpkg."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from genplat import RegistryError
from genplat.packaging.artifact import (
    DOCKER_LAYER,
    FLUX_CONFIG,
    FLUX_LAYER,
    IMAGES_LOCK_PATH,
    OCI_CONFIG,
    OCI_MANIFEST,
    package_bundle,
)
from genplat.packaging.layout import read_layout
from genplat.packaging.refs import RegistryRef
from genplat.publish.auth import Credentials
from genplat.publish.registry import RegistryClient
from genplat.publish.transfer import extract_artifact, fetch_artifact, push_artifact
from tests.registry import (
    BUNDLES,
    DIGEST_ONLY,
    PINNED,
    TEST_PASSWORD,
    TEST_USER,
    Registry,
    bundle_files,
    require_tool,
    run_genplat,
    write_out_dir,
)

pytestmark = pytest.mark.registry


def _package(root: Path, fmt: str) -> dict[str, str]:
    write_out_dir(root)
    proc = run_genplat("package", "--bundle-format", fmt, "--format", "json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return {b["name"]: b["digest"] for b in json.loads(proc.stdout)["bundles"]}


def _push(root: Path, reg: Registry, *extra: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return run_genplat(
        "push", "--registry", f"{reg.host}/platform", "--insecure", "--format", "json", *extra, cwd=root, **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["flux", "imgpkg"])
def test_push_pull_round_trip(tmp_path: Path, registry: Registry, fmt: str) -> None:
    root = tmp_path / "p"
    digests = _package(root, fmt)
    proc = _push(root, registry, "--tag", f"v1-{fmt}")
    assert proc.returncode == 0, proc.stderr
    pushed = {r["bundle"]: r for r in json.loads(proc.stdout)["pushed"]}
    assert {k: v["digest"] for k, v in pushed.items()} == digests
    assert all(r["ref"] == f"{registry.host}/platform/{b}:v1-{fmt}" for b, r in pushed.items())
    for (env, cluster), tenants in BUNDLES.items():
        name = f"{env}-{cluster}"
        for ref in (f"{registry.host}/platform/{name}:v1-{fmt}", f"{registry.host}/platform/{name}@{digests[name]}"):
            dest = tmp_path / "pulled" / ref.replace("/", "_").replace(":", "_")
            pull = run_genplat("pull", ref, "--insecure", "-o", str(dest), cwd=root)
            assert pull.returncode == 0, pull.stderr
            base = dest / "config" if fmt == "imgpkg" else dest
            expected = bundle_files(env, cluster, tenants)
            got = {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}
            assert got == expected


@pytest.mark.parametrize("fmt", ["flux", "imgpkg"])
def test_skopeo_sees_exact_media_types(tmp_path: Path, registry: Registry, fmt: str) -> None:
    skopeo = require_tool("skopeo")
    root = tmp_path / "p"
    digests = _package(root, fmt)
    assert _push(root, registry, "--tag", f"sk-{fmt}").returncode == 0
    ref = f"docker://{registry.host}/platform/dev-eu1:sk-{fmt}"
    raw = subprocess.run(
        [skopeo, "inspect", "--raw", "--tls-verify=false", ref], capture_output=True, check=True
    ).stdout
    art = read_layout(root / "out" / ".oci")["dev-eu1"]
    assert raw == art.manifest.data  # the registry stores genplat's bytes as they are
    manifest = json.loads(raw)
    assert manifest["mediaType"] == OCI_MANIFEST
    if fmt == "flux":
        assert manifest["config"]["mediaType"] == FLUX_CONFIG
        assert [layer["mediaType"] for layer in manifest["layers"]] == [FLUX_LAYER]
    else:
        assert manifest["config"]["mediaType"] == OCI_CONFIG
        assert [layer["mediaType"] for layer in manifest["layers"]] == [DOCKER_LAYER]
        cfg = json.loads(
            subprocess.run(
                [skopeo, "inspect", "--config", "--raw", "--tls-verify=false", ref], capture_output=True, check=True
            ).stdout
        )
        assert cfg["config"]["Labels"]["dev.carvel.imgpkg.bundle"] == "true"
    # an independent client copies it to a layout with the same digest
    subprocess.run(
        [skopeo, "copy", "--insecure-policy", "--src-tls-verify=false", ref, f"oci:{tmp_path / 'copy'}:x"],
        capture_output=True,
        check=True,
    )
    index = json.loads((tmp_path / "copy" / "index.json").read_bytes())
    assert index["manifests"][0]["digest"] == digests["dev-eu1"]
    if fmt == "imgpkg":
        layer = (tmp_path / "copy" / "blobs" / "sha256" / manifest["layers"][0]["digest"][7:]).read_bytes()
        from genplat.packaging.tar import read_targz

        lock = yaml.safe_load(read_targz(layer)[IMAGES_LOCK_PATH][0])
        assert [e["image"] for e in lock["images"]] == ["ghcr.io/acme/orders@sha256:" + "4" * 64, DIGEST_ONLY]
        assert lock["images"][0]["annotations"]["kbld.carvel.dev/id"] == PINNED


def test_second_push_uploads_nothing(tmp_path: Path, registry: Registry) -> None:
    root = tmp_path / "p"
    _package(root, "flux")
    first = _push(root, registry, "--tag", "again")
    assert first.returncode == 0, first.stderr
    mark = registry.log_mark()
    second = _push(root, registry, "--tag", "again")
    assert second.returncode == 0, second.stderr
    time.sleep(0.2)  # let the registry flush its access log
    assert registry.writes_since(mark) == []
    for r in json.loads(second.stdout)["pushed"]:
        assert (r["blobs_uploaded"], r["blobs_skipped"], r["manifest_uploaded"], r["tag_moved"]) == (0, 2, False, False)
    # the access log really records writes (so the empty list above means something)
    mark = registry.log_mark()
    assert _push(root, registry, "--tag", "again2").returncode == 0
    time.sleep(0.2)
    assert len(registry.writes_since(mark)) == 3  # three tags moved, nothing else


def test_tag_moves_last(registry: Registry) -> None:
    client = RegistryClient(registry.host, insecure=True)
    art = package_bundle(bundle_files("dev", "eu9"))
    result = push_artifact(client, "order/check", "t1", art)
    assert result.tag_moved and result.blobs_uploaded == 2
    assert client.manifest_digest("order/check", "t1") == art.digest
    lines = registry.log.read_text().splitlines()
    writes = [ln for ln in lines if "/v2/order/check/" in ln and ('"PUT' in ln or '"POST' in ln)]
    assert "/manifests/t1" in writes[-1] and all("/manifests/t1" not in ln for ln in writes[:-1])


def test_library_pull_verifies_and_extracts(tmp_path: Path, registry: Registry) -> None:
    client = RegistryClient(registry.host, insecure=True)
    art = package_bundle(bundle_files("prod", "eu1", ("alpha",)), fmt="imgpkg")
    push_artifact(client, "lib/pull", "x", art)
    got = fetch_artifact(RegistryRef(registry.host, "lib/pull", tag="x"), client=client)
    assert (got.digest, got.layer.data, got.config.data, got.format) == (
        art.digest,
        art.layer.data,
        art.config.data,
        "imgpkg",
    )
    files = extract_artifact(got, tmp_path / "x")
    assert IMAGES_LOCK_PATH in files


def test_missing_repository_is_a_clear_404(tmp_path: Path, registry: Registry) -> None:
    proc = run_genplat("pull", f"{registry.host}/nope/nothing:v1", "--insecure", cwd=tmp_path)
    assert proc.returncode == 3
    assert "not found (404)" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_dead_registry_fails_within_bound(tmp_path: Path, fresh_registry: Registry) -> None:
    root = tmp_path / "p"
    _package(root, "flux")
    assert _push(root, fresh_registry).returncode == 0
    fresh_registry.stop()  # stop it between runs: the next push meets a dead registry
    start = time.monotonic()
    proc = _push(root, fresh_registry, "--timeout", "3")
    elapsed = time.monotonic() - start
    assert proc.returncode == 3
    assert "unreachable" in proc.stderr and "connection refused" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert elapsed < 3 + 5  # the bound plus interpreter start-up


def test_dead_registry_default_bound(tmp_path: Path) -> None:
    from tests.registry import free_port

    start = time.monotonic()
    client = RegistryClient(f"127.0.0.1:{free_port()}", insecure=True)
    with pytest.raises(RegistryError, match=r"unreachable.*connection refused"):
        client.blob_exists("a/b", "sha256:" + "0" * 64)
    assert 14 <= time.monotonic() - start < 17
    assert client.stats.retries > 3


def test_registry_stopped_mid_push(tmp_path: Path, fresh_registry: Registry) -> None:
    """Stop the registry while a push is under way: the push ends with the clear error."""
    import threading

    client = RegistryClient(fresh_registry.host, insecure=True, timeout=3)
    arts = [package_bundle({"a.yaml": f"n: {i}\n".encode() * 1000}) for i in range(200)]
    stopped_at: list[float] = []

    def stop_once_under_way() -> None:
        # Stop after the first manifest has landed (not after a fixed delay: on a busy machine the push
        # may not have started by then), so the push is really mid-run.
        deadline = time.monotonic() + 60
        while client.stats.manifests_uploaded == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        stopped_at.append(time.monotonic())
        fresh_registry.stop()

    stopper = threading.Thread(target=stop_once_under_way, daemon=True)
    stopper.start()
    with pytest.raises(RegistryError, match="unreachable"):
        for i, art in enumerate(arts):
            push_artifact(client, f"mid/r{i}", "t", art)
    end = time.monotonic()
    stopper.join(5)
    assert stopped_at and client.stats.manifests_uploaded > 0  # it was really mid-run
    assert end - stopped_at[0] < 3 + 30  # after the stop: one bounded failure, not a hang


# ---- TLS + htpasswd -------------------------------------------------------------------------
def test_tls_basic_auth_push_pull(tmp_path: Path, tls_registry: Registry) -> None:
    root = tmp_path / "p"
    digests = _package(root, "flux")
    ca = str(tls_registry.tls[0])  # type: ignore[index]
    proc = run_genplat(
        "push",
        "--registry",
        f"{tls_registry.host}/secure",
        "--ca-file",
        ca,
        "--username",
        TEST_USER,
        "--password-stdin",
        "--format",
        "json",
        cwd=root,
        input=TEST_PASSWORD + "\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert TEST_PASSWORD not in proc.stdout + proc.stderr
    # credentials from the environment, pull by digest
    pull = run_genplat(
        "pull",
        f"{tls_registry.host}/secure/dev-eu1@{digests['dev-eu1']}",
        "--ca-file",
        ca,
        "-o",
        str(tmp_path / "d"),
        cwd=root,
        env={"GENPLAT_REGISTRY_USERNAME": TEST_USER, "GENPLAT_REGISTRY_PASSWORD": TEST_PASSWORD},
    )
    assert pull.returncode == 0, pull.stderr
    assert (tmp_path / "d" / "kustomization.yaml").read_bytes() == bundle_files("dev", "eu1")["kustomization.yaml"]


def test_docker_config_credentials(tmp_path: Path, tls_registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    import base64

    cfg_dir = tmp_path / "dockercfg"
    cfg_dir.mkdir()
    token = base64.b64encode(f"{TEST_USER}:{TEST_PASSWORD}".encode()).decode()
    (cfg_dir / "config.json").write_text(json.dumps({"auths": {f"https://{tls_registry.host}": {"auth": token}}}))
    # a credential helper for another host must not be consulted
    monkeypatch.setenv("DOCKER_CONFIG", str(cfg_dir))
    from genplat.publish.auth import resolve_credentials

    creds = resolve_credentials(tls_registry.host, env={})
    assert creds is not None and creds.source == "docker config" and TEST_PASSWORD not in repr(creds)
    client = RegistryClient(tls_registry.host, ca_file=str(tls_registry.tls[0]), credentials=creds)  # type: ignore[index]
    push_artifact(client, "cfg/x", "t", package_bundle({"a.yaml": b"a: 1\n"}))


def test_credential_helper(tmp_path: Path, tls_registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helper = bindir / "docker-credential-genplattest"
    helper.write_text(
        "#!/bin/sh\nread host\n"
        f'printf \'{{"ServerURL":"%s","Username":"{TEST_USER}","Secret":"{TEST_PASSWORD}"}}\' "$host"\n'
    )
    helper.chmod(0o755)
    cfg_dir = tmp_path / "dockercfg"
    cfg_dir.mkdir()
    (cfg_dir / "config.json").write_text(json.dumps({"credHelpers": {tls_registry.host: "genplattest"}}))
    root = tmp_path / "p"
    _package(root, "flux")
    import os

    proc = run_genplat(
        "push",
        "--registry",
        f"{tls_registry.host}/helper",
        "--ca-file",
        str(tls_registry.tls[0]),  # type: ignore[index]
        cwd=root,
        env={"DOCKER_CONFIG": str(cfg_dir), "PATH": f"{bindir}:{os.environ['PATH']}"},
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("how", ["stdin", "env"])
def test_wrong_credentials_one_line_exit_3(tmp_path: Path, tls_registry: Registry, how: str) -> None:
    root = tmp_path / "p"
    _package(root, "flux")
    wrong = "WrongPassw0rd-xyz"
    args = ["push", "--registry", f"{tls_registry.host}/secure", "--ca-file", str(tls_registry.tls[0])]  # type: ignore[index]
    if how == "stdin":
        proc = run_genplat(*args, "--username", TEST_USER, "--password-stdin", cwd=root, input=wrong + "\n")
    else:
        proc = run_genplat(
            *args, cwd=root, env={"GENPLAT_REGISTRY_USERNAME": TEST_USER, "GENPLAT_REGISTRY_PASSWORD": wrong}
        )
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused the credentials" in lines[0] and "401" in lines[0]
    assert wrong not in proc.stdout + proc.stderr and TEST_USER not in proc.stderr


def test_no_credentials_says_what_to_do(tmp_path: Path, tls_registry: Registry) -> None:
    proc = run_genplat(
        "pull", f"{tls_registry.host}/secure/dev-eu1:latest", "--ca-file", str(tls_registry.tls[0]), cwd=tmp_path
    )  # type: ignore[index]
    assert proc.returncode == 3
    assert "docker login" in proc.stderr and "GENPLAT_REGISTRY_USERNAME" in proc.stderr


def test_tls_mismatch_one_line_exit_3(tmp_path: Path, tls_registry: Registry, registry: Registry) -> None:
    root = tmp_path / "p"
    _package(root, "flux")
    start = time.monotonic()
    untrusted = run_genplat(
        "push",
        "--registry",
        f"{tls_registry.host}/secure",
        "--username",
        TEST_USER,
        "--password-stdin",
        cwd=root,
        input=TEST_PASSWORD + "\n",
    )
    assert untrusted.returncode == 3 and "TLS verification" in untrusted.stderr and "--ca-file" in untrusted.stderr
    assert len(untrusted.stderr.strip().splitlines()) == 1 and TEST_PASSWORD not in untrusted.stderr
    plain_as_tls = run_genplat("push", "--registry", f"{registry.host}/x", cwd=root)
    assert plain_as_tls.returncode == 3 and "--insecure" in plain_as_tls.stderr
    tls_as_plain = run_genplat("push", "--registry", f"{tls_registry.host}/x", "--insecure", cwd=root)
    assert tls_as_plain.returncode == 3 and "HTTPS" in tls_as_plain.stderr
    assert time.monotonic() - start < 30  # none of these is retried


def test_imgpkg_pulls_our_bundles(tmp_path: Path, registry: Registry) -> None:
    imgpkg = require_tool("imgpkg")
    root = tmp_path / "p"
    digests = _package(root, "imgpkg")
    assert _push(root, registry, "--tag", "imgpkg").returncode == 0
    for (env, cluster), tenants in BUNDLES.items():
        name = f"{env}-{cluster}"
        dest = tmp_path / "imgpkg" / name
        proc = subprocess.run(
            [
                imgpkg,
                "pull",
                "-b",
                f"{registry.host}/platform/{name}@{digests[name]}",
                "-o",
                str(dest),
                "--registry-insecure",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        got = {
            p.relative_to(dest / "config").as_posix(): p.read_bytes()
            for p in (dest / "config").rglob("*")
            if p.is_file()
        }
        assert got == bundle_files(env, cluster, tenants)
        lock = yaml.safe_load((dest / IMAGES_LOCK_PATH).read_text())
        assert lock["kind"] == "ImagesLock" and len(lock["images"]) == 2


def test_credentials_hidden_in_repr() -> None:
    creds = Credentials("someone", "hunter2")
    assert "hunter2" not in repr(creds) and "someone" not in repr(creds)
