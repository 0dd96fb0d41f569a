"""Signing into the local OCI layout, keys, attestations and the verifying Flux wiring, without a registry.

cosign reads what is written here in tests/publish/sign/test_cosign.py; these tests pin the properties
that need no external tool: key formats, secrecy, determinism, keeping existing signatures, the SBOM
and provenance content, and the wiring's schema.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from genplat.checks.guardrails import run_guardrails
from genplat.packaging.artifact import package_bundle
from genplat.packaging.gitops import render_gitops
from genplat.packaging.refs import parse_ref
from genplat.publish.sign import (
    DETERMINISTIC,
    KeyFileError,
    LayoutStore,
    encrypt_cosign_key,
    load_public_key,
    load_signing_key,
    read_source,
    sbom,
    sig_tag,
    sign_layout,
    verify_ref,
)
from genplat.publish.sign import _formats as fmt
from tests.packaging.test_gitops import _validate
from tests.registry import DIGEST_ONLY, PINNED, UNPINNED, bundle_files, run_genplat, write_out_dir

PASSWORD = "correct-Horse-battery-42"


def write_keys(folder: Path, name: str = "cosign") -> tuple[Path, Path, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    priv, pub = folder / f"{name}.key", folder / f"{name}.pub"
    priv.write_bytes(encrypt_cosign_key(key, PASSWORD.encode()))
    pub.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return priv, pub, key


def pkcs8(folder: Path, key: ec.EllipticCurvePrivateKey, password: bytes | None = None) -> Path:
    path = folder / ("enc.pem" if password else "plain.pem")
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    out = write_out_dir(tmp_path / "project")
    run = run_genplat("package", str(out), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    return tmp_path / "project"


# ---- keys ------------------------------------------------------------------------------------
def test_key_formats_load_and_sign(tmp_path: Path) -> None:
    priv, pub, key = write_keys(tmp_path)
    public = load_public_key(pub)
    loaded = [
        load_signing_key(priv, lambda: PASSWORD.encode()),
        load_signing_key(pkcs8(tmp_path, key)),
        load_signing_key(pkcs8(tmp_path, key, b"pkcs8-pass"), lambda: b"pkcs8-pass"),
    ]
    for signing in loaded:
        assert public.verifies(signing.sign(b"payload"), b"payload")
        assert PASSWORD not in repr(signing)


def test_key_errors_are_one_line_and_name_no_secret(tmp_path: Path) -> None:
    priv, pub, _ = write_keys(tmp_path)
    with pytest.raises(KeyFileError) as err:
        load_signing_key(priv, lambda: b"wrong-password-xyz")
    assert "wrong password" in err.value.message and "wrong-password-xyz" not in err.value.message
    with pytest.raises(KeyFileError, match="public key"):
        load_signing_key(pub)
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(KeyFileError, match="P-256"):
        load_signing_key(pkcs8(tmp_path, p384))
    with pytest.raises(KeyFileError, match="not found"):
        load_signing_key(tmp_path / "missing.key")


def test_cli_never_shows_key_or_password(project: Path, tmp_path: Path) -> None:
    priv, _, key = write_keys(tmp_path)
    secret_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    bad = run_genplat(
        "sign",
        "--key",
        str(priv),
        "--registry",
        "registry.example/p",
        "--layout",
        "out/.oci",
        cwd=project,
        env={"COSIGN_PASSWORD": "not-" + PASSWORD},
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") <= 2 and "wrong password" in bad.stderr
    good = run_genplat(
        "sign",
        "--key",
        str(priv),
        "--registry",
        "registry.example/p",
        "--layout",
        "out/.oci",
        cwd=project,
        env={"COSIGN_PASSWORD": PASSWORD},
    )
    assert good.returncode == 0, good.stderr
    no_tty = run_genplat(
        "sign",
        "--key",
        str(priv),
        "--registry",
        "registry.example/p",
        cwd=project,
        env={"COSIGN_PASSWORD": ""},
        input="",
    )
    assert no_tty.returncode == 2  # an empty password is a password (as in cosign): the wrong one here
    for run in (bad, good, no_tty):
        text = run.stdout + run.stderr
        assert PASSWORD not in text and base64.b64encode(secret_der).decode()[:40] not in text
    for path in (project / "out" / ".oci").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PASSWORD.encode() not in data and scalar not in data and secret_der not in data


# ---- signing into the layout ----------------------------------------------------------------
def test_sign_layout_verifies_and_is_idempotent(project: Path, tmp_path: Path) -> None:
    priv, pub, _ = write_keys(tmp_path)
    layout = project / "out" / ".oci"
    key = load_signing_key(priv, lambda: PASSWORD.encode())
    first = sign_layout(layout, key, registry="registry.example/p", source=read_source(project))
    assert [r.bundle for r in first] == ["dev-eu1", "prod-eu1", "prod-us1"] and all(r.added for r in first)
    index_after_first = (layout / "index.json").read_bytes()
    again = sign_layout(layout, key, registry="registry.example/p", source=read_source(project))
    assert not any(r.added for r in again)
    assert (layout / "index.json").read_bytes() == index_after_first  # nothing added twice
    for r in first:
        verdicts = verify_ref(
            parse_ref(f"oci:{layout}:{r.bundle}"),
            load_public_key(pub),
            predicate_types=["https://cyclonedx.org/bom", "https://slsa.dev/provenance/v1"],
        )
        assert [v.status for v in verdicts] == ["verified"] * 3, verdicts
    # The layout still reads as bundles only: pull and push see no signature images.
    pulled = run_genplat("pull", "oci:out/.oci:dev-eu1", "-o", str(tmp_path / "pulled"), cwd=project)
    assert pulled.returncode == 0, pulled.stderr


def test_signing_twice_gives_identical_signature_manifests(project: Path, tmp_path: Path) -> None:
    """With RFC 6979 (OpenSSL >= 3.2) a fresh signature over the same digest is byte-identical."""
    priv, _, _ = write_keys(tmp_path)
    layouts = []
    for n in (1, 2):
        copy = tmp_path / f"layout{n}"
        shutil.copytree(project / "out" / ".oci", copy)
        sign_layout(
            copy, load_signing_key(priv, lambda: PASSWORD.encode()), registry="registry.example/p", attest=False
        )
        layouts.append(LayoutStore(copy))
    digest = layouts[0].manifest("dev-eu1").digest  # type: ignore[union-attr]
    first, second = (s.manifest(sig_tag(digest)) for s in layouts)
    assert first is not None and second is not None
    print(f"deterministic signing (RFC 6979) available: {DETERMINISTIC}")
    if DETERMINISTIC:
        assert first.data == second.data
    else:  # randomised ECDSA: the payload is the same, the signature annotation differs
        assert fmt.manifest_layers(first)[0]["digest"] == fmt.manifest_layers(second)[0]["digest"]


def test_another_signature_keeps_the_first(project: Path, tmp_path: Path) -> None:
    a_priv, a_pub, _ = write_keys(tmp_path, "a")
    b_priv, b_pub, _ = write_keys(tmp_path, "b")
    _, c_pub, _ = write_keys(tmp_path, "c")
    layout = project / "out" / ".oci"
    for priv in (a_priv, b_priv):
        run = run_genplat(
            "sign",
            "prod-us1",
            "--key",
            str(priv),
            "--no-attest",
            "--registry",
            "r.example/p",
            cwd=project,
            env={"COSIGN_PASSWORD": PASSWORD},
        )
        assert run.returncode == 0, run.stderr
    store = LayoutStore(layout)
    digest = store.manifest("prod-us1").digest  # type: ignore[union-attr]
    assert len(fmt.manifest_layers(store.manifest(sig_tag(digest)))) == 2
    for pub, code in ((a_pub, 0), (b_pub, 0), (c_pub, 1)):
        run = run_genplat("verify", "oci:out/.oci:prod-us1", "--key", str(pub), cwd=project)
        assert run.returncode == code, run.stdout + run.stderr
    unsigned = run_genplat("verify", "oci:out/.oci:dev-eu1", "--key", str(a_pub), cwd=project)
    assert unsigned.returncode == 1 and unsigned.stderr.startswith("genplat: unsigned:")
    assert unsigned.stderr.count("\n") == 1


def test_sigstore_bundle_scheme_in_the_layout(project: Path, tmp_path: Path) -> None:
    priv, pub, _ = write_keys(tmp_path)
    run = run_genplat(
        "sign",
        "dev-eu1",
        "--key",
        str(priv),
        "--scheme",
        "sigstore-bundle",
        "--registry",
        "r.example/p",
        cwd=project,
        env={"COSIGN_PASSWORD": PASSWORD},
    )
    assert run.returncode == 0, run.stderr
    store = LayoutStore(project / "out" / ".oci")
    digest = store.manifest("dev-eu1").digest  # type: ignore[union-attr]
    index = store.manifest(fmt.referrers_tag(digest))
    assert index is not None
    referrers = fmt.index_manifests(index)
    assert {d["annotations"]["dev.sigstore.bundle.predicateType"] for d in referrers} == {
        fmt.COSIGN_SIGN_PREDICATE,
        "https://cyclonedx.org/bom",
        "https://slsa.dev/provenance/v1",
    }
    assert all(d["artifactType"] == fmt.BUNDLE_V03 for d in referrers)
    ok = run_genplat("verify", "oci:out/.oci:dev-eu1", "--key", str(pub), "--attestation", "cyclonedx", cwd=project)
    assert ok.returncode == 0, ok.stderr


# ---- attestations -----------------------------------------------------------------------------
def test_sbom_lists_images_with_digests_and_every_file() -> None:
    files = bundle_files("dev", "eu1")
    art = package_bundle(files)
    bom = sbom("dev-eu1", art.digest, files, repository="registry.example/p/dev-eu1")
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.5"
    images = {c["properties"][0]["value"]: c for c in bom["components"] if c["type"] == "container"}
    assert set(images) == {PINNED, DIGEST_ONLY, UNPINNED}
    assert images[PINNED]["hashes"] == [{"alg": "SHA-256", "content": "4" * 64}]
    assert images[PINNED]["version"] == "1.4.2" and images[PINNED]["name"] == "ghcr.io/acme/orders"
    assert images[DIGEST_ONLY]["hashes"][0]["content"] == "5" * 64
    assert "hashes" not in images[UNPINNED]
    listed = {c["name"]: c["hashes"][0]["content"] for c in bom["components"] if c["type"] == "file"}
    import hashlib

    assert listed == {p: hashlib.sha256(d).hexdigest() for p, d in files.items()}
    assert sbom("dev-eu1", art.digest, files) == sbom("dev-eu1", art.digest, files, repository=None)


def test_provenance_names_commit_and_blueprint_digests(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "blueprints" / "tenants").mkdir(parents=True)
    (repo / "blueprints" / "platform.yaml").write_text("kind: Platform\n")
    (repo / "blueprints" / "tenants" / "a.yaml").write_text("kind: Tenant\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "remote", "add", "origin", "https://user:tok3n@git.example/acme/platform.git"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    from genplat.publish.sign import provenance

    source = read_source(repo / "blueprints")
    pred = provenance("dev-eu1", source=source, options={"format": "flux"})
    deps = pred["buildDefinition"]["resolvedDependencies"]
    assert deps[0] == {
        "uri": "git+https://git.example/acme/platform.git@refs/heads/main",
        "digest": {"gitCommit": commit},
    }
    assert {d["name"] for d in deps[1:]} == {"blueprints/platform.yaml", "blueprints/tenants/a.yaml"}
    assert "tok3n" not in json.dumps(pred)
    assert pred["runDetails"]["builder"]["version"]["genplat"]
    assert pred["buildDefinition"]["externalParameters"]["options"] == {"format": "flux"}


# ---- the wiring that verifies ------------------------------------------------------------------
def test_flux_wiring_with_verify_is_valid_and_allowed(tmp_path: Path) -> None:
    _, pub, _ = write_keys(tmp_path)
    pem = pub.read_bytes()
    files = render_gitops({"dev-eu1": "sha256:" + "a" * 64}, registry="r.example/p", verify_key=pem)
    secret, source, *kustomizations = files["flux/dev-eu1.yaml"]
    assert kustomizations and all(k["kind"] == "Kustomization" for k in kustomizations)
    for doc in (source, *kustomizations):
        _validate(doc)
    assert source["spec"]["verify"] == {"provider": "cosign", "secretRef": {"name": secret["metadata"]["name"]}}
    assert secret["kind"] == "Secret" and base64.b64decode(secret["data"]["cosign.pub"]) == pem
    assert secret["metadata"]["namespace"] == source["metadata"]["namespace"]

    from genplat.core.objects import Origin, RenderedObject

    def findings(obj: dict[str, t.Any]) -> list[str]:
        ro = RenderedObject(obj, Origin("x.yaml", 1, 1, "$"))
        return [rule for rule, _, _ in run_guardrails([ro], None) if rule == "guardrail/secret-data"]

    assert findings(secret) == []
    leaky = json.loads(json.dumps(secret))
    leaky["data"]["token"] = base64.b64encode(b"hunter2").decode()
    assert findings(leaky) == ["guardrail/secret-data"]
    private = json.loads(json.dumps(secret))
    private["data"]["cosign.pub"] = base64.b64encode((tmp_path / "cosign.key").read_bytes()).decode()
    assert findings(private) == ["guardrail/secret-data"]


def test_build_renders_verify_from_the_platform_blueprint(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[3]
    proj = tmp_path / "proj"
    shutil.copytree(repo / "blueprints", proj / "blueprints")
    (proj / "blueprints" / "keys").mkdir()
    _, _pub, _ = write_keys(proj / "blueprints" / "keys")
    platform = proj / "blueprints" / "platform.yaml"
    text = platform.read_text()
    platform.write_text(text.replace("\n  registry: ", "\n  signing:\n    publicKey: keys/cosign.pub\n  registry: ", 1))
    run = run_genplat("build", "blueprints", cwd=proj)
    assert run.returncode == 0, run.stderr
    wiring = list(yaml.safe_load_all((proj / "out/_gitops/flux/dev-dev-eu.yaml").read_text()))
    assert [d["kind"] for d in wiring][:2] == ["Secret", "OCIRepository"]
    assert {d["kind"] for d in wiring[2:]} == {"Kustomization"}
    assert wiring[1]["spec"]["verify"]["provider"] == "cosign"
    check = run_genplat("check", "out/_gitops", cwd=proj)
    assert "secret-data" not in check.stdout + check.stderr
    # A private key given as the public one is an error at the blueprint line, and says what to do.
    (proj / "blueprints" / "keys" / "cosign.pub").write_bytes(
        (proj / "blueprints" / "keys" / "cosign.key").read_bytes()
    )
    bad = run_genplat("validate", "blueprints", cwd=proj)
    assert bad.returncode == 1
    assert "blueprints/platform.yaml:" in bad.stdout + bad.stderr and "signing-key" in bad.stdout + bad.stderr
    assert "private key" in bad.stdout + bad.stderr
