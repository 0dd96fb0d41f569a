"""cosign v2 and v3 (pinned, built into the tool cache) verify what genplat signs, against a real registry.

The example project's bundles are packaged, signed offline into the layout with a key made by
``cosign generate-key-pair`` (cosign's encrypted format), and pushed; then each cosign version must
accept each bundle with that key, reject it with another key, and accept the SBOM and provenance
attestations. ``genplat verify`` must agree with cosign on signed, unsigned, wrong-key, tampered and
digest-mismatch cases.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest
import requests

from genplat.packaging.artifact import Blob
from genplat.publish.registry import RegistryClient
from genplat.publish.sign import _formats as fmt
from tests.registry import REPO_ROOT, Registry, require_tool, run_genplat, write_out_dir

pytestmark = pytest.mark.tools  # the real cosign v2 and v3

PASSWORD = "cosign-Test-pw-77"
COSIGNS = ("cosign-v2", "cosign-v3")
FLAGS = ["--insecure-ignore-tlog", "--allow-insecure-registry", "--allow-http-registry"]


_HOME: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _cosign_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """cosign keeps TUF metadata and caches under HOME: give it one of its own, never the developer's."""
    _HOME[:] = [tmp_path_factory.mktemp("cosign-home")]


def cosign(
    name: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    import os

    home = _HOME[0]
    full = {
        **os.environ,
        "HOME": str(home),
        "TUF_ROOT": str(home / ".sigstore"),
        "COSIGN_PASSWORD": PASSWORD,
        "COSIGN_YES": "true",
        "DOCKER_CONFIG": str(home / ".docker"),
        **(env or {}),
    }
    return subprocess.run(
        [require_tool(name), *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A signer's key pair made by cosign itself, and another public key nobody signed with."""
    out: dict[str, Path] = {}
    for name in ("signer", "other"):
        folder = tmp_path_factory.mktemp(f"keys-{name}")
        run = cosign("cosign-v2", "generate-key-pair", cwd=folder)
        assert run.returncode == 0, run.stderr
        out[f"{name}.key"], out[f"{name}.pub"] = folder / "cosign.key", folder / "cosign.pub"
    assert b"ENCRYPTED SIGSTORE PRIVATE KEY" in out["signer.key"].read_bytes()
    return out


@pytest.fixture(scope="module")
def published(registry: Registry, keys: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, t.Any]:
    """The example bundles (out/ of this repository) packaged, signed offline, pushed; plus an unsigned bundle."""
    work = tmp_path_factory.mktemp("signed")
    shutil.copytree(REPO_ROOT / "out", work / "out", ignore=shutil.ignore_patterns(".oci", ".genplat"))
    shutil.copytree(REPO_ROOT / "blueprints", work / "blueprints")
    pkg = run_genplat("package", "out", "--format", "json", cwd=work)
    assert pkg.returncode == 0, pkg.stderr
    bundles = {b["name"]: b["digest"] for b in json.loads(pkg.stdout)["bundles"]}
    sign = run_genplat(
        "sign",
        "--key",
        str(keys["signer.key"]),
        "--registry",
        f"{registry.host}/signed",
        "--format",
        "json",
        cwd=work,
        env={"COSIGN_PASSWORD": PASSWORD},
    )
    assert sign.returncode == 0, sign.stderr
    signed = json.loads(sign.stdout)
    push = run_genplat(
        "push", "--registry", f"{registry.host}/signed", "--other-registry", "--insecure", "--format", "json", cwd=work
    )
    assert push.returncode == 0, push.stderr
    assert json.loads(push.stdout)["attachments_written"] == 2 * len(bundles)  # .sig and .att per bundle
    # Another project's bundles, pushed without signing.
    other = work / "unsigned"
    write_out_dir(other)
    assert run_genplat("package", "out", cwd=other).returncode == 0
    pushed = run_genplat(
        "push", "--registry", f"{registry.host}/unsigned", "--insecure", "--layout", "out/.oci", cwd=other
    )
    assert pushed.returncode == 0, pushed.stderr
    return {"bundles": bundles, "deterministic": signed["deterministic"], "work": work}


def ref(registry: Registry, repo: str, digest: str) -> str:
    return f"{registry.host}/{repo}@{digest}"


def genplat_verify(reference: str, key: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_genplat("verify", reference, "--key", str(key), "--insecure", *extra, cwd=key.parent)


@pytest.mark.parametrize("version", COSIGNS)
def test_cosign_accepts_every_signed_bundle_and_rejects_another_key(
    version: str, registry: Registry, keys: dict[str, Path], published: dict[str, t.Any]
) -> None:
    assert len(published["bundles"]) == 3
    for name, digest in published["bundles"].items():
        target = ref(registry, f"signed/{name}", digest)
        ok = cosign(version, "verify", "--key", str(keys["signer.pub"]), *FLAGS, target)
        assert ok.returncode == 0, ok.stderr
        claims = json.loads(ok.stdout)
        assert claims[0]["critical"]["image"]["docker-manifest-digest"] == digest
        bad = cosign(version, "verify", "--key", str(keys["other.pub"]), *FLAGS, target)
        assert bad.returncode != 0
        assert genplat_verify(target, keys["signer.pub"]).returncode == 0
        assert genplat_verify(target, keys["other.pub"]).returncode == 1


@pytest.mark.parametrize("version", COSIGNS)
@pytest.mark.parametrize(
    "kind,predicate",
    [("cyclonedx", "https://cyclonedx.org/bom"), ("slsaprovenance1", "https://slsa.dev/provenance/v1")],
)
def test_cosign_accepts_the_attestations(
    version: str, kind: str, predicate: str, registry: Registry, keys: dict[str, Path], published: dict[str, t.Any]
) -> None:
    for name, digest in published["bundles"].items():
        target = ref(registry, f"signed/{name}", digest)
        run = cosign(version, "verify-attestation", "--type", kind, "--key", str(keys["signer.pub"]), *FLAGS, target)
        assert run.returncode == 0, run.stderr
        envelope = json.loads(run.stdout.splitlines()[0])
        import base64

        statement = json.loads(base64.b64decode(envelope["payload"]))
        assert statement["predicateType"] == predicate
        assert statement["subject"][0]["digest"]["sha256"] == digest.removeprefix("sha256:")
        if kind == "cyclonedx":
            images = [c for c in statement["predicate"]["components"] if c["type"] == "container"]
            assert images, "the example deploys container images"
        else:
            deps = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
            assert any(d.get("name") == "blueprints/platform.yaml" for d in deps)
        wrong = cosign(version, "verify-attestation", "--type", kind, "--key", str(keys["other.pub"]), *FLAGS, target)
        assert wrong.returncode != 0
        assert genplat_verify(target, keys["signer.pub"], "--attestation", kind).returncode == 0


def _client(registry: Registry) -> RegistryClient:
    return RegistryClient(registry.host, insecure=True, timeout=10)


def _both_reject(registry: Registry, target: str, key: Path, status: str) -> str:
    for version in COSIGNS:
        run = cosign(version, "verify", "--key", str(key), *FLAGS, target)
        assert run.returncode != 0, (version, run.stdout)
    verdict = genplat_verify(target, key)
    assert verdict.returncode == 1 and verdict.stdout == ""
    assert verdict.stderr.count("\n") == 1 and verdict.stderr.startswith(f"genplat: {status}"), verdict.stderr
    return verdict.stderr


def test_unsigned_bundle_is_rejected_by_both(
    registry: Registry, keys: dict[str, Path], published: dict[str, t.Any]
) -> None:
    digest = _client(registry).manifest_digest("unsigned/dev-eu1", "latest")
    assert digest
    _both_reject(registry, ref(registry, "unsigned/dev-eu1", digest), keys["signer.pub"], "unsigned")


def test_tampered_payload_is_rejected_by_both(
    registry: Registry, keys: dict[str, Path], published: dict[str, t.Any]
) -> None:
    """Copy a bundle, then alter its signature payload (keeping the signature): nobody may accept it."""
    client = _client(registry)
    name, digest = sorted(published["bundles"].items())[0]
    src, dst = f"signed/{name}", "tampered/one"
    _copy(client, src, dst, digest)
    sig = client.find_manifest(src, fmt.sig_tag(digest))
    assert sig is not None
    layer = fmt.manifest_layers(sig)[0]
    payload = client.get_blob(src, layer["digest"], fmt.SIMPLESIGNING, max_bytes=1 << 20).data
    altered = payload.replace(b'"optional":null', b'"optional":{"approved":"yes"}')
    assert altered != payload
    new = Blob.of(fmt.SIMPLESIGNING, altered)
    desc = {**new.descriptor(), "annotations": layer["annotations"]}
    config, manifest = fmt.attachment_image([desc])
    for blob in (new, config):
        client.upload_blob(dst, blob)
    client.put_manifest(dst, fmt.sig_tag(digest), manifest)
    target = ref(registry, dst, digest)
    line = _both_reject(registry, target, keys["signer.pub"], "not verified")
    assert "altered" in line
    # And the untouched copy of the signature verifies again once restored (the test can pass).
    _copy_sig(client, src, dst, digest)
    assert genplat_verify(target, keys["signer.pub"]).returncode == 0


def test_signature_of_another_digest_is_rejected_by_both(
    registry: Registry, keys: dict[str, Path], published: dict[str, t.Any]
) -> None:
    """A valid signature moved onto another bundle's tag: it covers the wrong digest."""
    client = _client(registry)
    (a, a_digest), (b, b_digest) = sorted(published["bundles"].items())[:2]
    dst = "mismatch/one"
    _copy(client, f"signed/{b}", dst, b_digest)
    sig = client.find_manifest(f"signed/{a}", fmt.sig_tag(a_digest))
    assert sig is not None
    for d in fmt.manifest_layers(sig) + [json.loads(sig.data)["config"]]:
        client.upload_blob(dst, client.get_blob(f"signed/{a}", d["digest"], d["mediaType"], max_bytes=1 << 20))
    client.put_manifest(dst, fmt.sig_tag(b_digest), sig)
    line = _both_reject(registry, ref(registry, dst, b_digest), keys["signer.pub"], "digest mismatch")
    assert a_digest in line and b_digest in line


def _copy(client: RegistryClient, src: str, dst: str, digest: str) -> None:
    manifest = client.get_manifest(src, digest)
    doc = json.loads(manifest.data)
    for d in [doc["config"], *doc["layers"]]:
        client.upload_blob(dst, client.get_blob(src, d["digest"], d["mediaType"], max_bytes=1 << 30))
    client.put_manifest(dst, digest, manifest)


def _copy_sig(client: RegistryClient, src: str, dst: str, digest: str) -> None:
    sig = client.find_manifest(src, fmt.sig_tag(digest))
    assert sig is not None
    for d in fmt.manifest_layers(sig) + [json.loads(sig.data)["config"]]:
        client.upload_blob(dst, client.get_blob(src, d["digest"], d["mediaType"], max_bytes=1 << 20))
    client.put_manifest(dst, fmt.sig_tag(digest), sig)


def test_signing_in_the_registry_keeps_existing_signatures_and_repeats_byte_for_byte(
    registry: Registry, keys: dict[str, Path], published: dict[str, t.Any], tmp_path: Path
) -> None:
    """``genplat sign REF`` adds a second signer next to the first; signing again changes nothing."""
    client = _client(registry)
    name, digest = sorted(published["bundles"].items())[-1]
    target = ref(registry, f"signed/{name}", digest)
    second = tmp_path / "second"
    second.mkdir()
    gen = cosign("cosign-v2", "generate-key-pair", cwd=second)
    assert gen.returncode == 0, gen.stderr
    before = client.find_manifest(f"signed/{name}", fmt.sig_tag(digest))
    for _ in range(2):
        run = run_genplat(
            "sign",
            target,
            "--key",
            str(second / "cosign.key"),
            "--insecure",
            "--no-attest",
            cwd=tmp_path,
            env={"COSIGN_PASSWORD": PASSWORD},
        )
        assert run.returncode == 0, run.stderr
    after = client.find_manifest(f"signed/{name}", fmt.sig_tag(digest))
    assert before is not None and after is not None
    assert len(fmt.manifest_layers(after)) == len(fmt.manifest_layers(before)) + 1
    for version in COSIGNS:
        for pub in (keys["signer.pub"], second / "cosign.pub"):
            run = cosign(version, "verify", "--key", str(pub), *FLAGS, target)
            assert run.returncode == 0, (version, run.stderr)
    print(f"deterministic signing (RFC 6979) available: {published['deterministic']}")
    if published["deterministic"]:
        # A fresh layout signed again from scratch gives the very signature image pushed earlier.
        work = published["work"]
        again = tmp_path / "again"
        shutil.copytree(work / "out" / ".oci", again)
        for p in again.glob("index.json"):
            doc = json.loads(p.read_bytes())
            doc["manifests"] = [
                m
                for m in doc["manifests"]
                if not fmt.ATTACHMENT_TAG_RE.match(m["annotations"]["org.opencontainers.image.ref.name"])
            ]
            p.write_text(json.dumps(doc))
        run = run_genplat(
            "sign",
            name,
            "--layout",
            str(again),
            "--key",
            str(keys["signer.key"]),
            "--no-attest",
            "--registry",
            f"{registry.host}/signed",
            cwd=work,
            env={"COSIGN_PASSWORD": PASSWORD},
        )
        assert run.returncode == 0, run.stderr
        from genplat.publish.sign import LayoutStore

        fresh = LayoutStore(again).manifest(fmt.sig_tag(digest))
        original = LayoutStore(work / "out" / ".oci").manifest(fmt.sig_tag(digest))
        assert fresh is not None and original is not None and fresh.data == original.data


def test_cosign_v3_accepts_the_sigstore_bundle_format(
    registry: Registry, keys: dict[str, Path], published: dict[str, t.Any], tmp_path: Path
) -> None:
    """``--scheme sigstore-bundle`` on a registry without the referrers API: the sha256-<hex> fallback index."""
    client = _client(registry)
    name, digest = sorted(published["bundles"].items())[0]
    dst = "bundle/one"
    _copy(client, f"signed/{name}", dst, digest)
    target = ref(registry, dst, digest)
    assert client.referrers(dst, digest) is None  # Distribution 2.8: no referrers API
    run = run_genplat(
        "sign",
        target,
        "--key",
        str(keys["signer.key"]),
        "--scheme",
        "sigstore-bundle",
        "--insecure",
        "--blueprints",
        str(published["work"] / "blueprints"),
        cwd=tmp_path,
        env={"COSIGN_PASSWORD": PASSWORD},
    )
    assert run.returncode == 0, run.stderr
    index = client.find_manifest(dst, fmt.referrers_tag(digest))
    assert index is not None and len(fmt.index_manifests(index)) == 3
    ok = cosign("cosign-v3", "verify", "--key", str(keys["signer.pub"]), *FLAGS, target)
    assert ok.returncode == 0, ok.stderr
    assert cosign("cosign-v3", "verify", "--key", str(keys["other.pub"]), *FLAGS, target).returncode != 0
    att = cosign(
        "cosign-v3", "verify-attestation", "--type", "cyclonedx", "--key", str(keys["signer.pub"]), *FLAGS, target
    )
    assert att.returncode == 0, att.stderr
    assert genplat_verify(target, keys["signer.pub"], "--attestation", "slsaprovenance1").returncode == 0
    assert genplat_verify(target, keys["other.pub"]).returncode == 1


@pytest.mark.parametrize(
    "version,scheme", [("cosign-v2", "legacy"), ("cosign-v3", "legacy"), ("cosign-v3", "sigstore-bundle")]
)
def test_genplat_verifies_what_cosign_signs(
    version: str, scheme: str, registry: Registry, keys: dict[str, Path], published: dict[str, t.Any], tmp_path: Path
) -> None:
    client = _client(registry)
    name, digest = sorted(published["bundles"].items())[1]
    dst = f"cosigned/{version}-{scheme}"
    _copy(client, f"signed/{name}", dst, digest)
    target = ref(registry, dst, digest)
    extra = ["--tlog-upload=false"]
    if version == "cosign-v3":
        extra += ["--use-signing-config=false", f"--new-bundle-format={'true' if scheme != 'legacy' else 'false'}"]
    run = cosign(
        version,
        "sign",
        "--key",
        str(keys["signer.key"]),
        *extra,
        "--allow-insecure-registry",
        "--allow-http-registry",
        target,
    )
    assert run.returncode == 0, run.stderr
    if scheme != "legacy":
        assert client.find_manifest(dst, fmt.sig_tag(digest)) is None
        assert client.find_manifest(dst, fmt.referrers_tag(digest)) is not None
    ok = genplat_verify(target, keys["signer.pub"])
    assert ok.returncode == 0, ok.stderr
    assert genplat_verify(target, keys["other.pub"]).returncode == 1


def test_push_sign_signs_in_the_registry(registry: Registry, keys: dict[str, Path], tmp_path: Path) -> None:
    out = write_out_dir(tmp_path / "p")
    assert run_genplat("package", str(out), cwd=tmp_path).returncode == 0
    run = run_genplat(
        "push",
        "--registry",
        f"{registry.host}/pushsigned",
        "--insecure",
        "--layout",
        str(out / ".oci"),
        "--sign",
        "--key",
        str(keys["signer.key"]),
        "--format",
        "json",
        cwd=tmp_path,
        env={"COSIGN_PASSWORD": PASSWORD},
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert len(doc["signed"]) == len(doc["pushed"]) == 3
    for pushed in doc["pushed"]:
        target = f"{pushed['ref'].rsplit(':', 1)[0]}@{pushed['digest']}"
        ok = cosign("cosign-v2", "verify", "--key", str(keys["signer.pub"]), *FLAGS, target)
        assert ok.returncode == 0, ok.stderr
    assert requests.get(f"{registry.url}/v2/", timeout=5).status_code == 200
