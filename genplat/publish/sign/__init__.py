"""Signatures and attestations for OCI bundles, in the formats cosign and Flux verify.

Pipeline stage: **package → publish**. After ``genplat package`` has written the bundles into the local
OCI layout, ``genplat sign`` adds key-based cosign signatures of each bundle's manifest digest and
signed SBOM / SLSA provenance attestations — offline, into that layout — and ``genplat push`` carries
them to the registry with the bundles (or ``genplat sign REF`` / ``push --sign`` sign in the registry).
``genplat verify`` checks them. Nothing here changes a bundle's bytes or digest.

Library API (no click, no printing)::

    load_signing_key(path, password=callable) -> SigningKey     load_public_key(path) -> PublicKey
    sign_layout(layout, key, *, registry, bundles=(), scheme="legacy", attest=True, source=None) -> [SignResult]
    sign_remote(client, ref, key, *, scheme=, attest=, source=) -> SignResult
    push_attachments(client, layout, push_results, path_prefix=) -> int
    verify_ref(ref, key, *, client=None, predicate_types=()) -> [Verdict]
    sbom(bundle, digest, files, ...) / provenance(bundle, source=, options=) / read_source(blueprints)

Formats (``docs/oci.md``, "Signatures"): :mod:`._formats`. Keys: :mod:`._keys`.
"""

from __future__ import annotations

from genplat.core.pem import is_public_key_pem
from genplat.publish.sign._attest import (
    COSIGN_TYPES,
    CYCLONEDX_PREDICATE,
    SLSA_V1_PREDICATE,
    Source,
    provenance,
    read_source,
    sbom,
)
from genplat.publish.sign._bundles import (
    attestations_for,
    push_attachments,
    sign_layout,
    sign_remote,
    verify_ref,
)
from genplat.publish.sign._formats import (
    ATTACHMENT_TAG_RE,
    SCHEMES,
    Scheme,
    att_tag,
    referrers_tag,
    sig_tag,
    simple_signing_payload,
)
from genplat.publish.sign._keys import (
    DETERMINISTIC,
    ENV_PASSWORD,
    KeyFileError,
    PublicKey,
    SigningKey,
    encrypt_cosign_key,
    env_password,
    load_public_key,
    load_signing_key,
    parse_public_key,
)
from genplat.publish.sign._sign import SignResult, copy_attachments, sign_digest
from genplat.publish.sign._store import LayoutStore, RegistryStore, Store
from genplat.publish.sign._verify import Verdict, verify

__all__ = [
    "ATTACHMENT_TAG_RE",
    "COSIGN_TYPES",
    "CYCLONEDX_PREDICATE",
    "DETERMINISTIC",
    "ENV_PASSWORD",
    "SCHEMES",
    "SLSA_V1_PREDICATE",
    "KeyFileError",
    "LayoutStore",
    "PublicKey",
    "RegistryStore",
    "Scheme",
    "SignResult",
    "SigningKey",
    "Source",
    "Store",
    "Verdict",
    "att_tag",
    "attestations_for",
    "copy_attachments",
    "encrypt_cosign_key",
    "env_password",
    "is_public_key_pem",
    "load_public_key",
    "load_signing_key",
    "parse_public_key",
    "provenance",
    "push_attachments",
    "read_source",
    "referrers_tag",
    "sbom",
    "sig_tag",
    "sign_digest",
    "sign_layout",
    "sign_remote",
    "simple_signing_payload",
    "verify",
    "verify_ref",
]
