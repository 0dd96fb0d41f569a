"""Sign and verify whole bundles: the local layout's bundles (offline) or one bundle in a registry.

The attestations of a bundle are made from the bundle itself (the SBOM lists what its layer holds) and
from the checkout genplat runs in (the provenance: git remote and commit, blueprint file digests).
"""

from __future__ import annotations

import os
import typing as t

from genplat.core.errors import GenplatError, UsageError
from genplat.packaging.artifact import Artifact
from genplat.packaging.gitops import repository_url
from genplat.packaging.layout import artifact_from_manifest, read_layout
from genplat.packaging.refs import LayoutRef, RegistryRef
from genplat.packaging.tar import read_targz
from genplat.publish.registry import RegistryClient
from genplat.publish.sign import _attest
from genplat.publish.sign._formats import Scheme
from genplat.publish.sign._keys import PublicKey, SigningKey
from genplat.publish.sign._sign import SignResult, copy_attachments, sign_digest
from genplat.publish.sign._store import LayoutStore, RegistryStore, Store
from genplat.publish.sign._verify import Verdict, verify
from genplat.publish.transfer import PushResult

MAX_BUNDLE_BYTES = 1 << 30


def attestations_for(
    bundle: str,
    artifact: Artifact,
    *,
    repository: str,
    source: _attest.Source | None,
    options: t.Mapping[str, t.Any] | None = None,
) -> list[tuple[str, t.Any]]:
    """(predicate type, predicate) of the SBOM and, when ``source`` is known, the provenance."""
    files = {p: c for p, (c, _mode) in read_targz(artifact.layer.data, max_bytes=MAX_BUNDLE_BYTES).items()}
    out: list[tuple[str, t.Any]] = [
        (
            _attest.CYCLONEDX_PREDICATE,
            _attest.sbom(bundle, artifact.digest, files, repository=repository, fmt=artifact.format),
        )
    ]
    if source is not None:
        opts = {"format": artifact.format, "repository": repository, **(options or {})}
        out.append((_attest.SLSA_V1_PREDICATE, _attest.provenance(bundle, source=source, options=opts)))
    return out


def sign_layout(
    layout_dir: str | os.PathLike[str],
    key: SigningKey,
    *,
    registry: str,
    bundles: t.Collection[str] = (),
    scheme: Scheme = "legacy",
    attest: bool = True,
    source: _attest.Source | None = None,
) -> list[SignResult]:
    """Sign every bundle of the layout (or those named) in the layout itself, for ``registry``."""
    artifacts = read_layout(layout_dir)
    missing = set(bundles) - set(artifacts)
    if missing:
        raise UsageError(
            f"{layout_dir}: no bundle named {', '.join(sorted(missing))} in the layout "
            f"(bundles: {', '.join(sorted(artifacts)) or 'none'})"
        )
    if not artifacts:
        raise UsageError(f"{layout_dir}: the layout holds no bundles; run `genplat package` first")
    store = LayoutStore(layout_dir)
    results = []
    for name in sorted(artifacts):
        if bundles and name not in bundles:
            continue
        art = artifacts[name]
        repo = repository_url(registry, name)
        atts = attestations_for(name, art, repository=repo, source=source) if attest else []
        results.append(
            sign_digest(
                store,
                art.manifest.descriptor(),
                key,
                bundle=name,
                docker_reference=repo,
                scheme=scheme,
                attestations=atts,
            )
        )
    return results


def _remote_artifact(client: RegistryClient, ref: RegistryRef) -> Artifact:
    manifest = client.get_manifest(ref.repository, ref.reference)
    return artifact_from_manifest(
        manifest, lambda d, m: client.get_blob(ref.repository, d, m, max_bytes=MAX_BUNDLE_BYTES)
    )


def sign_remote(
    client: RegistryClient,
    ref: RegistryRef,
    key: SigningKey,
    *,
    scheme: Scheme = "legacy",
    attest: bool = True,
    source: _attest.Source | None = None,
) -> SignResult:
    """Sign the bundle at ``ref`` in its own repository."""
    art = _remote_artifact(client, ref)
    if ref.digest and art.digest != ref.digest:
        raise GenplatError(f"{ref}: the registry served {art.digest}")
    repo = f"{client.host}/{ref.repository}"
    name = ref.repository.rsplit("/", 1)[-1]
    atts = attestations_for(name, art, repository=repo, source=source) if attest else []
    return sign_digest(
        RegistryStore(client, ref.repository),
        art.manifest.descriptor(),
        key,
        bundle=name,
        docker_reference=repo,
        scheme=scheme,
        attestations=atts,
    )


def push_attachments(
    client: RegistryClient,
    layout_dir: str | os.PathLike[str],
    pushed: t.Sequence[PushResult],
    *,
    path_prefix: str = "",
    repos: t.Mapping[str, str] | None = None,
) -> int:
    """After ``push_layout``: the signatures and attestations the layout holds for the pushed bundles
    (into ``repos[bundle]``, else ``<path_prefix>/<bundle>``)."""
    src = LayoutStore(layout_dir)
    written = 0
    for result in pushed:
        prefix = path_prefix.strip("/")
        repo = (repos or {}).get(result.bundle) or (f"{prefix}/{result.bundle}" if prefix else result.bundle)
        written += copy_attachments(src, RegistryStore(client, repo), result.digest)
    return written


def resolve(ref: RegistryRef | LayoutRef, client: RegistryClient | None) -> tuple[Store, str]:
    """The store holding ``ref``'s attachments and the manifest digest ``ref`` names (checked to exist)."""
    if isinstance(ref, LayoutRef):
        store: Store = LayoutStore(ref.layout)
        manifest = store.manifest(ref.tag)
        if manifest is None:
            raise UsageError(f"{ref.layout}: no bundle tagged {ref.tag!r}")
        return store, manifest.digest
    assert client is not None
    store = RegistryStore(client, ref.repository)
    digest = client.manifest_digest(ref.repository, ref.reference)
    if digest is None:
        raise UsageError(f"{ref}: not found in the registry")
    if ref.digest and digest and digest != ref.digest:
        raise GenplatError(f"{ref}: the registry answers with {digest}")
    if not digest:
        found = client.get_manifest(ref.repository, ref.reference)
        digest = found.digest
    return store, digest


def verify_ref(
    ref: RegistryRef | LayoutRef,
    key: PublicKey,
    *,
    client: RegistryClient | None = None,
    predicate_types: t.Sequence[str] = (),
) -> list[Verdict]:
    """The signature verdict for ``ref``, then one per attestation type asked for."""
    store, digest = resolve(ref, client)
    verdicts = [verify(store, digest, key)]
    verdicts += [verify(store, digest, key, predicate_type=p) for p in predicate_types]
    return verdicts
