"""Packaging without a registry: bytes, reproducibility, ImagesLock, layout, safe extraction."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from genplat import GenplatError
from genplat.packaging.artifact import (
    DOCKER_LAYER,
    FLUX_CONFIG,
    FLUX_LAYER,
    IMAGES_LOCK_PATH,
    OCI_CONFIG,
    OCI_MANIFEST,
    find_images,
    package_bundle,
)
from genplat.packaging.layout import read_layout, read_referrers, write_layout
from genplat.packaging.refs import LayoutRef
from genplat.packaging.tar import UnsafeArchiveError, gzip_bytes, read_targz
from genplat.publish.transfer import extract_artifact, fetch_artifact
from tests.registry import DIGEST_ONLY, PINNED, UNPINNED, bundle_files, require_tool, run_genplat, write_out_dir


def _members(layer: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layer)), mode="r:") as tar:
        return tar.getmembers()


def test_flux_artifact_shape() -> None:
    art = package_bundle(bundle_files("dev", "eu1"))
    manifest = json.loads(art.manifest.data)
    assert manifest["mediaType"] == OCI_MANIFEST and art.manifest.media_type == OCI_MANIFEST
    assert manifest["config"] == {"mediaType": FLUX_CONFIG, "digest": art.config.digest, "size": art.config.size}
    tar_digest = "sha256:" + hashlib.sha256(gzip.decompress(art.layer.data)).hexdigest()
    # The title (and oras' unpack mark) make `oras pull` write the bundle's files into its folder.
    assert manifest["layers"] == [
        {
            "mediaType": FLUX_LAYER,
            "digest": art.layer.digest,
            "size": art.layer.size,
            "annotations": {
                "org.opencontainers.image.title": ".",
                "io.deis.oras.content.digest": tar_digest,
                "io.deis.oras.content.unpack": "true",
            },
        }
    ]
    assert "annotations" not in manifest
    names = [m.name for m in _members(art.layer.data)]
    assert names == [
        "addons",
        "addons/kustomization.yaml",
        "kustomization.yaml",
        "platform",
        "platform/kustomization.yaml",
        "platform/namespaces.yaml",
        "platform/quota.yaml",
        "tenants",
        "tenants/alpha.yaml",
        "tenants/beta.yaml",
        "tenants/kustomization.yaml",
    ]


def test_tar_metadata_is_fixed() -> None:
    art = package_bundle(bundle_files("dev", "eu1"))
    for m in _members(art.layer.data):
        assert (m.uid, m.gid, m.uname, m.gname, m.mtime) == (0, 0, "", "", 0)
        assert m.mode == (0o755 if m.isdir() else 0o644)
        assert not m.name.startswith(("/", "./")) and ".." not in m.name.split("/")
    head = art.layer.data[:10]
    assert head[:4] == b"\x1f\x8b\x08\x00" and head[4:8] == b"\x00\x00\x00\x00"  # no name, mtime 0


def test_same_content_any_order_same_digest() -> None:
    files = bundle_files("dev", "eu1")
    reordered = dict(reversed(list(files.items())))
    assert package_bundle(files).digest == package_bundle(reordered).digest
    changed = dict(files, **{"tenants/alpha.yaml": files["tenants/alpha.yaml"] + b"\n"})
    assert package_bundle(changed).digest != package_bundle(files).digest


def test_annotations_change_digest_only_when_given() -> None:
    files = bundle_files("dev", "eu1")
    plain = package_bundle(files)
    ann = {"org.opencontainers.image.created": "1970-01-01T00:00:00Z"}
    with_ann = package_bundle(files, annotations=ann)
    assert with_ann.digest != plain.digest and with_ann.layer.digest == plain.layer.digest
    assert json.loads(with_ann.manifest.data)["annotations"] == ann


def test_imgpkg_artifact_shape_and_lock() -> None:
    files = bundle_files("dev", "eu1")
    images = find_images(files)
    assert images == sorted([PINNED, DIGEST_ONLY, UNPINNED])
    art = package_bundle(files, fmt="imgpkg", images=images)
    manifest = json.loads(art.manifest.data)
    assert manifest["mediaType"] == OCI_MANIFEST
    assert manifest["config"]["mediaType"] == OCI_CONFIG
    assert [layer["mediaType"] for layer in manifest["layers"]] == [DOCKER_LAYER]
    config = json.loads(art.config.data)
    assert config["config"]["Labels"]["dev.carvel.imgpkg.bundle"] == "true"
    tree = read_targz(art.layer.data)
    assert sorted(tree) == sorted([IMAGES_LOCK_PATH] + [f"config/{n}" for n in files])
    lock = yaml.safe_load(tree[IMAGES_LOCK_PATH][0])
    assert lock["apiVersion"] == "imgpkg.carvel.dev/v1alpha1" and lock["kind"] == "ImagesLock"
    assert [e["image"] for e in lock["images"]] == ["ghcr.io/acme/orders@sha256:" + "4" * 64, DIGEST_ONLY]
    assert {e["annotations"]["kbld.carvel.dev/id"] for e in lock["images"]} == {PINNED, DIGEST_ONLY}
    assert len(art.warnings) == 1 and UNPINNED in art.warnings[0]
    # rootfs.diff_ids is the digest of the uncompressed tar, as Docker image configs require
    import hashlib

    assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(gzip.decompress(art.layer.data)).hexdigest()]


def test_reserved_and_bad_paths_refused() -> None:
    with pytest.raises(GenplatError, match="reserved"):
        package_bundle({".imgpkg/images.yml": b""}, fmt="imgpkg")
    with pytest.raises(GenplatError, match="absolute"):
        package_bundle({"/etc/passwd": b""})
    with pytest.raises(GenplatError, match=r"'\.\.'"):
        package_bundle({"a/../../b": b""})
    with pytest.raises(GenplatError, match="no files"):
        package_bundle({})


def test_layout_round_trip_and_determinism(tmp_path: Path) -> None:
    arts = {
        "dev-eu1": package_bundle(bundle_files("dev", "eu1")),
        "prod-eu1": package_bundle(bundle_files("prod", "eu1", ("alpha",)), fmt="imgpkg"),
    }
    write_layout(tmp_path / "a", arts)
    write_layout(tmp_path / "b", dict(reversed(list(arts.items()))))
    for rel in ("index.json", "oci-layout"):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    index = json.loads((tmp_path / "a" / "index.json").read_bytes())
    assert [m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]] == [
        "dev-eu1",
        "prod-eu1",
    ]
    back = read_layout(tmp_path / "a")
    assert {k: v.digest for k, v in back.items()} == {k: v.digest for k, v in arts.items()}
    assert back["prod-eu1"].format == "imgpkg"
    # rewriting replaces the layout whole: stale blobs go
    write_layout(tmp_path / "a", {"dev-eu1": arts["dev-eu1"]})
    assert len(list((tmp_path / "a" / "blobs" / "sha256").iterdir())) == 3


@pytest.mark.parametrize("fmt", ["flux", "imgpkg"])
@pytest.mark.tools
def test_skopeo_reads_layout(tmp_path: Path, fmt: str) -> None:
    skopeo = require_tool("skopeo")
    art = package_bundle(bundle_files("dev", "eu1"), fmt=fmt)  # type: ignore[arg-type]
    write_layout(tmp_path / "oci", {"dev-eu1": art})
    raw = subprocess.run(
        [skopeo, "inspect", "--raw", f"oci:{tmp_path / 'oci'}:dev-eu1"], capture_output=True, check=True
    ).stdout
    assert raw == art.manifest.data
    cfg = subprocess.run(
        [skopeo, "inspect", "--config", "--raw", f"oci:{tmp_path / 'oci'}:dev-eu1"], capture_output=True, check=True
    ).stdout
    assert cfg == art.config.data
    if fmt == "imgpkg":
        info = json.loads(
            subprocess.run(
                [skopeo, "inspect", f"oci:{tmp_path / 'oci'}:dev-eu1"], capture_output=True, check=True
            ).stdout
        )
        assert info["Labels"]["dev.carvel.imgpkg.bundle"] == "true"


def _bad_targz(build) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        build(tar)
    return gzip_bytes(buf.getvalue())


def _add(tar: tarfile.TarFile, name: str, data: bytes = b"x", **kw: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for k, v in kw.items():
        setattr(info, k, v)
    tar.addfile(info, io.BytesIO(data) if info.isreg() else None)


@pytest.mark.parametrize(
    "name,kw,match",
    [
        ("/etc/evil", {}, "absolute"),
        ("../evil", {}, r"'\.\.'"),
        ("a\\b", {}, "backslash"),
        ("link", {"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}, "link"),
        ("hard", {"type": tarfile.LNKTYPE, "linkname": "kustomization.yaml"}, "link"),
        ("dev", {"type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}, "device"),
        ("fifo", {"type": tarfile.FIFOTYPE}, "device"),
    ],
)
def test_unsafe_archives_refused(name: str, kw: dict[str, object], match: str) -> None:
    data = _bad_targz(lambda tar: (_add(tar, "kustomization.yaml"), _add(tar, name, **kw)))
    with pytest.raises(UnsafeArchiveError, match=match):
        read_targz(data)


def test_size_bomb_refused() -> None:
    data = _bad_targz(lambda tar: _add(tar, "big.yaml", b"\0" * (4 << 20)))
    assert len(data) < 50_000
    with pytest.raises(UnsafeArchiveError, match="limit"):
        read_targz(data, max_bytes=1 << 20)
    assert read_targz(data, max_bytes=8 << 20)["big.yaml"][0] == b"\0" * (4 << 20)


def test_not_gzip_refused() -> None:
    with pytest.raises(UnsafeArchiveError, match="gzip"):
        read_targz(b"plain tar bytes")


def test_package_cli_and_kustomize(tmp_path: Path) -> None:
    out = write_out_dir(tmp_path / "p")
    proc = run_genplat("package", "--output-format", "json", cwd=tmp_path / "p")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [b["name"] for b in doc["bundles"]] == ["dev-eu1", "prod-eu1", "prod-us1"]
    assert all(b["digest"].startswith("sha256:") for b in doc["bundles"])
    art = fetch_artifact(LayoutRef(str(out / ".oci"), "dev-eu1"))
    dest = tmp_path / "pulled"
    extract_artifact(art, dest)
    for name, data in bundle_files("dev", "eu1").items():
        assert (dest / name).read_bytes() == data
    kubectl = require_tool("kubectl")
    built = subprocess.run([kubectl, "kustomize", str(dest)], capture_output=True, text=True, check=True).stdout
    kinds = [d["kind"] for d in yaml.safe_load_all(built) if d]
    assert kinds.count("Deployment") == 6 and kinds.count("Namespace") == 2


def test_package_text_output_and_pull_from_layout(tmp_path: Path) -> None:
    write_out_dir(tmp_path / "p")
    proc = run_genplat("package", "--format", "imgpkg", cwd=tmp_path / "p")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and lines[0].split()[0] == "dev-eu1" and lines[0].split()[1].startswith("sha256:")
    assert "not pinned by digest" in proc.stderr and UNPINNED in proc.stderr
    pull = run_genplat("pull", "oci:out/.oci:prod-us1", "-o", "b", cwd=tmp_path / "p")
    assert pull.returncode == 0, pull.stderr
    assert (tmp_path / "p" / "b" / IMAGES_LOCK_PATH).is_file()
    assert (tmp_path / "p" / "b" / "config" / "tenants" / "beta.yaml").read_bytes() == bundle_files(
        "prod", "us1", ("beta",)
    )["tenants/beta.yaml"]
    again = run_genplat("pull", "oci:out/.oci:prod-us1", "-o", "b", cwd=tmp_path / "p")
    assert again.returncode == 2 and "--force" in again.stderr


def test_reproducible_across_umask_and_tz(tmp_path: Path) -> None:
    """Two separate builds (fresh checkouts written under other umask and TZ) give the same digests."""
    digests = []
    for i, (umask, tz) in enumerate([("0022", "UTC"), ("0077", "Pacific/Chatham")]):
        root = tmp_path / f"clone{i}"
        script = (
            "import os,sys; os.umask(int(sys.argv[1], 8)); sys.path[:0] = sys.argv[3:5];"
            "from tests.registry import write_out_dir; from pathlib import Path; write_out_dir(Path(sys.argv[2]))"
        )
        subprocess.run(
            [
                sys.executable,
                "-c",
                script,
                umask,
                str(root),
                str(Path(__file__).parents[2]),  # the repository, for tests.registry
                str(Path(__file__).parents[2]),
            ],
            check=True,
            env={**os.environ, "TZ": tz},
        )
        if i:  # other file times too, as on a clone made minutes later
            for path in (root / "out").rglob("*"):
                os.utime(path, (1e9 + i, 1e9 + i))
        proc = run_genplat("package", "--output-format", "json", cwd=root, env={"TZ": tz})
        assert proc.returncode == 0, proc.stderr
        digests.append({b["name"]: b["digest"] for b in json.loads(proc.stdout)["bundles"]})
    assert digests[0] == digests[1]


def test_provenance_flag(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_out_dir(root)
    git = require_tool("git")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_AUTHOR_DATE": "2024-01-02T03:04:05Z",
        "GIT_COMMITTER_DATE": "2024-01-02T03:04:05Z",
    }
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", "https://git.example.invalid/acme/p.git"],
        ["add", "-A"],
        ["commit", "-qm", "x"],
    ):
        subprocess.run([git, *args], cwd=root, check=True, env={**os.environ, **env})
    sha = subprocess.run([git, "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    plain = json.loads(run_genplat("package", "--output-format", "json", cwd=root).stdout)
    prov = run_genplat(
        "package", "--provenance", "--output-format", "json", cwd=root, env={"SOURCE_DATE_EPOCH": "86400"}
    )
    assert prov.returncode == 0, prov.stderr
    # Provenance never changes what is pinned: the bundles keep their digests and manifests.
    packaged = json.loads(prov.stdout)["bundles"]
    assert [b["digest"] for b in plain["bundles"]] == [b["digest"] for b in packaged]
    art = read_layout(root / "out" / ".oci")["dev-eu1"]
    assert "annotations" not in json.loads(art.manifest.data)
    # It is a referrer beside the bundle: subject = the bundle's manifest, annotations = provenance.
    ref = read_referrers(root / "out" / ".oci")["dev-eu1"]
    assert ref.digest == packaged[0]["provenance"]
    doc = json.loads(ref.data)
    assert doc["subject"] == art.manifest.descriptor()
    assert doc["artifactType"] == "application/vnd.genplat.provenance.v1+json"
    assert doc["annotations"] == {
        "org.opencontainers.image.source": "https://git.example.invalid/acme/p.git",
        "org.opencontainers.image.revision": f"main@sha1:{sha}",
        "org.opencontainers.image.created": "1970-01-02T00:00:00Z",
    }
    assert set(read_layout(root / "out" / ".oci")) == {"dev-eu1", "prod-eu1", "prod-us1"}  # no extra tags


def test_package_without_bundles_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    proc = run_genplat("package", cwd=tmp_path)
    assert proc.returncode == 2 and "genplat build" in proc.stderr


def test_streamed_digest_equals_packaged_digest() -> None:
    """genplat build pins the wiring with bundle_digest(); genplat package must produce the same digest."""
    from genplat.packaging.artifact import bundle_digest, package_bundle

    files = {
        f"tenants/t{i}.yaml": (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t{i}\n" * (i + 1)).encode()
        for i in range(50)
    }
    files["kustomization.yaml"] = b"resources: []\n"
    images = ["ghcr.io/acme/app:1.0@sha256:" + "a" * 64, "ghcr.io/acme/other:2.0"]
    for fmt in ("flux", "imgpkg"):
        for ann in (None, {"org.opencontainers.image.revision": "main@sha1:" + "b" * 40}):
            art = package_bundle(files, fmt=fmt, images=images, annotations=ann)  # type: ignore[arg-type]
            digest, warnings = bundle_digest(files, fmt=fmt, images=images, annotations=ann)  # type: ignore[arg-type]
            assert digest == art.digest
            assert warnings == art.warnings
