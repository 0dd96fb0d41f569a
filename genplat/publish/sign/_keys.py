"""Signing keys: cosign's encrypted private key, PEM PKCS#8 (plain or encrypted), ECDSA P-256 only.

cosign's own format (``cosign generate-key-pair``) is a PEM block ``ENCRYPTED SIGSTORE PRIVATE KEY``
(older releases: ``ENCRYPTED COSIGN PRIVATE KEY``) holding JSON from go-securesystemslib's
``encrypted`` package: ``kdf`` (scrypt with ``N``, ``r``, ``p`` and a base64 ``salt``), ``cipher``
(``nacl/secretbox`` with a base64 24-byte ``nonce``) and the base64 ``ciphertext`` of the PKCS#8 DER
key. The 32-byte secretbox key is scrypt(password, salt).

Nothing secret leaves this module: :class:`SigningKey` hides the key in ``repr``, passwords are asked
for through a callback and dropped after use, and every error names only the key's file.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import typing as t
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from genplat.core.errors import GenplatError

ENV_PASSWORD = "COSIGN_PASSWORD"
COSIGN_PEM_TYPES = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
PasswordSource = t.Callable[[], bytes]


class KeyFileError(GenplatError):
    """A key that cannot be read or used (exit 2: the caller passed the wrong thing)."""

    exit_code = 2


def _pem_blocks(text: bytes) -> list[tuple[str, bytes]]:
    """(type, base64-decoded body) of each PEM block."""
    out: list[tuple[str, bytes]] = []
    lines = text.decode("ascii", errors="replace").splitlines()
    kind: str | None = None
    body: list[str] = []
    for line in lines:
        line = line.strip()
        if line.startswith("-----BEGIN ") and line.endswith("-----"):
            kind, body = line[11:-5], []
        elif kind and line == f"-----END {kind}-----":
            try:
                out.append((kind, base64.b64decode("".join(body), validate=True)))
            except ValueError:
                out.append((kind, b""))
            kind = None
        elif kind:
            body.append(line)
    return out


def _deterministic_available() -> bool:
    """RFC 6979 needs ``cryptography`` >= 44 on OpenSSL >= 3.2."""
    try:
        key = ec.derive_private_key(1, ec.SECP256R1())
        key.sign(b"probe", ec.ECDSA(hashes.SHA256(), deterministic_signing=True))  # type: ignore[call-arg,unused-ignore]
        return True
    except (TypeError, UnsupportedAlgorithm):
        return False


DETERMINISTIC = _deterministic_available()


@dataclasses.dataclass(frozen=True)
class PublicKey:
    key: ec.EllipticCurvePublicKey = dataclasses.field(repr=False)
    source: str = "public key"

    @property
    def der(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def pem(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def hint(self) -> str:
        """What a sigstore bundle names the key by: base64 of sha256 over the DER SubjectPublicKeyInfo."""
        return base64.b64encode(hashlib.sha256(self.der).digest()).decode()

    def verifies(self, signature: bytes, data: bytes) -> bool:
        try:
            self.key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            return True
        except (InvalidSignature, ValueError):
            return False


@dataclasses.dataclass(frozen=True)
class SigningKey:
    """An ECDSA P-256 private key; ``sign`` gives an ASN.1 DER signature over SHA-256 of the data."""

    key: ec.EllipticCurvePrivateKey = dataclasses.field(repr=False)
    source: str = "signing key"
    deterministic: bool = DETERMINISTIC

    def __repr__(self) -> str:
        return f"SigningKey(source={self.source!r}, deterministic={self.deterministic})"

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key(), self.source)

    def sign(self, data: bytes) -> bytes:
        if self.deterministic:
            algo = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)  # type: ignore[call-arg,unused-ignore]
        else:
            algo = ec.ECDSA(hashes.SHA256())
        return self.key.sign(data, algo)


def _check_curve(key: object, where: str) -> None:
    if not isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) or not isinstance(
        key.curve, ec.SECP256R1
    ):
        raise KeyFileError(
            f"{where}: not an ECDSA P-256 key; genplat signs and verifies with P-256 only "
            "(what `cosign generate-key-pair` makes)"
        )


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > 1 << 20:
            raise KeyFileError(f"{path}: larger than 1 MiB; not a key file")
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: key file not found") from None
    except IsADirectoryError:
        raise KeyFileError(f"{path}: is a folder, not a key file") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the key file ({exc.strerror})") from None


def _decrypt_cosign(blob: bytes, password: bytes, where: str) -> bytes:
    import nacl.exceptions
    import nacl.secret

    try:
        doc = json.loads(blob)
        kdf, cipher = doc["kdf"], doc["cipher"]
        if kdf.get("name") != "scrypt" or cipher.get("name") != "nacl/secretbox":
            raise KeyFileError(
                f"{where}: unsupported key encryption {kdf.get('name')}/{cipher.get('name')}; "
                "expected scrypt with nacl/secretbox"
            )
        params = kdf["params"]
        n, r, p = int(params["N"]), int(params["r"]), int(params["p"])
        salt, nonce = base64.b64decode(kdf["salt"]), base64.b64decode(cipher["nonce"])
        ciphertext = base64.b64decode(doc["ciphertext"])
    except KeyFileError:
        raise
    except (ValueError, KeyError, TypeError):
        raise KeyFileError(f"{where}: damaged cosign key (its encrypted JSON is incomplete)") from None
    if not (2 <= n <= 1 << 20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        raise KeyFileError(f"{where}: scrypt parameters out of range (N={n}, r={r}, p={p})")
    secret = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=32, maxmem=256 * 1024 * 1024)
    try:
        return bytes(nacl.secret.SecretBox(secret).decrypt(ciphertext, nonce))
    except (nacl.exceptions.CryptoError, ValueError):
        raise KeyFileError(
            f"{where}: wrong password for this key (or the file is damaged)",
            hint=f"set {ENV_PASSWORD} to the key's password, or leave it unset to be asked",
        ) from None


def encrypt_cosign_key(key: ec.EllipticCurvePrivateKey, password: bytes) -> bytes:
    """``key`` in cosign's encrypted PEM format (scrypt N=65536, r=8, p=1; fresh salt and nonce)."""
    import nacl.secret

    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    salt, nonce = os.urandom(32), os.urandom(24)
    secret = hashlib.scrypt(password, salt=salt, n=65536, r=8, p=1, dklen=32, maxmem=256 * 1024 * 1024)
    box = nacl.secret.SecretBox(secret).encrypt(der, nonce)
    doc = {
        "kdf": {"name": "scrypt", "params": {"N": 65536, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(box.ciphertext).decode(),
    }
    body = base64.b64encode(json.dumps(doc).encode()).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
        + "\n".join(lines)
        + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    ).encode()


def load_signing_key(path: str | os.PathLike[str], password: PasswordSource | None = None) -> SigningKey:
    """The private key at ``path``. ``password`` is called only when the key is encrypted."""
    where = Path(path)
    data = _read(where)
    blocks = _pem_blocks(data)
    if not blocks:
        raise KeyFileError(
            f"{where}: no PEM block; expected a cosign key (ENCRYPTED SIGSTORE PRIVATE KEY) "
            "or a PKCS#8 private key (PRIVATE KEY)"
        )
    kind, body = blocks[0]
    try:
        if kind in COSIGN_PEM_TYPES:
            if password is None:
                raise KeyFileError(
                    f"{where}: the key is encrypted and no password is available", hint=f"set {ENV_PASSWORD}"
                )
            der = _decrypt_cosign(body, password(), str(where))
            key = serialization.load_der_private_key(der, password=None)
        elif kind == "ENCRYPTED PRIVATE KEY":
            if password is None:
                raise KeyFileError(
                    f"{where}: the key is encrypted and no password is available", hint=f"set {ENV_PASSWORD}"
                )
            try:
                key = serialization.load_der_private_key(body, password=password())
            except ValueError:
                raise KeyFileError(f"{where}: wrong password for this key (or the file is damaged)") from None
        elif kind in ("PRIVATE KEY", "EC PRIVATE KEY"):
            key = serialization.load_der_private_key(body, password=None)
        elif kind == "PUBLIC KEY":
            raise KeyFileError(
                f"{where}: this is a public key; signing needs the private key "
                "(verification takes the public one with --key)"
            )
        else:
            raise KeyFileError(f"{where}: PEM block {kind!r} is not a private key genplat reads")
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyFileError(f"{where}: not a readable private key") from None
    _check_curve(key, str(where))
    return SigningKey(t.cast(ec.EllipticCurvePrivateKey, key), source=str(where))


def parse_public_key(data: bytes, where: str) -> PublicKey:
    """A PEM SubjectPublicKeyInfo (``PUBLIC KEY``) for ECDSA P-256."""
    blocks = [b for b in _pem_blocks(data) if b[0] == "PUBLIC KEY"]
    if not blocks:
        hint = " (this is a private key: pass the .pub file)" if _pem_blocks(data) else ""
        raise KeyFileError(f"{where}: no PEM PUBLIC KEY block{hint}")
    try:
        key = serialization.load_der_public_key(blocks[0][1])
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(f"{where}: not a readable public key") from None
    _check_curve(key, where)
    return PublicKey(t.cast(ec.EllipticCurvePublicKey, key), source=where)


def load_public_key(path: str | os.PathLike[str]) -> PublicKey:
    return parse_public_key(_read(Path(path)), str(path))


def env_password() -> bytes | None:
    value = os.environ.get(ENV_PASSWORD)
    return value.encode() if value is not None else None
