"""Turn one bundle's files into an OCI artifact in memory: no I/O, every digest known up front.

Two formats (facts from the upstream sources, see docs/oci.md):

* ``flux``: what ``flux push artifact`` writes. OCI image manifest, config
  ``application/vnd.cncf.flux.config.v1+json`` (``{}``), one
  ``application/vnd.cncf.flux.content.v1.tar+gzip`` layer with the bundle at the archive root.
* ``imgpkg``: what ``imgpkg push -b`` writes, in an OCI image manifest: an image config with
  ``config.Labels["dev.carvel.imgpkg.bundle"] = "true"``, one
  ``application/vnd.docker.image.rootfs.diff.tar.gzip`` layer holding the manifests under ``config/``
  and ``.imgpkg/images.yml`` (an ``ImagesLock``). imgpkg itself writes a Docker schema 2 manifest,
  but imgpkg and kapp-controller check only the config label and the layer type, while skopeo (and
  other OCI-layout readers) skip Docker manifests in an OCI layout's index: the OCI manifest serves
  both (proven by the tests with ``imgpkg pull -b`` and ``skopeo``).
"""

from __future__ import annotations

import dataclasses
import json
import typing as t

import yaml

from genplat.core.digests import is_digest, sha256_digest
from genplat.core.errors import GenplatError, UsageError
from genplat.core.images import images_in, is_tool_config, parse_image
from genplat.packaging.tar import TarGzDigest, gzip_bytes, make_tar, write_tar

Format = t.Literal["flux", "imgpkg"]
FORMATS: tuple[Format, ...] = ("flux", "imgpkg")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
FLUX_CONFIG = "application/vnd.cncf.flux.config.v1+json"
FLUX_LAYER = "application/vnd.cncf.flux.content.v1.tar+gzip"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
IMGPKG_BUNDLE_LABEL = "dev.carvel.imgpkg.bundle"
#: Folder inside an imgpkg bundle that holds the manifests (ytt reads hidden folders too, so the
#: App points ytt here and never at the bundle root with its ``.imgpkg/``).
IMGPKG_CONFIG_DIR = "config"
IMAGES_LOCK_PATH = ".imgpkg/images.yml"
#: kbld matches an image reference in the manifests to a lock entry by this annotation.
KBLD_ID_ANNOTATION = "kbld.carvel.dev/id"

ANN_TITLE = "org.opencontainers.image.title"
# oras' file store unpacks a layer marked so into the folder its title names ("." = where it pulls to),
# checking the tar's digest on the way.
ANN_ORAS_UNPACK = "io.deis.oras.content.unpack"
ANN_ORAS_DIGEST = "io.deis.oras.content.digest"
ANN_SOURCE = "org.opencontainers.image.source"
ANN_REVISION = "org.opencontainers.image.revision"
ANN_CREATED = "org.opencontainers.image.created"


def canonical_json(value: t.Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes genplat hashes and uploads as they are."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclasses.dataclass(frozen=True)
class Blob:
    media_type: str
    data: bytes = dataclasses.field(repr=False)
    digest: str

    @classmethod
    def of(cls, media_type: str, data: bytes) -> Blob:
        return cls(media_type, data, sha256_digest(data))

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self) -> dict[str, t.Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclasses.dataclass(frozen=True)
class Artifact:
    """One packaged bundle: manifest, config and layer bytes with their digests and media types."""

    format: Format
    manifest: Blob
    config: Blob
    layer: Blob
    #: Things the user should know (e.g. images left out of the ImagesLock).
    warnings: tuple[str, ...] = ()

    @property
    def digest(self) -> str:
        """The manifest digest: what a registry reports and what the GitOps wiring pins."""
        return self.manifest.digest

    def blobs(self) -> tuple[Blob, ...]:
        """Config and layer, the blobs that must be in a registry before the manifest."""
        return (self.config, self.layer)


def images_lock(images: t.Iterable[str]) -> tuple[bytes, list[str]]:
    """ImagesLock YAML for ``images`` and warnings for those that cannot be listed.

    imgpkg validates every entry with go-containerregistry's ``NewDigest``: only digest references
    are allowed. ``repo:tag@sha256:…`` is written as ``repo@sha256:…`` (the digest is what is pulled),
    with the original reference kept in ``kbld.carvel.dev/id`` so kbld maps the manifests' reference to
    the locked one. A reference without a digest cannot be locked offline (that needs a registry
    lookup): it is left out and reported; kbld will then resolve it at deploy time and
    ``imgpkg copy`` will not relocate it.
    """
    entries: dict[str, dict[str, t.Any]] = {}
    warnings: list[str] = []
    for ref in sorted(set(images)):
        parsed = parse_image(ref)
        repo, digest = parsed.name, parsed.digest
        if digest is None:
            warnings.append(
                f"image {ref!r} is not pinned by digest: left out of {IMAGES_LOCK_PATH} "
                "(imgpkg copy will not relocate it; pin it as repo@sha256:… to include it)"
            )
            continue
        if not is_digest(digest) or not repo:
            warnings.append(f"image {ref!r} has an unsupported digest; left out of {IMAGES_LOCK_PATH}")
            continue
        entries[ref] = {"annotations": {KBLD_ID_ANNOTATION: ref}, "image": f"{repo}@{digest}"}
    doc = {
        "apiVersion": "imgpkg.carvel.dev/v1alpha1",
        "kind": "ImagesLock",
        "images": [entries[k] for k in sorted(entries)],
    }
    body = yaml.safe_dump(doc, sort_keys=True, default_flow_style=False, allow_unicode=True)
    return ("---\n" + body).encode(), warnings


def find_images(files: t.Mapping[str, bytes]) -> list[str]:
    """Every string value of an ``image`` key in the bundle's YAML documents, sorted, once each."""
    found: set[str] = set()

    for name in sorted(files):
        if not name.endswith((".yaml", ".yml")) or name.endswith("kustomization.yaml"):
            continue
        try:
            for doc in yaml.load_all(files[name], Loader=_LOADER):
                if not (isinstance(doc, dict) and is_tool_config(doc)):
                    found |= images_in(doc)
        except yaml.YAMLError as exc:
            raise GenplatError(f"{name}: not valid YAML while looking for images: {exc}") from exc
    return sorted(found)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_files(files: t.Mapping[str, bytes]) -> None:
    if not files:
        raise GenplatError("bundle has no files to package")
    for name in files:
        if name.startswith(".imgpkg/") or name == ".imgpkg":
            raise GenplatError(f"bundle file {name!r} uses the reserved .imgpkg/ folder")


def package_bundle(
    files: t.Mapping[str, bytes],
    *,
    fmt: Format = "flux",
    images: t.Sequence[str] = (),
    annotations: t.Mapping[str, str] | None = None,
) -> Artifact:
    """Package a bundle (relative POSIX path → bytes) as an OCI artifact of format ``fmt``.

    Pure: the same files, format, images and annotations give the same bytes and digests on every
    machine. ``annotations`` (e.g. provenance) go on the manifest for ``flux`` and into the config
    labels for ``imgpkg`` (where ``imgpkg push --labels`` puts them; imgpkg shows labels, not
    manifest annotations).
    """
    _check_files(files)
    content, warnings = _layer_content(files, fmt, images)
    tar = make_tar(content)
    layer = Blob.of(FLUX_LAYER if fmt == "flux" else DOCKER_LAYER, gzip_bytes(tar))
    config, manifest = _assemble(fmt, layer.descriptor(), sha256_digest(tar), annotations)
    return Artifact(fmt, manifest, config, layer, tuple(warnings))


def bundle_digest(
    files: t.Mapping[str, bytes],
    *,
    fmt: Format = "flux",
    images: t.Sequence[str] = (),
    annotations: t.Mapping[str, str] | None = None,
) -> tuple[str, tuple[str, ...]]:
    """The manifest digest :func:`package_bundle` would give, and its warnings, without holding the
    archive in memory: the tar streams through gzip into a hash (what ``genplat build`` uses to pin
    the GitOps wiring before anything is packaged)."""
    _check_files(files)
    content, warnings = _layer_content(files, fmt, images)
    sink = TarGzDigest()
    write_tar(content, sink)
    gz_digest, gz_size, tar_digest = sink.finish()
    layer = {"mediaType": FLUX_LAYER if fmt == "flux" else DOCKER_LAYER, "digest": gz_digest, "size": gz_size}
    _, manifest = _assemble(fmt, layer, tar_digest, annotations)
    return manifest.digest, tuple(warnings)


def _layer_content(
    files: t.Mapping[str, bytes], fmt: Format, images: t.Sequence[str]
) -> tuple[t.Mapping[str, bytes], list[str]]:
    if fmt == "flux":
        return files, []
    if fmt == "imgpkg":
        lock, warnings = images_lock(images)
        content: dict[str, bytes] = _Prefixed(files, IMGPKG_CONFIG_DIR)  # type: ignore[assignment]
        return _WithExtra(content, IMAGES_LOCK_PATH, lock), list(warnings)
    raise UsageError(f"unknown bundle format {fmt!r}; expected one of: {', '.join(FORMATS)}")


class _Prefixed(t.Mapping[str, bytes]):
    """``files`` under a folder, read lazily (bundles can be large)."""

    def __init__(self, files: t.Mapping[str, bytes], folder: str) -> None:
        self._files, self._prefix = files, folder + "/"

    def __getitem__(self, key: str) -> bytes:
        if not key.startswith(self._prefix):
            raise KeyError(key)
        return self._files[key[len(self._prefix) :]]

    def __iter__(self) -> t.Iterator[str]:
        return (self._prefix + k for k in self._files)

    def __len__(self) -> int:
        return len(self._files)


class _WithExtra(t.Mapping[str, bytes]):
    def __init__(self, files: t.Mapping[str, bytes], extra_path: str, extra: bytes) -> None:
        self._files, self._path, self._extra = files, extra_path, extra

    def __getitem__(self, key: str) -> bytes:
        return self._extra if key == self._path else self._files[key]

    def __iter__(self) -> t.Iterator[str]:
        yield from self._files
        yield self._path

    def __len__(self) -> int:
        return len(self._files) + 1


def layer_annotations(tar_digest: str) -> dict[str, str]:
    """What the layer descriptor says so that ``oras pull`` writes the bundle's files (it skips layers
    without a title): the title ``.`` (the folder pulled into) and oras' unpack mark with the tar's digest.
    Flux and imgpkg ignore layer annotations; the values depend on the content only."""
    return {ANN_TITLE: ".", ANN_ORAS_DIGEST: tar_digest, ANN_ORAS_UNPACK: "true"}


def _assemble(
    fmt: Format, layer: dict[str, t.Any], tar_digest: str, annotations: t.Mapping[str, str] | None
) -> tuple[Blob, Blob]:
    """Config and manifest blobs around a layer descriptor."""
    annotations = dict(annotations or {})
    layer = {**layer, "annotations": layer_annotations(tar_digest)}
    if fmt == "flux":
        config = Blob.of(FLUX_CONFIG, b"{}")
        manifest_doc: dict[str, t.Any] = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config.descriptor(),
            "layers": [layer],
        }
        if annotations:
            manifest_doc["annotations"] = annotations
        return config, Blob.of(OCI_MANIFEST, canonical_json(manifest_doc))
    labels = {IMGPKG_BUNDLE_LABEL: "true", **annotations}
    config_doc = {
        "architecture": "",
        "config": {"Labels": labels},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"author": "genplat", "created": "0001-01-01T00:00:00Z", "created_by": "genplat"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [tar_digest]},
    }
    config = Blob.of(OCI_CONFIG, canonical_json(config_doc))
    manifest_doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [layer],
    }
    return config, Blob.of(OCI_MANIFEST, canonical_json(manifest_doc))


def provenance_annotations(
    *, source: str | None, branch: str | None, sha: str | None, epoch: int | None
) -> dict[str, str]:
    """The three OCI provenance annotations Flux writes, from values the caller looked up."""
    import datetime as _dt

    out: dict[str, str] = {}
    if source:
        out[ANN_SOURCE] = source
    if sha:
        out[ANN_REVISION] = f"{branch or 'HEAD'}@sha1:{sha}"
    created = _dt.datetime.fromtimestamp(epoch or 0, tz=_dt.UTC)
    out[ANN_CREATED] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return out
