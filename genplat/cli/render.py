"""``genplat render``: the manifests a build would write, on stdout (as ``helm template`` and ``kustomize build``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from genplat.cli._choices import SPLITS
from genplat.cli._common import default_format, fetch_options, format_option, project_option, resolve_project
from genplat.cli._complete import complete_clusters, complete_environments, complete_tenants
from genplat.core.diagnostics import has_errors
from genplat.core.report import REPORTERS


def selected(path: str, *, env: str | None, cluster: str | None, tenant: str | None) -> bool:
    """Whether a bundle file (``<env>/<cluster>/<file>``) belongs to the selection."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0].startswith(("_", ".")) or parts[-1] == "kustomization.yaml":
        return False
    if (env is not None and parts[0] != env) or (cluster is not None and parts[1] != cluster):
        return False
    if tenant is not None:
        rest = parts[2:]
        return rest[0] == "tenants" and len(rest) > 1 and (rest[1] == f"{tenant}.yaml" or rest[1] == tenant)
    return True


def render_to_stdout(
    project: Path,
    *,
    env: str | None = None,
    cluster: str | None = None,
    tenant: str | None = None,
    crds: tuple[Path, ...] = (),
    split: str = "per-tenant",
    max_file_size: int = 1024 * 1024,
    jobs: int | None = None,
    fmt: str | None = None,
    offline: bool = False,
    mirrors: tuple[str, ...] = (),
) -> int:
    """Render and check in memory, print the selected manifests; findings go to stderr. The exit code."""
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.addons import FetchOptions
    from genplat.pipeline import RenderOptions, render  # deferred, as above

    result = render(
        RenderOptions(
            project=project,
            split=split,
            max_file_size=max_file_size,
            crds=crds,
            jobs=jobs,
            addons=FetchOptions(offline=offline, mirrors=mirrors),
        )
    )
    code = _report_to_stderr(result.diagnostics, fmt)
    if code:
        click.echo("render failed: nothing was printed", err=True)
        return code
    known_envs = {p.split("/")[0] for p in result.files if not p.startswith(("_", "."))} - {"genplat.lock.json"}
    if env is not None and env not in known_envs:
        raise click.UsageError(
            f"no environment {env!r} in the rendered bundles (environments: {', '.join(sorted(known_envs))})"
        )
    chosen = sorted(p for p in result.files if selected(p, env=env, cluster=cluster, tenant=tenant))
    if not chosen:
        raise click.UsageError("nothing rendered matches --env/--cluster/--tenant")
    out = sys.stdout.buffer
    several = len({bundle_of(p) for p in chosen}) > 1
    for path in chosen:
        data = bytes(result.files[path])
        if not data.startswith(b"---"):
            data = b"---\n" + data
        out.write(marked(data, path) if several else data)
    out.flush()
    return 0


def bundle_of(path: str) -> str:
    """The bundle (``<env>/<cluster>``) a rendered file belongs to."""
    return "/".join(path.split("/")[:2])


def marked(data: bytes, path: str) -> bytes:
    """Every document of a file with a comment line naming its bundle (and file) right after its
    ``---``, so output of several bundles says where each document goes. Block scalars are
    indented, so a line that is exactly ``---`` starts a document."""
    mark = f"# bundle: {bundle_of(path)} ({path.split('/', 2)[2]})\n".encode()
    lines = data.splitlines(keepends=True)
    return b"".join(line + mark if line.rstrip(b"\r\n") == b"---" else line for line in lines)


def composed_to_stdout(
    project: Path,
    *,
    env: str | None = None,
    cluster: str | None = None,
    tenant: str | None = None,
    crds: tuple[Path, ...] = (),
    max_file_size: int = 1024 * 1024,
    fmt: str | None = None,
    offline: bool = False,
    mirrors: tuple[str, ...] = (),
) -> int:
    """What each selected tenant order composes, on stdout; findings go to stderr. The exit code."""
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.addons import FetchOptions
    from genplat.pipeline import RenderOptions, compose  # deferred, as above
    from genplat.rendering.emit import dump_documents  # deferred, as above

    addons = FetchOptions(offline=offline, mirrors=mirrors)
    result = compose(RenderOptions(project=project, max_file_size=max_file_size, crds=crds, addons=addons))
    code = _report_to_stderr(result.diagnostics, fmt)
    if code:
        click.echo("render failed: nothing was printed", err=True)
        return code
    docs = []
    for item in result.orders:
        bundle = item.tenant.cluster.bundle
        if not selected(f"{bundle}/tenants/{item.tenant.name}.yaml", env=env, cluster=cluster, tenant=tenant):
            continue
        origin = item.resource.origin
        for c in item.resources:
            source = f"{origin.file}#{origin.anchor} ({bundle}: composition {item.composition_name}, resource {c.name})"
            docs.append((source, c.obj))
    if not docs and not result.orders:
        raise click.UsageError("no tenant orders an offering: nothing is composed")
    if not docs:
        raise click.UsageError("nothing composed matches --env/--cluster/--tenant")
    sys.stdout.write(dump_documents(docs))
    sys.stdout.flush()
    return 0


def _report_to_stderr(diagnostics: list, fmt: str | None) -> int:  # type: ignore[type-arg]
    """Findings on stderr: stdout carries only manifests."""

    text = REPORTERS[fmt or default_format()](diagnostics)
    if text:
        click.echo(text, nl=False, err=True)
    return 1 if has_errors(diagnostics) else 0


@click.command("render")
@click.argument("project", required=False, type=click.Path(exists=True, file_okay=False))
@project_option
@click.option("--env", default=None, shell_complete=complete_environments, help="Only the bundles of this environment.")
@click.option("--cluster", default=None, shell_complete=complete_clusters, help="Only the bundle of this cluster.")
@click.option("--tenant", default=None, shell_complete=complete_tenants, help="Only this tenant's objects.")
@click.option(
    "--crds",
    "crds",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="CRD file or folder to check custom resources against (repeatable).",
)
@click.option("--split", type=click.Choice(SPLITS), default="per-tenant", show_default=True, help="As for build.")
@click.option(
    "--composed",
    is_flag=True,
    help="Print what the tenants' composite resources compose (the managed resources, as "
    "function-patch-and-transform makes them), not the manifests.",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes, as for build.")
@fetch_options
@format_option
def command(
    project: str | None,
    project_dir: str | None,
    env: str | None,
    cluster: str | None,
    tenant: str | None,
    crds: tuple[Path, ...],
    split: str,
    composed: bool,
    jobs: int | None,
    offline: bool,
    mirrors: tuple[str, ...],
    fmt: str | None,
) -> None:
    """Print the manifests a build would write to stdout, nothing to disk.

    Everything is rendered and checked as `genplat build` does; findings go to stderr and any
    error prints nothing (exit 1). Documents keep their `# source:` comments; when more than one
    bundle is printed, each document also starts with `# bundle: ENV/CLUSTER (FILE)`.

    With --composed: each tenant order composed offline, as Crossplane's function-patch-and-transform
    composes it in the cluster (what `crossplane render` prints), after the same validation; each
    document names the order, the bundle, the composition and the composed resource.
    """
    root = resolve_project(project_dir, project)
    if composed:
        raise SystemExit(
            composed_to_stdout(
                root, env=env, cluster=cluster, tenant=tenant, crds=crds, fmt=fmt, offline=offline, mirrors=mirrors
            )
        )
    raise SystemExit(
        render_to_stdout(
            root,
            env=env,
            cluster=cluster,
            tenant=tenant,
            crds=crds,
            split=split,
            jobs=jobs,
            fmt=fmt,
            offline=offline,
            mirrors=mirrors,
        )
    )
