"""Where signatures live: the local OCI layout (offline) or a registry repository, behind one small API.

A :class:`Store` reads manifests by tag or digest, reads blobs, and writes a manifest with its blobs
(blobs first, the manifest or tag last). In the layout, attachment tags (``sha256-<hex>.sig``,
``.att`` and the referrers fallback ``sha256-<hex>``) sit in ``index.json`` beside the bundle tags;
blobs are written before ``index.json`` is replaced atomically, so a reader never sees a tag whose
blobs are missing.
"""

from __future__ import annotations

import json
import os
import tempfile
import typing as t
from pathlib import Path

from genplat.core.digests import sha256_digest
from genplat.core.errors import GenplatError, UsageError
from genplat.packaging.artifact import OCI_INDEX, OCI_MANIFEST, Blob, canonical_json
from genplat.packaging.layout import REF_NAME, _blob_path, read_blob
from genplat.publish.registry import RegistryClient

MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024


class Store(t.Protocol):
    name: str

    def manifest(self, reference: str) -> Blob | None: ...

    def blob(self, digest: str, media_type: str) -> Blob: ...

    def put(self, reference: str, manifest: Blob, blobs: t.Sequence[Blob]) -> None: ...

    def referrers(self, digest: str) -> list[dict[str, t.Any]] | None: ...


def _media(data: bytes) -> str:
    try:
        return str(json.loads(data).get("mediaType") or OCI_MANIFEST)
    except (ValueError, AttributeError):
        return OCI_MANIFEST


class LayoutStore:
    """Attachments in an OCI Image Layout written by ``genplat package``."""

    def __init__(self, layout_dir: str | os.PathLike[str]) -> None:
        self.root = Path(layout_dir)
        self.name = f"OCI layout {self.root}"
        if not (self.root / "index.json").is_file():
            raise UsageError(f"{self.root}: no OCI layout here; run `genplat package` first")

    def _index(self) -> dict[str, t.Any]:
        try:
            doc = json.loads((self.root / "index.json").read_bytes())
        except ValueError as exc:
            raise GenplatError(f"{self.root}/index.json: not valid JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise GenplatError(f"{self.root}/index.json: not an OCI index")
        return doc

    def tags(self) -> dict[str, dict[str, t.Any]]:
        out = {}
        for desc in self._index().get("manifests") or []:
            tag = (desc.get("annotations") or {}).get(REF_NAME)
            if tag:
                out[str(tag)] = desc
        return out

    def manifest(self, reference: str) -> Blob | None:
        if reference.startswith("sha256:"):
            path = _blob_path(self.root, reference)
            if not path.is_file():
                return None
            data = path.read_bytes()
            return read_blob(self.root, reference, _media(data))
        desc = self.tags().get(reference)
        if desc is None:
            return None
        return read_blob(self.root, desc["digest"], desc.get("mediaType") or OCI_MANIFEST)

    def blob(self, digest: str, media_type: str) -> Blob:
        return read_blob(self.root, digest, media_type)

    def _write_blob(self, blob: Blob) -> None:
        path = _blob_path(self.root, blob.digest)
        if path.is_file() and sha256_digest(path.read_bytes()) == blob.digest:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".blob.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob.data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(self, reference: str, manifest: Blob, blobs: t.Sequence[Blob]) -> None:
        for blob in (*blobs, manifest):
            self._write_blob(blob)
        if reference.startswith("sha256:"):
            return  # untagged (a referrer): reachable through the fallback index
        index = self._index()
        entries = [d for d in index.get("manifests") or [] if (d.get("annotations") or {}).get(REF_NAME) != reference]
        entries.append({**manifest.descriptor(), "annotations": {REF_NAME: reference}})
        entries.sort(key=lambda d: str((d.get("annotations") or {}).get(REF_NAME, "")))
        index["manifests"] = entries
        index.setdefault("mediaType", OCI_INDEX)
        fd, tmp = tempfile.mkstemp(prefix=".index.", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(canonical_json(index))
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.root / "index.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def referrers(self, digest: str) -> list[dict[str, t.Any]] | None:
        return None  # a layout has no referrers API: the fallback tag index serves


class RegistryStore:
    """Attachments in one repository of a registry."""

    def __init__(self, client: RegistryClient, repository: str) -> None:
        self.client = client
        self.repository = repository
        self.name = f"{client.host}/{repository}"
        self._referrers_api: bool | None = None

    def manifest(self, reference: str) -> Blob | None:
        return self.client.find_manifest(self.repository, reference)

    def blob(self, digest: str, media_type: str) -> Blob:
        return self.client.get_blob(self.repository, digest, media_type, max_bytes=MAX_ATTACHMENT_BYTES)

    def put(self, reference: str, manifest: Blob, blobs: t.Sequence[Blob]) -> None:
        for blob in blobs:
            self.client.upload_blob(self.repository, blob)
        if self.client.manifest_digest(self.repository, reference, push=True) != manifest.digest:
            self.client.put_manifest(self.repository, reference, manifest)
            self.client.stats.manifests_uploaded += 1

    def referrers(self, digest: str) -> list[dict[str, t.Any]] | None:
        data = self.client.referrers(self.repository, digest)
        if data is None:
            self._referrers_api = False
            return None
        self._referrers_api = True
        try:
            manifests = json.loads(data).get("manifests") or []
        except (ValueError, AttributeError):
            raise GenplatError(f"registry {self.client.host}: the referrers API answered no OCI index") from None
        return [d for d in manifests if isinstance(d, dict)]
