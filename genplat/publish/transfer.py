"""Push packaged bundles to a registry and pull a bundle back into a folder."""

from __future__ import annotations

import dataclasses
import os
import typing as t
from pathlib import Path

from genplat.core.errors import UsageError
from genplat.core.secrets import Allowances
from genplat.output.lockfile import read_secret_allowances
from genplat.packaging.artifact import Artifact, Blob
from genplat.packaging.bundles import refuse_artifact_secrets
from genplat.packaging.layout import artifact_from_manifest, read_layout, read_referrers
from genplat.packaging.provenance import EMPTY, fallback_tag, merged_index, referrer_descriptor
from genplat.packaging.refs import LayoutRef, RegistryRef, check_repository, check_tag
from genplat.packaging.tar import DEFAULT_MAX_EXTRACT_BYTES, read_targz, write_tree_atomically
from genplat.publish.registry import RegistryClient


@dataclasses.dataclass(frozen=True)
class PushResult:
    bundle: str
    ref: str  # registry/repo:tag
    digest: str
    blobs_uploaded: int
    blobs_skipped: int
    manifest_uploaded: bool
    tag_moved: bool
    provenance: str | None = None  # digest of the provenance referrer pushed beside it

    def to_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def push_artifact(client: RegistryClient, repo: str, tag: str, artifact: Artifact, *, bundle: str = "") -> PushResult:
    """Blobs first (skipping those present), then the manifest by digest, and only then the tag."""
    check_repository(repo)
    check_tag(tag)
    uploaded = skipped = 0
    for blob in artifact.blobs():
        if client.upload_blob(repo, blob):
            uploaded += 1
        else:
            skipped += 1
    manifest_uploaded = False
    if client.manifest_digest(repo, artifact.digest, push=True) is None:
        client.put_manifest(repo, artifact.digest, artifact.manifest)
        client.stats.manifests_uploaded += 1
        manifest_uploaded = True
    tag_moved = False
    if client.manifest_digest(repo, tag, push=True) != artifact.digest:
        client.put_manifest(repo, tag, artifact.manifest)
        client.stats.tags_moved += 1
        tag_moved = True
    return PushResult(
        bundle or repo, f"{client.host}/{repo}:{tag}", artifact.digest, uploaded, skipped, manifest_uploaded, tag_moved
    )


def push_referrer(client: RegistryClient, repo: str, subject: Artifact, manifest: Blob) -> None:
    """A referrer manifest (e.g. provenance) beside ``subject``: its blobs, the manifest by digest, and
    its entry in the fallback index ``sha256-<hex>`` for registries without the referrers API."""
    client.upload_blob(repo, EMPTY)
    if client.manifest_digest(repo, manifest.digest, push=True) is None:
        client.put_manifest(repo, manifest.digest, manifest)
        client.stats.manifests_uploaded += 1
    tag = fallback_tag(subject.digest)
    existing = (
        client.get_manifest(repo, tag, index_ok=True).data if client.manifest_digest(repo, tag, push=True) else None
    )
    index = merged_index(existing, referrer_descriptor(manifest))
    if index is not None:
        client.put_manifest(repo, tag, index)


def push_layout(
    client: RegistryClient,
    layout_dir: str | os.PathLike[str],
    *,
    path_prefix: str = "",
    tag: str = "latest",
    only: t.Collection[str] = (),
    check: t.Callable[[str, Artifact], None] | None = None,
    repos: t.Mapping[str, str] | None = None,
    allowances: Allowances | None = None,
) -> list[PushResult]:
    """Push every tagged artifact of a layout to ``<host>/<path_prefix>/<tag name>:<tag>`` (or to
    ``repos[name]``), with its provenance referrer when the layout has one. ``check`` sees every
    artifact before anything is sent and raises to refuse the push. A bundle holding secret material is
    refused (:class:`~genplat.core.errors.FindingsError`) before anything is sent; ``allowances`` are the
    values declared not secret (default: those the lock file beside the layout records)."""
    artifacts = read_layout(layout_dir)
    if not artifacts:
        raise UsageError(f"{layout_dir}: the layout holds no bundles; run `genplat package` first")
    missing = set(only) - set(artifacts)
    if missing:
        raise UsageError(f"{layout_dir}: no bundle named {', '.join(sorted(missing))} in the layout")
    chosen = [n for n in sorted(artifacts) if not only or n in only]
    for name in chosen:
        if check is not None:
            check(name, artifacts[name])
    allowed = allowances if allowances is not None else read_secret_allowances(Path(layout_dir).parent)
    refuse_artifact_secrets({n: artifacts[n] for n in chosen}, allowed)
    referrers = read_referrers(layout_dir)
    results = []
    for name in chosen:
        repo = (repos or {}).get(name) or (f"{path_prefix.strip('/')}/{name}" if path_prefix.strip("/") else name)
        result = push_artifact(client, repo, tag, artifacts[name], bundle=name)
        if name in referrers:
            push_referrer(client, repo, artifacts[name], referrers[name])
            result = dataclasses.replace(result, provenance=referrers[name].digest)
        results.append(result)
    return results


def fetch_artifact(
    ref: RegistryRef | LayoutRef, *, client: RegistryClient | None = None, max_bytes: int = DEFAULT_MAX_EXTRACT_BYTES
) -> Artifact:
    """The artifact behind ``ref``, every digest verified on the way."""
    if isinstance(ref, LayoutRef):
        artifacts = read_layout(ref.layout)
        if ref.tag not in artifacts:
            known = ", ".join(sorted(artifacts)) or "none"
            raise UsageError(f"{ref.layout}: no bundle tagged {ref.tag!r} (tags: {known})")
        return artifacts[ref.tag]
    assert client is not None
    manifest = client.get_manifest(ref.repository, ref.reference)
    return artifact_from_manifest(
        manifest, lambda digest, media: client.get_blob(ref.repository, digest, media, max_bytes=max_bytes)
    )


def extract_artifact(
    artifact: Artifact,
    dest: str | os.PathLike[str],
    *,
    replace: bool = False,
    max_bytes: int = DEFAULT_MAX_EXTRACT_BYTES,
) -> list[str]:
    """Safely unpack the artifact's layer into ``dest`` (atomically); returns the file paths."""
    files = read_targz(artifact.layer.data, max_bytes=max_bytes)
    write_tree_atomically(files, Path(dest), replace=replace)
    return sorted(files)
