"""The lock file: stable bytes, per-file sha256, a content hash reproducible with sha256sum."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from genplat.output.lockfile import LOCKFILE_NAME, content_hash, content_hash_of_digests, file_digest, make_lockfile
from genplat.output.paths import UnsafePathError
from genplat.output.tree import write_tree

BUNDLES = {
    "dev/c1": {"kustomization.yaml": b"resources: []\n", "tenants/a.yaml": b"kind: Namespace\n"},
    "prod/c2": {"tenants/a.yaml": b"", "platform/kyverno.yaml": b"kind: ClusterPolicy\n"},
}
DIGEST = "sha256:" + "ab" * 32


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_exact_format() -> None:
    lock = make_lockfile({"dev/c1": {"b.yaml": b"b", "a.yaml": b"a"}}, oci_digests={"dev/c1": {"flux": DIGEST}})
    listing = f"{sha(b'a')}  a.yaml\n{sha(b'b')}  b.yaml\n".encode()
    assert lock.decode() == (
        "{\n"
        '  "bundles": {\n'
        '    "dev/c1": {\n'
        f'      "contentHash": "sha256:{sha(listing)}",\n'
        '      "files": {\n'
        f'        "a.yaml": "sha256:{sha(b"a")}",\n'
        f'        "b.yaml": "sha256:{sha(b"b")}"\n'
        "      },\n"
        '      "oci": {\n'
        f'        "flux": "{DIGEST}"\n'
        "      }\n"
        "    }\n"
        "  },\n"
        '  "version": 1\n'
        "}\n"
    )


def test_bytes_do_not_depend_on_insertion_order() -> None:
    reordered = {name: dict(reversed(list(files.items()))) for name, files in reversed(list(BUNDLES.items()))}
    assert make_lockfile(BUNDLES) == make_lockfile(reordered)
    data = json.loads(make_lockfile(BUNDLES))
    assert data["version"] == 1 and sorted(data["bundles"]) == ["dev/c1", "prod/c2"]
    assert "oci" not in data["bundles"]["dev/c1"]
    assert data["bundles"]["prod/c2"]["files"]["tenants/a.yaml"] == file_digest(b"")


def test_content_hash_changes_with_bytes_and_names_only() -> None:
    base = content_hash(BUNDLES["dev/c1"])
    assert content_hash(dict(reversed(list(BUNDLES["dev/c1"].items())))) == base
    assert content_hash({**BUNDLES["dev/c1"], "tenants/a.yaml": b"kind: Namespace\n "}) != base
    renamed = {"kustomization.yaml": b"resources: []\n", "tenants/b.yaml": b"kind: Namespace\n"}
    assert content_hash(renamed) != base
    digests = {p: file_digest(d) for p, d in BUNDLES["dev/c1"].items()}
    assert content_hash_of_digests(digests) == base
    assert json.loads(make_lockfile(BUNDLES))["bundles"]["dev/c1"]["contentHash"] == base


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_content_hash_matches_the_documented_sha256sum_pipeline(tmp_path: Path) -> None:
    files = {**BUNDLES["dev/c1"], "tenants/Z.yaml": b"upper", "tenants/é.yaml": b"accent", "x y.yaml": b"space"}
    write_tree(tmp_path / "out", {f"dev/c1/{p}": d for p, d in files.items()})
    script = "find . -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum"
    done = subprocess.run(["sh", "-c", script], cwd=tmp_path / "out/dev/c1", capture_output=True, check=True, text=True)
    assert content_hash(files) == "sha256:" + done.stdout.split()[0]


def test_oci_digests_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown bundle 'dev/c9'"):
        make_lockfile(BUNDLES, oci_digests={"dev/c9": {"flux": DIGEST}})
    for bad in ["sha256:abc", "ab" * 32, "sha256:" + "AB" * 32, "", "sha256:" + "ab" * 32 + "\n"]:
        with pytest.raises(ValueError, match="is not an OCI digest"):
            make_lockfile(BUNDLES, oci_digests={"dev/c1": {"flux": bad}})
    lock = json.loads(make_lockfile(BUNDLES, oci_digests={"dev/c1": {"imgpkg": DIGEST, "flux": "sha512:" + "c" * 128}}))
    assert lock["bundles"]["dev/c1"]["oci"] == {"flux": "sha512:" + "c" * 128, "imgpkg": DIGEST}


@pytest.mark.parametrize("bad", ["../x", "/abs", "a\\b", "a//b", "a\nb"])
def test_unsafe_names_are_refused(bad: str) -> None:
    with pytest.raises(UnsafePathError):
        make_lockfile({bad: {}})
    with pytest.raises(UnsafePathError):
        make_lockfile({"dev/c1": {bad: b""}})


def test_bad_content_type_and_digest_are_refused() -> None:
    with pytest.raises(TypeError, match="expected bytes"):
        make_lockfile({"dev/c1": {"a": "text"}})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="expected sha256"):
        content_hash_of_digests({"a": "md5:00"})


def test_lock_file_name() -> None:
    assert LOCKFILE_NAME == "genplat.lock.json"
