"""``genplat sign``: cosign signatures and signed SBOM/provenance for bundles, offline or in a registry."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import click

from genplat.cli._common import output_format_option, project_option, resolve_project
from genplat.cli._registry import blueprint_registry, make_client, registry_options
from genplat.cli._signing import key_option, load_key, sign_options
from genplat.core.errors import UsageError
from genplat.loader import blueprint_folder, find_project, output_folder

if t.TYPE_CHECKING:
    from genplat.publish.sign import SignResult


def report(results: t.Sequence[SignResult], output_format: str) -> None:
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.publish.sign import COSIGN_TYPES, DETERMINISTIC

    if output_format == "json":
        click.echo(
            json.dumps(
                {"version": 1, "deterministic": DETERMINISTIC, "signed": [r.to_dict() for r in results]}, indent=2
            )
        )
        return
    for r in results:
        state = "signed" if r.added else "already signed"
        atts = f", attested: {', '.join(COSIGN_TYPES.get(a, a) for a in r.attestations)}" if r.attestations else ""
        click.echo(f"{r.bundle}@{r.digest}  {state} ({r.scheme}{atts}) in {r.where}")
    click.echo(
        "genplat: signatures are "
        + ("deterministic (RFC 6979)" if DETERMINISTIC else "randomised (this OpenSSL has no RFC 6979 signing)"),
        err=True,
    )


@click.command("sign")
@click.argument("targets", nargs=-1)
@key_option
@sign_options
@click.option(
    "--layout",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="OCI layout written by `genplat package` (offline signing) [default: the project's out/.oci].",
)
@click.option(
    "--registry",
    default=None,
    help="Where the bundles will be pushed, for the signed payload [default: spec.registry].",
)
@click.option(
    "--blueprints",
    type=click.Path(path_type=Path),
    default=None,
    help="Blueprints (and their git checkout) the provenance describes [default: the project's].",
)
@project_option
@registry_options
@output_format_option
def command(
    targets: tuple[str, ...],
    key_path: Path | None,
    scheme: str,
    attest: bool,
    layout: Path | None,
    registry: str | None,
    blueprints: Path | None,
    project_dir: str | None,
    insecure: bool,
    ca_file: str | None,
    username: str | None,
    password_stdin: bool,
    timeout: float,
    output_format: str,
) -> None:
    """Sign bundles with a cosign-compatible key-based signature of each manifest digest.

    \b
    TARGETS are bundle names in the local layout (default: every bundle there), signed offline into
    the layout so that `genplat push` carries the signatures along; or registry references
    (registry/repo:tag or registry/repo@sha256:…), signed in place. A signature already there is
    kept; signing again with the same key adds nothing. Verify with `genplat verify` or
    `cosign verify --key KEY.pub`.
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.packaging.refs import RegistryRef, parse_ref, split_registry
    from genplat.publish.sign import read_source, sign_layout, sign_remote  # deferred, as above

    root = resolve_project(project_dir) if project_dir or find_project(Path(".")) else None
    layout = layout or (output_folder(root) if root is not None else Path("out")) / ".oci"
    blueprints = blueprints or (blueprint_folder(root) if root is not None else Path("blueprints"))
    key = load_key(key_path)
    remote = [tg for tg in targets if "/" in tg]
    local = [tg for tg in targets if "/" not in tg]
    if remote and local:
        raise UsageError("give either bundle names (local layout) or registry references, not both")
    source = read_source(blueprints) if attest else None
    results: list[SignResult] = []
    if remote:
        for text in remote:
            ref = parse_ref(text)
            if not isinstance(ref, RegistryRef):
                raise UsageError(f"{text!r} is not a registry reference")
            client = make_client(
                ref.registry,
                insecure=insecure,
                ca_file=ca_file,
                username=username,
                password_stdin=password_stdin,
                timeout=timeout,
            )
            results.append(
                sign_remote(
                    client,
                    ref,
                    key,
                    scheme=scheme,  # type: ignore[arg-type]
                    attest=attest,
                    source=source,
                )
            )
    else:
        registry = registry or blueprint_registry(blueprints)
        if not registry:
            raise UsageError(
                "no registry for the signed payload: pass --registry or set spec.registry in the platform blueprint"
            )
        host, prefix = split_registry(registry)
        results = sign_layout(
            layout,
            key,
            registry=f"{host}/{prefix}" if prefix else host,
            bundles=local,
            scheme=scheme,  # type: ignore[arg-type]
            attest=attest,
            source=source,
        )
    report(results, output_format)
