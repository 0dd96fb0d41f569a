"""OCI Image Layout on disk: ``oci-layout``, ``index.json``, ``blobs/sha256/<hex>``.

Written whole into a fresh folder and moved into place, so a reader never sees half a layout, and
deterministic: index entries sorted by tag, canonical JSON, the blobs named by their digest.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import typing as t
from pathlib import Path

from genplat.core.digests import sha256_digest
from genplat.core.errors import GenplatError, UsageError
from genplat.packaging.artifact import (
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    FLUX_LAYER,
    OCI_INDEX,
    OCI_MANIFEST,
    Artifact,
    Blob,
    canonical_json,
)
from genplat.packaging.provenance import EMPTY
from genplat.packaging.tar import _swap_into_place

REF_NAME = "org.opencontainers.image.ref.name"
#: Index annotation on a referrer (provenance) manifest: the tag of the bundle it refers to.
REFERRER_OF = "dev.genplat.referrer-of"
LAYOUT_FILE = {"imageLayoutVersion": "1.0.0"}
#: Tags of signatures and attestations (``genplat sign``): attachments of a bundle, not bundles.
ATTACHMENT_TAG = re.compile(r"^sha256-[0-9a-f]{64}(\.sig|\.att)?$")


def _blob_path(root: Path, digest: str) -> Path:
    algo, _, hexpart = digest.partition(":")
    return root / "blobs" / algo / hexpart


def write_layout(
    layout_dir: str | os.PathLike[str],
    artifacts: t.Mapping[str, Artifact],
    referrers: t.Mapping[str, Blob] | None = None,
) -> Path:
    """Write ``artifacts`` (tag → artifact) as an OCI Image Layout at ``layout_dir``, replacing it.

    ``referrers`` (tag → referrer manifest, e.g. provenance) are stored beside their bundle, listed in
    the index untagged, so nothing that reads tags sees them."""
    dest = Path(layout_dir).absolute()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        os.chmod(tmp, 0o755)
        manifests = []
        for tag in sorted(artifacts):
            art = artifacts[tag]
            for blob in (art.config, art.layer, art.manifest):
                path = _blob_path(tmp, blob.digest)
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(blob.data)
                    os.chmod(path, 0o644)
            desc = art.manifest.descriptor()
            desc["annotations"] = {REF_NAME: tag}
            manifests.append(desc)
            ref = (referrers or {}).get(tag)
            if ref is not None:
                for blob in (EMPTY, ref):
                    path = _blob_path(tmp, blob.digest)
                    if not path.exists():
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_bytes(blob.data)
                ref_desc = ref.descriptor()
                ref_desc["annotations"] = {REFERRER_OF: tag}
                manifests.append(ref_desc)
        (tmp / "oci-layout").write_bytes(canonical_json(LAYOUT_FILE))
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        (tmp / "index.json").write_bytes(canonical_json(index))
        for p in tmp.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        _swap_into_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _read_json(path: Path) -> t.Any:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: not found; is this an OCI layout written by `genplat package`?") from exc
    except ValueError as exc:
        raise GenplatError(f"{path}: not valid JSON: {exc}") from exc


def read_blob(layout_dir: Path, digest: str, media_type: str) -> Blob:
    """A blob from the layout, its digest checked."""
    path = _blob_path(layout_dir, digest)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise GenplatError(f"{layout_dir}: blob {digest} is missing from the layout") from exc
    if sha256_digest(data) != digest:
        raise GenplatError(f"{layout_dir}: blob {digest} is corrupt (its content has another digest)")
    return Blob(media_type, data, digest)


def artifact_from_manifest(manifest: Blob, fetch: t.Callable[[str, str], Blob]) -> Artifact:
    """Rebuild an :class:`Artifact` from manifest bytes, fetching config and layer through ``fetch``."""
    try:
        doc = json.loads(manifest.data)
        cfg = doc["config"]
        layers = doc["layers"]
    except (ValueError, KeyError, TypeError) as exc:
        raise GenplatError(f"manifest {manifest.digest} is not an image manifest") from exc
    if len(layers) != 1:
        raise GenplatError(f"manifest {manifest.digest} has {len(layers)} layers; a genplat bundle has one")
    layer_type = layers[0].get("mediaType")
    fmt: t.Literal["flux", "imgpkg"] = "imgpkg" if layer_type == DOCKER_LAYER else "flux"
    if layer_type not in (DOCKER_LAYER, FLUX_LAYER):
        raise GenplatError(f"manifest {manifest.digest} has layer type {layer_type!r}, not a Flux or imgpkg bundle")
    config = fetch(cfg["digest"], cfg["mediaType"])
    layer = fetch(layers[0]["digest"], layer_type)
    for desc, blob in ((cfg, config), (layers[0], layer)):
        if desc.get("size") != blob.size:
            raise GenplatError(f"blob {blob.digest} has {blob.size} bytes; the manifest says {desc.get('size')}")
    return Artifact(fmt, manifest, config, layer)


def read_layout(layout_dir: str | os.PathLike[str]) -> dict[str, Artifact]:
    """Every tagged artifact in a layout, by ``org.opencontainers.image.ref.name``."""
    root = Path(layout_dir)
    if not root.is_dir():
        raise UsageError(f"{root}: no OCI layout here; run `genplat package` first")
    index = _read_json(root / "index.json")
    out: dict[str, Artifact] = {}
    for desc in index.get("manifests", []):
        tag = (desc.get("annotations") or {}).get(REF_NAME)
        if not tag or desc.get("mediaType") not in (OCI_MANIFEST, DOCKER_MANIFEST) or ATTACHMENT_TAG.match(tag):
            continue
        manifest = read_blob(root, desc["digest"], desc["mediaType"])
        out[tag] = artifact_from_manifest(manifest, lambda d, m: read_blob(root, d, m))
    return out


def read_referrers(layout_dir: str | os.PathLike[str]) -> dict[str, Blob]:
    """The referrer manifests of a layout by the tag of the bundle they refer to."""
    root = Path(layout_dir)
    index = _read_json(root / "index.json")
    out: dict[str, Blob] = {}
    for desc in index.get("manifests", []):
        tag = (desc.get("annotations") or {}).get(REFERRER_OF)
        if tag and desc.get("mediaType") == OCI_MANIFEST:
            out[tag] = read_blob(root, desc["digest"], OCI_MANIFEST)
    return out
