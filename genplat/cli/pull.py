"""``genplat pull``: fetch one bundle, verify every digest, extract safely and atomically."""

from __future__ import annotations

import json
from pathlib import Path

import click

from genplat.cli._choices import MAX_EXTRACT_BYTES
from genplat.cli._common import output_format_option
from genplat.cli._registry import make_client, registry_options


@click.command("pull")
@click.argument("ref")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to create [default: the repository's last path element, or the layout tag].",
)
@click.option("--force", is_flag=True, help="Replace the output folder if it exists and is not empty.")
@click.option(
    "--max-size",
    type=click.IntRange(min=1),
    default=MAX_EXTRACT_BYTES,
    show_default=True,
    help="Refuse a bundle that expands past this many bytes.",
)
@registry_options
@output_format_option
def command(
    ref: str,
    output: Path | None,
    force: bool,
    max_size: int,
    insecure: bool,
    ca_file: str | None,
    username: str | None,
    password_stdin: bool,
    timeout: float,
    output_format: str,
) -> None:
    """Pull bundle REF (registry/repo:tag, registry/repo@sha256:… or oci:LAYOUT:TAG) into a folder.

    The manifest and every blob are checked against their digests; archives with absolute paths,
    '..', links or devices, or that expand past --max-size, are refused.
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.packaging.refs import LayoutRef, parse_ref
    from genplat.publish.transfer import extract_artifact, fetch_artifact  # deferred, as above

    parsed = parse_ref(ref)
    client = None
    if isinstance(parsed, LayoutRef):
        default_name = parsed.tag
    else:
        client = make_client(
            parsed.registry,
            insecure=insecure,
            ca_file=ca_file,
            username=username,
            password_stdin=password_stdin,
            timeout=timeout,
        )
        default_name = parsed.repository.rsplit("/", 1)[-1]
    artifact = fetch_artifact(parsed, client=client, max_bytes=max_size)
    dest = output or Path(default_name)
    files = extract_artifact(artifact, dest, replace=force, max_bytes=max_size)
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "version": 1,
                    "ref": ref,
                    "digest": artifact.digest,
                    "format": artifact.format,
                    "output": str(dest),
                    "files": files,
                },
                indent=2,
            )
        )
    else:
        click.echo(f"{ref} ({artifact.digest}) -> {dest}/ ({len(files)} file(s))")
