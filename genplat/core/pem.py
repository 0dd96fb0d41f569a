"""PEM public keys: what the platform's ``spec.signing.publicKey`` may hold and what counts as public.

Shared by validation (the key must parse), resolution (the key travels into the Flux wiring) and the
``guardrail/secret-data`` check (a Secret holding only public keys is public material, not a secret).
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

MAX_KEY_BYTES = 64 * 1024


def pem_blocks(data: bytes) -> list[tuple[str, bytes]] | None:
    """(type, DER) of each PEM block; None when anything outside the blocks is not blank."""
    out: list[tuple[str, bytes]] = []
    kind: str | None = None
    body: list[str] = []
    for raw in data.decode("ascii", errors="replace").splitlines():
        line = raw.strip()
        if kind is None:
            if line.startswith("-----BEGIN ") and line.endswith("-----"):
                kind, body = line[11:-5], []
            elif line:
                return None
        elif line == f"-----END {kind}-----":
            try:
                out.append((kind, base64.b64decode("".join(body), validate=True)))
            except ValueError:
                return None
            kind = None
        else:
            body.append(line)
    return out if kind is None else None


def is_public_key_pem(data: bytes) -> bool:
    """True when ``data`` is one or more PEM ``PUBLIC KEY`` blocks that parse, and nothing else."""
    blocks = pem_blocks(data)
    if not blocks or any(kind != "PUBLIC KEY" for kind, _ in blocks):
        return False
    try:
        for _, der in blocks:
            serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        return False
    return True


def signing_public_key(root: Path, value: str) -> tuple[bytes | None, str | None]:
    """``spec.signing.publicKey`` (inline PEM, or a file inside the blueprint folder) → (PEM, problem)."""
    if value.lstrip().startswith("-----BEGIN"):
        data = value.encode()
    else:
        base = root.resolve()
        path = (base / value).resolve()
        if not path.is_relative_to(base):
            return None, f"{value!r} is outside the blueprint folder; keep the public key file inside it"
        try:
            if path.stat().st_size > MAX_KEY_BYTES:
                return None, f"{value!r} is larger than {MAX_KEY_BYTES} bytes; not a public key file"
            data = path.read_bytes()
        except OSError as exc:
            return None, f"cannot read {value!r}: {exc.strerror or exc}"
    blocks = pem_blocks(data)
    if not blocks or blocks[0][0] != "PUBLIC KEY" or len(blocks) != 1:
        if blocks and any("PRIVATE" in kind for kind, _ in blocks):
            return (
                None,
                "this is a private key; give the public key (cosign.pub) instead, and keep the private key out of Git",
            )
        return None, "not a PEM public key (-----BEGIN PUBLIC KEY-----)"
    try:
        key = serialization.load_der_public_key(blocks[0][1])
    except (ValueError, UnsupportedAlgorithm):
        return None, "not a readable public key"
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        return None, "not an ECDSA P-256 key (what `cosign generate-key-pair` makes)"
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), None
