"""``genplat verify``: exit 0 only when a valid signature by the key covers the exact manifest digest."""

from __future__ import annotations

import json
from pathlib import Path

import click

from genplat.cli._choices import ATTESTATION_TYPES
from genplat.cli._common import output_format_option
from genplat.cli._registry import make_client, registry_options


@click.command("verify")
@click.argument("ref")
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The signer's public key (PEM), e.g. cosign.pub.",
)
@click.option(
    "--attestation",
    "types",
    multiple=True,
    type=click.Choice(sorted(ATTESTATION_TYPES)),
    help="Also require a valid attestation of this type by the key (repeatable).",
)
@registry_options
@output_format_option
def command(
    ref: str,
    key_path: Path,
    types: tuple[str, ...],
    insecure: bool,
    ca_file: str | None,
    username: str | None,
    password_stdin: bool,
    timeout: float,
    output_format: str,
) -> int:
    """Verify the signature of bundle REF (registry/repo:tag, registry/repo@sha256:… or oci:LAYOUT:TAG).

    Exit 0 when a signature by KEY verifies over a payload naming exactly the manifest digest REF
    resolves to (and each --attestation asked for verifies too); exit 1 with one line otherwise:
    unsigned, not verified (another key, or the payload altered), or digest mismatch.
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.packaging.refs import LayoutRef, parse_ref
    from genplat.publish.sign import COSIGN_TYPES, load_public_key, verify_ref  # deferred, as above

    key = load_public_key(key_path)
    parsed = parse_ref(ref)
    client = None
    if not isinstance(parsed, LayoutRef):
        client = make_client(
            parsed.registry,
            insecure=insecure,
            ca_file=ca_file,
            username=username,
            password_stdin=password_stdin,
            timeout=timeout,
        )
    verdicts = verify_ref(
        parsed,
        key,
        client=client,
        predicate_types=[{name: uri for uri, name in COSIGN_TYPES.items()}[n] for n in types],
    )
    ok = all(v.ok for v in verdicts)
    if output_format == "json":
        click.echo(
            json.dumps({"version": 1, "ref": ref, "verified": ok, "results": [v.to_dict() for v in verdicts]}, indent=2)
        )
    else:
        for v in verdicts:
            if v.ok:
                click.echo(v.message)
        failed = next((v for v in verdicts if not v.ok), None)
        if failed is not None:
            click.echo(f"genplat: {failed.message}", err=True)
    return 0 if ok else 1
