"""Sign a bundle's manifest digest and attach attestations, into a layout or a registry (:mod:`._store`).

Adding keeps what is there: a new signature or attestation is appended to the ``.sig``/``.att`` image
(or becomes one more referrer), and one that is already there — the same statement, verified with the
same key — is not added twice, so re-signing is idempotent even without deterministic signatures.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import typing as t

from genplat.core.errors import GenplatError, UsageError
from genplat.packaging.artifact import Blob
from genplat.publish.sign import _formats as f
from genplat.publish.sign._keys import SigningKey
from genplat.publish.sign._store import Store


@dataclasses.dataclass(frozen=True)
class SignResult:
    bundle: str
    digest: str
    where: str
    scheme: f.Scheme
    #: Digest of the signature image (legacy) or of the signature's referrer manifest.
    signature: str
    #: ``True`` when a new signature was written, ``False`` when this key had signed it already.
    added: bool
    attestations: tuple[str, ...]
    deterministic: bool

    def to_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def _layer_payload(store: Store, desc: t.Mapping[str, t.Any]) -> bytes | None:
    try:
        return store.blob(str(desc["digest"]), str(desc.get("mediaType") or "")).data
    except GenplatError:
        return None


def _signed_by(store: Store, desc: t.Mapping[str, t.Any], payload: bytes, key: SigningKey) -> bool:
    """An existing simple-signing layer over exactly ``payload`` whose signature verifies with ``key``."""
    if desc.get("mediaType") != f.SIMPLESIGNING or desc.get("digest") != f.digest_of(payload):
        return False
    try:
        sig = base64.b64decode((desc.get("annotations") or {}).get(f.SIG_ANNOTATION, ""), validate=True)
    except ValueError:
        return False
    return key.public.verifies(sig, payload)


def _attested_by(store: Store, desc: t.Mapping[str, t.Any], statement: bytes, key: SigningKey) -> bool:
    if desc.get("mediaType") != f.DSSE_ENVELOPE:
        return False
    data = _layer_payload(store, desc)
    try:
        envelope = json.loads(data) if data else None
    except ValueError:
        return False
    return isinstance(envelope, dict) and f.dsse_verifies(envelope, key.public) == statement


def _put_attachment(store: Store, tag: str, new: list[tuple[dict[str, t.Any], Blob]]) -> Blob:
    existing = f.manifest_layers(store.manifest(tag))
    layers = f.merge_layers(existing, [d for d, _ in new])
    config, manifest = f.attachment_image(layers)
    store.put(tag, manifest, [b for _, b in new] + [config])
    return manifest


def sign_legacy(
    store: Store,
    digest: str,
    key: SigningKey,
    *,
    docker_reference: str,
    attestations: t.Sequence[tuple[str, t.Any]] = (),
    subject_name: str | None = None,
) -> tuple[str, bool, list[str]]:
    """``.sig`` and ``.att`` images; returns (signature image digest, added, predicate types attached)."""
    payload = f.simple_signing_payload(docker_reference, digest)
    tag = f.sig_tag(digest)
    existing = f.manifest_layers(store.manifest(tag))
    added = not any(_signed_by(store, d, payload, key) for d in existing)
    if added:
        sig_manifest = _put_attachment(store, tag, [f.signature_layer(payload, key.sign(payload))])
    else:
        found = store.manifest(tag)
        assert found is not None
        sig_manifest = found
    attached: list[str] = []
    if attestations:
        att = f.att_tag(digest)
        have = f.manifest_layers(store.manifest(att))
        new = []
        for predicate_type, predicate in attestations:
            stmt = f.statement(subject_name, digest, predicate_type, predicate)
            attached.append(predicate_type)
            if any(_attested_by(store, d, stmt, key) for d in have):
                continue
            new.append(f.attestation_layer(f.dsse_envelope(stmt, key), predicate_type))
        if new:
            _put_attachment(store, att, new)
    return sig_manifest.digest, added, attached


def _referrers(store: Store, digest: str) -> list[dict[str, t.Any]]:
    listed = store.referrers(digest)
    if listed is not None:
        return listed
    return f.index_manifests(store.manifest(f.referrers_tag(digest)))


def bundle_statements(store: Store, digest: str, predicate_type: str) -> t.Iterator[tuple[dict[str, t.Any], t.Any]]:
    """(referrer descriptor, parsed sigstore bundle) for each bundle referrer of ``digest`` with that predicate."""
    for desc in _referrers(store, digest):
        ann = desc.get("annotations") or {}
        if (
            desc.get("artifactType") not in (f.BUNDLE_V03, None)
            or ann.get("dev.sigstore.bundle.predicateType", predicate_type) != predicate_type
        ):
            continue
        manifest = store.manifest(str(desc.get("digest")))
        layers = f.manifest_layers(manifest)
        if manifest is None or len(layers) != 1 or layers[0].get("mediaType") != f.BUNDLE_V03:
            continue
        try:
            doc = json.loads(manifest.data)
            if (doc.get("subject") or {}).get("digest") != digest:
                continue
            bundle = json.loads(store.blob(layers[0]["digest"], f.BUNDLE_V03).data)
        except (ValueError, GenplatError):
            continue
        yield desc, bundle


def _bundle_has(store: Store, digest: str, predicate_type: str, stmt: bytes, key: SigningKey) -> str | None:
    for desc, bundle in bundle_statements(store, digest, predicate_type):
        envelope = bundle.get("dsseEnvelope") if isinstance(bundle, dict) else None
        if isinstance(envelope, dict) and f.dsse_verifies(envelope, key.public) == stmt:
            return str(desc["digest"])
    return None


def sign_bundle_format(
    store: Store,
    subject: t.Mapping[str, t.Any],
    key: SigningKey,
    *,
    attestations: t.Sequence[tuple[str, t.Any]] = (),
    subject_name: str | None = None,
) -> tuple[str, bool, list[str]]:
    """Sigstore bundle v0.3 referrers: the signature (predicate cosign/sign/v1) and each attestation."""
    digest = str(subject["digest"])
    # cosign's own signature statement has a subject without a name and an empty predicate.
    todo = [(f.COSIGN_SIGN_PREDICATE, f.statement(None, digest, f.COSIGN_SIGN_PREDICATE, {}))]
    todo += [(p, f.statement(subject_name, digest, p, pred)) for p, pred in attestations]
    added_descs: list[dict[str, t.Any]] = []
    sig_digest, added = "", False
    for predicate_type, stmt in todo:
        have = _bundle_has(store, digest, predicate_type, stmt, key)
        if have is None:
            bundle = f.sigstore_bundle(f.dsse_envelope(stmt, key), key.public)
            referrer = f.referrer_manifest(subject, bundle, predicate_type)
            store.put(referrer.digest, referrer, [f.EMPTY_CONFIG, bundle])
            added_descs.append(f.referrer_descriptor(referrer))
            have = referrer.digest
            if predicate_type == f.COSIGN_SIGN_PREDICATE:
                added = True
        if predicate_type == f.COSIGN_SIGN_PREDICATE:
            sig_digest = have
    if added_descs and store.referrers(digest) is None:
        fallback = f.referrers_tag(digest)
        index = f.referrers_index(store.manifest(fallback), added_descs)
        store.put(fallback, index, [])
    return sig_digest, added, [p for p, _ in todo[1:]]


def sign_digest(
    store: Store,
    subject: t.Mapping[str, t.Any],
    key: SigningKey,
    *,
    bundle: str,
    docker_reference: str,
    scheme: f.Scheme = "legacy",
    attestations: t.Sequence[tuple[str, t.Any]] = (),
) -> SignResult:
    """Sign ``subject`` (the bundle manifest's descriptor) in ``store`` and attach ``attestations``
    (predicate type, predicate) as signed in-toto statements."""
    digest = str(subject["digest"])
    repo = docker_reference
    if scheme == "legacy":
        sig, added, attached = sign_legacy(
            store, digest, key, docker_reference=docker_reference, attestations=attestations, subject_name=repo
        )
    elif scheme == "sigstore-bundle":
        sig, added, attached = sign_bundle_format(store, subject, key, attestations=attestations, subject_name=repo)
    else:
        raise UsageError(f"unknown signature scheme {scheme!r}; expected one of: {', '.join(f.SCHEMES)}")
    return SignResult(bundle, digest, store.name, scheme, sig, added, tuple(attached), key.deterministic)


def copy_attachments(src: Store, dst: Store, digest: str) -> int:
    """Copy the signatures and attestations of ``digest`` from ``src`` to ``dst``, keeping what ``dst``
    has already. Returns how many attachment manifests were written."""
    written = 0
    for tag in (f.sig_tag(digest), f.att_tag(digest)):
        local = src.manifest(tag)
        if local is None:
            continue
        layers = f.manifest_layers(local)
        remote = dst.manifest(tag)
        merged = f.merge_layers(f.manifest_layers(remote), layers)
        config, manifest = f.attachment_image(merged)
        if remote is not None and remote.digest == manifest.digest:
            continue
        blobs = [src.blob(d["digest"], d.get("mediaType") or "") for d in layers]
        dst.put(tag, manifest, blobs + [config])
        written += 1
    referrers = f.index_manifests(src.manifest(f.referrers_tag(digest)))
    if referrers:
        copied = []
        for desc in referrers:
            referrer = src.manifest(str(desc["digest"]))
            if referrer is None:
                continue
            doc = json.loads(referrer.data)
            blobs = [src.blob(d["digest"], d.get("mediaType") or "") for d in [doc["config"], *doc.get("layers", [])]]
            if dst.manifest(referrer.digest) is None:
                dst.put(referrer.digest, referrer, blobs)
                written += 1
            copied.append(f.referrer_descriptor(referrer))
        if dst.referrers(digest) is None:
            fallback = f.referrers_tag(digest)
            before = dst.manifest(fallback)
            index = f.referrers_index(before, copied)
            if before is None or before.digest != index.digest:
                dst.put(fallback, index, [])
                written += 1
    return written
