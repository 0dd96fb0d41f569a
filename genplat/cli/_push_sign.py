"""The signing half of ``genplat push``: attachments from the layout, and ``--sign`` in the registry."""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

import click

from genplat.cli._signing import load_key
from genplat.core.errors import UsageError

if t.TYPE_CHECKING:
    from genplat.publish.registry import RegistryClient
    from genplat.publish.sign import SigningKey, SignResult
    from genplat.publish.transfer import PushResult


@dataclasses.dataclass
class Signed:
    written: int = 0
    signed: list[SignResult] = dataclasses.field(default_factory=list)

    def add(self, other: Signed) -> None:
        self.written += other.written
        self.signed += other.signed


def prepare(sign: bool, key_path: Path | None) -> SigningKey | None:
    """The key for ``--sign``, loaded (and its password asked for) before anything is uploaded."""
    if not sign:
        if key_path is not None:
            raise UsageError("--key is for --sign; add --sign to sign the pushed bundles")
        return None
    return load_key(key_path)


def _repository(result: PushResult) -> str:
    """``host/repo:tag`` → ``repo``."""
    return result.ref.split("/", 1)[1].rsplit(":", 1)[0]


def after_push(
    client: RegistryClient,
    layout: Path,
    results: list[PushResult],
    *,
    signer: SigningKey | None,
    scheme: str,
    attest: bool,
    blueprints: Path,
) -> Signed:
    """The layout's signatures and attestations for the bundles just pushed, then ``--sign``'s own."""
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.packaging.refs import RegistryRef
    from genplat.publish.sign import push_attachments, read_source, sign_remote  # deferred, as above

    out = Signed(written=push_attachments(client, layout, results, repos={r.bundle: _repository(r) for r in results}))
    if signer is not None:
        source = read_source(blueprints) if attest else None
        for r in results:
            ref = RegistryRef(client.host, _repository(r), digest=r.digest)
            out.signed.append(
                sign_remote(
                    client,
                    ref,
                    signer,
                    scheme=scheme,  # type: ignore[arg-type]
                    attest=attest,
                    source=source,
                )
            )
    return out


def report(signed: Signed) -> None:
    if signed.written:
        click.echo(f"{signed.written} signature/attestation manifest(s) from the layout pushed")
    for s in signed.signed:
        click.echo(f"{s.bundle}@{s.digest}  {'signed' if s.added else 'already signed'} ({s.scheme}) in {s.where}")
