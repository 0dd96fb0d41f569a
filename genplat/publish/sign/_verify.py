"""Check that a key signed exactly this manifest digest (and, on request, attested it).

A signature counts only when (1) its signature verifies with the key over the payload bytes as stored,
and (2) the payload names this digest: ``critical.image.docker-manifest-digest`` for a simple-signing
payload, an in-toto subject digest for a DSSE statement. Like cosign, the ``docker-reference`` in the
payload is not compared with where the bundle is, so a bundle signed offline before its push verifies.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import typing as t

from genplat.core.errors import GenplatError
from genplat.publish.sign import _formats as f
from genplat.publish.sign._keys import PublicKey
from genplat.publish.sign._sign import bundle_statements
from genplat.publish.sign._store import Store


@dataclasses.dataclass(frozen=True)
class Verdict:
    ok: bool
    #: ``verified``, ``unsigned``, ``invalid`` (none verifies: another key or altered payload) or
    #: ``digest-mismatch`` (a valid signature by this key, over another digest).
    status: str
    message: str
    digest: str
    found: int = 0

    def to_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def _statement_digests(payload: bytes, predicate_type: str) -> set[str] | None:
    try:
        doc = json.loads(payload)
        if doc.get("predicateType") != predicate_type:
            return None
        return {"sha256:" + str((s.get("digest") or {}).get("sha256")) for s in doc.get("subject") or []}
    except (ValueError, AttributeError, TypeError):
        return set()


def _simple_signing_digest(payload: bytes) -> str | None:
    try:
        critical = json.loads(payload)["critical"]
        if critical.get("type") != f.SIGNATURE_TYPE:
            return None
        return str(critical["image"]["docker-manifest-digest"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _legacy(store: Store, digest: str, key: PublicKey) -> tuple[int, list[str]]:
    """(signatures found, digests covered by those that verify with ``key``)."""
    found, covered = 0, []
    for desc in f.manifest_layers(store.manifest(f.sig_tag(digest))):
        if desc.get("mediaType") != f.SIMPLESIGNING:
            continue
        found += 1
        try:
            payload = store.blob(desc["digest"], f.SIMPLESIGNING).data
            sig = base64.b64decode((desc.get("annotations") or {}).get(f.SIG_ANNOTATION, ""), validate=True)
        except (GenplatError, ValueError):
            continue
        if key.verifies(sig, payload):
            covered.append(_simple_signing_digest(payload) or "an unreadable payload")
    return found, covered


def _envelopes(store: Store, digest: str, predicate_type: str) -> t.Iterator[dict[str, t.Any]]:
    if predicate_type != f.COSIGN_SIGN_PREDICATE:
        for desc in f.manifest_layers(store.manifest(f.att_tag(digest))):
            ann = desc.get("annotations") or {}
            if (
                desc.get("mediaType") != f.DSSE_ENVELOPE
                or ann.get(f.PREDICATE_ANNOTATION, predicate_type) != predicate_type
            ):
                continue
            try:
                envelope = json.loads(store.blob(desc["digest"], f.DSSE_ENVELOPE).data)
            except (ValueError, GenplatError):
                envelope = {}
            yield envelope if isinstance(envelope, dict) else {}
    for _, bundle in bundle_statements(store, digest, predicate_type):
        envelope = bundle.get("dsseEnvelope") if isinstance(bundle, dict) else None
        yield envelope if isinstance(envelope, dict) else {}


def _dsse(store: Store, digest: str, key: PublicKey, predicate_type: str) -> tuple[int, list[str]]:
    found, covered = 0, []
    for envelope in _envelopes(store, digest, predicate_type):
        found += 1
        payload = f.dsse_verifies(envelope, key)
        if payload is None:
            continue
        digests = _statement_digests(payload, predicate_type)
        if digests is None:
            continue  # a valid statement of another type
        covered.append(digest if digest in digests else (sorted(digests)[0] if digests else "no subject"))
    return found, covered


def verify(store: Store, digest: str, key: PublicKey, *, predicate_type: str | None = None) -> Verdict:
    """The signature (``predicate_type`` None) or the attestation of that type for ``digest``."""
    what = "signature" if predicate_type is None else f"{predicate_type} attestation"
    if predicate_type is None:
        found, covered = _legacy(store, digest, key)
        more, more_covered = _dsse(store, digest, key, f.COSIGN_SIGN_PREDICATE)
        found, covered = found + more, covered + more_covered
    else:
        found, covered = _dsse(store, digest, key, predicate_type)
    if digest in covered:
        return Verdict(True, "verified", f"{what} by {key.source} verified for {digest} in {store.name}", digest, found)
    if not found:
        return Verdict(False, "unsigned", f"unsigned: no {what} for {digest} in {store.name}", digest, 0)
    if covered:
        return Verdict(
            False,
            "digest-mismatch",
            f"digest mismatch: the {what} by {key.source} in {store.name} covers {covered[0]}, not {digest}",
            digest,
            found,
        )
    return Verdict(
        False,
        "invalid",
        f"not verified: {found} {what}(s) for {digest} in {store.name}, none valid for {key.source} "
        "(made with another key, or the payload was altered)",
        digest,
        found,
    )
