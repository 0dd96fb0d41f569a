"""The signing key and signing options, shared by ``genplat sign`` and ``genplat push --sign``."""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

import click

from genplat.cli._choices import COSIGN_PASSWORD, SIGNATURE_SCHEMES
from genplat.core.errors import UsageError

if t.TYPE_CHECKING:
    from genplat.publish.sign import SigningKey


def password_source() -> t.Callable[[], bytes]:
    """COSIGN_PASSWORD when set (even empty, as cosign does), else a hidden prompt on a terminal."""

    def get() -> bytes:
        # deferred: --help and shell completion import this module; the library loads only when the command runs
        from genplat.publish.sign import env_password

        value = env_password()
        if value is not None:
            return value
        if not sys.stdin.isatty():
            raise UsageError(f"the signing key is encrypted: set {COSIGN_PASSWORD} (no terminal to ask on)")
        return str(
            click.prompt("Password for the signing key", hide_input=True, err=True, default="", show_default=False)
        ).encode()

    return get


def key_option(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    return click.option(
        "--key",
        "key_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        envvar="GENPLAT_SIGNING_KEY",
        help="Private key: cosign's encrypted key (password from COSIGN_PASSWORD or a "
        "prompt) or PEM PKCS#8; ECDSA P-256. Also GENPLAT_SIGNING_KEY.",
    )(f)


def sign_options(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    for opt in reversed(
        [
            click.option(
                "--scheme",
                type=click.Choice(SIGNATURE_SCHEMES),
                default="legacy",
                show_default=True,
                help="legacy: sha256-<hex>.sig/.att tags (cosign v2 and v3, Flux); sigstore-bundle: "
                "sigstore bundle v0.3 referrers (cosign v3).",
            ),
            click.option(
                "--attest/--no-attest",
                default=True,
                show_default=True,
                help="Also attach a signed CycloneDX SBOM and SLSA v1 provenance.",
            ),
        ]
    ):
        f = opt(f)
    return f


def load_key(key_path: Path | None) -> SigningKey:
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.publish.sign import load_signing_key

    if key_path is None:
        raise UsageError("no signing key: pass --key (or set GENPLAT_SIGNING_KEY)")
    return load_signing_key(key_path, password_source())
