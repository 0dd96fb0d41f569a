"""``genplat push``: bundles from the local OCI layout to a registry, tag moved last."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import click

from genplat.cli import _push_sign
from genplat.cli._common import output_format_option, project_option, report, resolve_project
from genplat.cli._complete import complete_bundles
from genplat.cli._registry import blueprint_registry, make_client, registry_options
from genplat.core.errors import FindingsError, UsageError
from genplat.loader import blueprint_folder, find_project, output_folder


def push_targets(
    layout: Path, names: t.Iterable[str], *, registry: str | None, blueprints: Path, other_registry: bool
) -> tuple[dict[str, str], list[str]]:
    """``{bundle: host[:port]/path/<bundle>}`` to push to, and the warnings to print.

    Without ``--registry`` each bundle goes where its wiring in out/_gitops/ pulls from (else to the
    platform blueprint's registry). A ``--registry`` that is not the wiring's needs ``--other-registry``:
    the clusters would never see that push.
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.packaging.pins import wiring_repository
    from genplat.packaging.refs import split_registry  # deferred, as above

    out_dir = layout.parent
    targets: dict[str, str] = {}
    warnings: list[str] = []
    fallback = registry or blueprint_registry(blueprints)
    for name in names:
        wired = wiring_repository(out_dir, name)
        if registry:
            host, prefix = split_registry(registry)
            target = f"{host}/{prefix}/{name}" if prefix else f"{host}/{name}"
            if wired and wired[0] != target:
                note = (
                    f"{name}: pushing to {target}, but {wired[1]} pulls from {wired[0]}: "
                    "the cluster will not see this push"
                )
                if not other_registry:
                    raise UsageError(
                        f"{note}; pass --other-registry to push there anyway (a mirror), or leave out --registry"
                    )
                warnings.append(note)
        elif wired:
            target = wired[0]
        elif fallback:
            host, prefix = split_registry(fallback)
            target = f"{host}/{prefix}/{name}" if prefix else f"{host}/{name}"
        else:
            raise UsageError("no registry: pass --registry or set spec.registry in the platform blueprint")
        targets[name] = target
    return targets, warnings


@click.command("push")
@click.argument("bundles", nargs=-1, shell_complete=complete_bundles)
@click.option(
    "--registry",
    default=None,
    help="Repository prefix host[:port][/path] [default: where out/_gitops/ pulls each bundle from, "
    "else spec.registry of the platform blueprint].",
)
@click.option(
    "--other-registry",
    is_flag=True,
    help="Allow a --registry that is not the one the GitOps wiring pulls from (a mirror); says so.",
)
@click.option("--tag", default="latest", show_default=True, help="Tag to move once everything is uploaded.")
@click.option(
    "--layout",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="OCI layout written by `genplat package` [default: the project's out/.oci]; its parent "
    "folder holds genplat.lock.json and _gitops/.",
)
@click.option(
    "--blueprints",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to find the platform blueprint for the default registry [default: the project's].",
)
@project_option
@registry_options
@click.option(
    "--sign", "sign_", is_flag=True, help="Sign each pushed bundle in the registry with --key (see `genplat sign`)."
)
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="GENPLAT_SIGNING_KEY",
    help="Signing key for --sign (cosign key or PEM PKCS#8).",
)
@click.option(
    "--scheme",
    type=click.Choice(["legacy", "sigstore-bundle"]),
    default="legacy",
    show_default=True,
    help="Signature scheme for --sign.",
)
@click.option("--attest/--no-attest", default=True, show_default=True, help="With --sign: SBOM and provenance too.")
@output_format_option
def command(
    bundles: tuple[str, ...],
    registry: str | None,
    other_registry: bool,
    tag: str,
    layout: Path | None,
    blueprints: Path | None,
    project_dir: str | None,
    insecure: bool,
    ca_file: str | None,
    username: str | None,
    password_stdin: bool,
    timeout: float,
    sign_: bool,
    key_path: Path | None,
    scheme: str,
    attest: bool,
    output_format: str,
) -> None:
    """Push packaged bundles (all, or the BUNDLES named) to <registry>/<env>-<cluster>:<tag>.

    Only a layout whose digests are the ones genplat.lock.json pins is pushed (else: run
    `genplat package` again); provenance referrers in the layout go beside their bundles. Blobs and
    manifests the registry already has are not sent again; the tag moves only after every blob and the
    manifest are in. Credentials: --username with --password-stdin,
    GENPLAT_REGISTRY_USERNAME/GENPLAT_REGISTRY_PASSWORD, or Docker's config.json (credential helpers too).
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.output.lockfile import LOCKFILE_NAME, read_secret_allowances
    from genplat.packaging.bundles import refuse_artifact_secrets  # deferred, as above
    from genplat.packaging.layout import read_layout  # deferred, as above
    from genplat.packaging.pins import check_pinned, read_pins  # deferred, as above
    from genplat.packaging.refs import split_registry  # deferred, as above
    from genplat.publish.transfer import push_layout  # deferred, as above

    root = resolve_project(project_dir) if project_dir or find_project(Path(".")) else None
    layout = layout or (output_folder(root) if root is not None else Path("out")) / ".oci"
    blueprints = blueprints or (blueprint_folder(root) if root is not None else Path("blueprints"))
    pins = read_pins(layout.parent)
    lock = layout.parent / LOCKFILE_NAME

    def check(name: str, art: t.Any) -> None:
        check_pinned(
            name,
            art.format,
            art.digest,
            pins,
            what=str(layout),
            lock=lock,
            fix="the layout is stale: run `genplat package` again",
        )

    artifacts = read_layout(layout)
    names = [n for n in sorted(artifacts) if not bundles or n in bundles]
    for name in names:  # every bundle before anything is sent
        check(name, artifacts[name])
    try:
        refuse_artifact_secrets({n: artifacts[n] for n in names}, read_secret_allowances(layout.parent))
    except FindingsError as exc:
        if output_format != "json":
            raise
        raise click.exceptions.Exit(report(exc.diagnostics, "json")) from None
    targets, warnings = push_targets(
        layout, names, registry=registry, blueprints=blueprints, other_registry=other_registry
    )
    for warning in warnings:
        click.echo(f"genplat: warning: {warning}", err=True)
    by_host: dict[str, dict[str, str]] = {}
    for name, target in targets.items():
        host, repo = split_registry(target)
        by_host.setdefault(host, {})[name] = repo

    signer = _push_sign.prepare(sign_, key_path)
    password = None
    results = []
    signed = _push_sign.Signed()
    for host, repos in sorted(by_host.items()):
        client = make_client(
            host,
            insecure=insecure,
            ca_file=ca_file,
            username=username,
            password_stdin=password_stdin,
            timeout=timeout,
            password=password,
        )
        password = client.credentials.password if client.credentials and password_stdin else password
        pushed = push_layout(client, layout, tag=tag, only=bundles or tuple(repos), check=check, repos=repos)
        results += pushed
        signed.add(
            _push_sign.after_push(
                client, layout, pushed, signer=signer, scheme=scheme, attest=attest, blueprints=blueprints
            )
        )
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "version": 1,
                    "pushed": [r.to_dict() for r in results],
                    **({"signed": [r.to_dict() for r in signed.signed]} if signer else {}),
                    "attachments_written": signed.written,
                },
                indent=2,
            )
        )
    else:
        for r in results:
            note = (
                "unchanged"
                if not (r.blobs_uploaded or r.manifest_uploaded or r.tag_moved)
                else f"{r.blobs_uploaded} blob(s) uploaded"
            )
            if r.provenance:
                note += f", provenance {r.provenance[:19]}…"
            click.echo(f"{r.ref}@{r.digest}  ({note})")
        _push_sign.report(signed)
