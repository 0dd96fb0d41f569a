"""The bytes cosign reads: simple-signing payloads, signature and attestation images, DSSE, sigstore bundles.

Two storage schemes (docs/oci.md, "Signatures"):

* **legacy tags** (cosign v2 and v3, Flux): ``sha256-<hex>.sig`` holds an image with one
  ``application/vnd.dev.cosign.simplesigning.v1+json`` layer per signature (the payload; the base64
  DER signature in the layer annotation ``dev.cosignproject.cosign/signature``), and
  ``sha256-<hex>.att`` one ``application/vnd.dsse.envelope.v1+json`` layer per attestation (a DSSE
  envelope around an in-toto statement; annotation ``predicateType``).
* **sigstore bundle v0.3** (cosign v3's default): a referrer manifest (``subject`` = the bundle's
  manifest) whose one layer is the bundle JSON with a DSSE envelope; found through the referrers API or,
  where the registry has none, the OCI index at tag ``sha256-<hex>``.

All of it is canonical JSON without times, so the same key over the same digest gives the same bytes
when the signature itself is deterministic (RFC 6979).
"""

from __future__ import annotations

import base64
import json
import typing as t

from genplat.core.digests import is_digest, sha256_digest
from genplat.packaging.artifact import (
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    Blob,
    canonical_json,
)
from genplat.packaging.layout import ATTACHMENT_TAG
from genplat.packaging.provenance import referrer_descriptor as referrer_descriptor  # re-exported for _sign
from genplat.publish.sign._keys import PublicKey, SigningKey

SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"
SIG_ANNOTATION = "dev.cosignproject.cosign/signature"
PREDICATE_ANNOTATION = "predicateType"
INTOTO_PAYLOAD = "application/vnd.in-toto+json"
INTOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
EMPTY_JSON = "application/vnd.oci.empty.v1+json"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
SIGNATURE_TYPE = "cosign container image signature"

Scheme = t.Literal["legacy", "sigstore-bundle"]
SCHEMES: tuple[Scheme, ...] = ("legacy", "sigstore-bundle")


def _hex(digest: str) -> str:
    if not is_digest(digest):
        raise ValueError(f"{digest!r} is not a sha256 digest")
    return digest.split(":", 1)[1]


def sig_tag(digest: str) -> str:
    return f"sha256-{_hex(digest)}.sig"


def att_tag(digest: str) -> str:
    return f"sha256-{_hex(digest)}.att"


def referrers_tag(digest: str) -> str:
    """The referrers tag schema's fallback tag (OCI distribution spec 1.1)."""
    return f"sha256-{_hex(digest)}"


ATTACHMENT_TAG_RE = ATTACHMENT_TAG


def simple_signing_payload(docker_reference: str, digest: str) -> bytes:
    """cosign's payload, byte for byte as cosign writes it (its Go struct order, no trailing newline)."""
    _hex(digest)
    return (
        '{"critical":{"identity":{"docker-reference":'
        + json.dumps(docker_reference)
        + '},"image":{"docker-manifest-digest":'
        + json.dumps(digest)
        + '},"type":"'
        + SIGNATURE_TYPE
        + '"},"optional":null}'
    ).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding: what a DSSE signature is over."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def statement(subject_name: str | None, digest: str, predicate_type: str, predicate: t.Any) -> bytes:
    subject: dict[str, t.Any] = {"digest": {"sha256": _hex(digest)}}
    if subject_name:
        subject["name"] = subject_name
    return canonical_json(
        {"_type": INTOTO_STATEMENT_V1, "subject": [subject], "predicateType": predicate_type, "predicate": predicate}
    )


def dsse_envelope(payload: bytes, key: SigningKey) -> dict[str, t.Any]:
    return {
        "payloadType": INTOTO_PAYLOAD,
        "payload": b64(payload),
        "signatures": [{"keyid": "", "sig": b64(key.sign(pae(INTOTO_PAYLOAD, payload)))}],
    }


def dsse_verifies(envelope: t.Mapping[str, t.Any], key: PublicKey) -> bytes | None:
    """The envelope's payload when one of its signatures verifies with ``key``, else None."""
    try:
        payload = base64.b64decode(envelope["payload"], validate=True)
        kind = str(envelope["payloadType"])
        sigs = [base64.b64decode(s["sig"], validate=True) for s in envelope["signatures"]]
    except (KeyError, TypeError, ValueError):
        return None
    return payload if any(key.verifies(s, pae(kind, payload)) for s in sigs) else None


# ---- legacy signature / attestation images ----------------------------------------------------
def signature_layer(payload: bytes, signature: bytes) -> tuple[dict[str, t.Any], Blob]:
    blob = Blob.of(SIMPLESIGNING, payload)
    desc = {**blob.descriptor(), "annotations": {SIG_ANNOTATION: b64(signature)}}
    return desc, blob


def attestation_layer(envelope: t.Mapping[str, t.Any], predicate_type: str) -> tuple[dict[str, t.Any], Blob]:
    blob = Blob.of(DSSE_ENVELOPE, canonical_json(envelope))
    desc = {**blob.descriptor(), "annotations": {SIG_ANNOTATION: "", PREDICATE_ANNOTATION: predicate_type}}
    return desc, blob


def attachment_image(layers: t.Sequence[t.Mapping[str, t.Any]]) -> tuple[Blob, Blob]:
    """Config and manifest of a ``.sig``/``.att`` image over ``layers`` (descriptors, in order)."""
    config_doc = {
        "architecture": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"} for _ in layers],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in layers]},
    }
    config = Blob.of(OCI_CONFIG, canonical_json(config_doc))
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.descriptor(),
        "layers": [dict(d) for d in layers],
    }
    return config, Blob.of(OCI_MANIFEST, canonical_json(manifest))


def manifest_layers(manifest: Blob | None) -> list[dict[str, t.Any]]:
    if manifest is None:
        return []
    try:
        layers = json.loads(manifest.data).get("layers") or []
    except (ValueError, AttributeError):
        return []
    return [d for d in layers if isinstance(d, dict) and isinstance(d.get("digest"), str)]


def merge_layers(
    existing: t.Sequence[t.Mapping[str, t.Any]], new: t.Sequence[t.Mapping[str, t.Any]]
) -> list[dict[str, t.Any]]:
    """Existing layers first, then each new one not already there (same digest and annotations)."""
    out = [dict(d) for d in existing]
    seen = {canonical_json(d) for d in out}
    for d in new:
        if canonical_json(dict(d)) not in seen:
            out.append(dict(d))
            seen.add(canonical_json(dict(d)))
    return out


# ---- sigstore bundle v0.3 ---------------------------------------------------------------------
EMPTY_CONFIG = Blob.of(EMPTY_JSON, b"{}")


def sigstore_bundle(envelope: t.Mapping[str, t.Any], key: PublicKey) -> Blob:
    signatures = [{"sig": s["sig"]} for s in envelope["signatures"]]
    doc = {
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {"publicKey": {"hint": key.hint}},
        "dsseEnvelope": {
            "payload": envelope["payload"],
            "payloadType": envelope["payloadType"],
            "signatures": signatures,
        },
    }
    return Blob.of(BUNDLE_V03, canonical_json(doc))


def referrer_manifest(subject: t.Mapping[str, t.Any], bundle: Blob, predicate_type: str) -> Blob:
    """The referrer cosign v3 writes for a bundle (without its creation-time annotation)."""
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE_V03,
        "config": {**EMPTY_CONFIG.descriptor(), "artifactType": BUNDLE_V03},
        "layers": [bundle.descriptor()],
        "subject": {k: subject[k] for k in ("mediaType", "digest", "size")},
        "annotations": {
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": predicate_type,
        },
    }
    return Blob.of(OCI_MANIFEST, canonical_json(doc))


def referrers_index(existing: Blob | None, add: t.Sequence[t.Mapping[str, t.Any]]) -> Blob:
    """The fallback tag's index: the descriptors it had plus ``add`` (by digest, once each)."""
    manifests: list[dict[str, t.Any]] = []
    if existing is not None:
        try:
            manifests = [d for d in json.loads(existing.data).get("manifests") or [] if isinstance(d, dict)]
        except (ValueError, AttributeError):
            manifests = []
    have = {d.get("digest") for d in manifests}
    for d in add:
        if d["digest"] not in have:
            manifests.append(dict(d))
            have.add(d["digest"])
    return Blob.of(OCI_INDEX, canonical_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}))


def index_manifests(index: Blob | None) -> list[dict[str, t.Any]]:
    if index is None:
        return []
    try:
        return [d for d in json.loads(index.data).get("manifests") or [] if isinstance(d, dict)]
    except (ValueError, AttributeError):
        return []


def digest_of(data: bytes) -> str:
    return sha256_digest(data)
