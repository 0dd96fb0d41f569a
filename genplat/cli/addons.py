"""``genplat addons lock|list|catalog``: the add-on versions each cluster runs, locked and fetched."""

from __future__ import annotations

import json
from pathlib import Path

import click

from genplat.cli._common import fetch_options, format_option, project_option, report, resolve_project
from genplat.cli._complete import complete_clusters
from genplat.core.errors import FindingsError


@click.group("addons")
def command() -> None:
    """Lock and list the add-on versions each cluster runs (their CRDs check its objects)."""


@command.command("lock")
@click.argument("project", required=False, type=click.Path(exists=True, file_okay=False))
@project_option
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 when the lock is not current.")
@click.option(
    "--refresh",
    "refresh",
    multiple=True,
    metavar="NAME",
    help="Fetch NAME's locked versions again and record what they are now (repeatable; review the change).",
)
@fetch_options
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="CA bundle for HTTPS sources, mirrors and registries (default: $GENPLAT_CA_FILE, else the system's).",
)
@click.option("--timeout", type=click.FloatRange(min=1), default=120.0, show_default=True, help="Seconds per download.")
@click.option(
    "--max-size",
    type=click.IntRange(min=1024),
    default=256 << 20,
    show_default=True,
    help="Largest download, and largest archive once expanded, in bytes.",
)
@format_option
def lock(
    project: str | None,
    project_dir: str | None,
    check_only: bool,
    refresh: tuple[str, ...],
    offline: bool,
    mirrors: tuple[str, ...],
    ca_file: str | None,
    timeout: float,
    max_size: int,
    fmt: str | None,
) -> None:
    """Resolve every cluster's add-ons, fetch their CRDs and write blueprints/addons.lock.json.

    \b
    For each add-on version a cluster runs, the lock records its source, the digest of what was fetched,
    every CRD file with its digest, and the kinds and versions it serves. Versions already locked are
    kept as they are (fetched again only when the cache lacks them, and checked against the lock); new
    ones are fetched; ones no cluster runs any more are dropped. CRD files go to the cache
    ${XDG_CACHE_HOME:-~/.cache}/genplat/addons/. Commit the lock: builds check each cluster's objects
    against exactly these versions.
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.addons import FetchOptions, lock_addons

    root = resolve_project(project_dir, project)
    options = FetchOptions(offline=offline, mirrors=mirrors, ca_file=ca_file, timeout=timeout, max_size=max_size)
    try:
        result = lock_addons(root, options, check_only=check_only, refresh=refresh)
    except FindingsError as exc:
        report(exc.diagnostics, fmt)
        click.echo(f"genplat: {exc.message}", err=True)
        raise SystemExit(1) from None
    where = _display(result.path)
    for name, version in result.added:
        if check_only:
            click.echo(f"  would lock {name} {version}", err=True)
            continue
        entry = next(e for e in result.entries if e.key == (name, version))
        runs = (
            f"for {', '.join(entry.clusters)}" if entry.clusters else "blessed by the platform, run by no cluster yet"
        )
        click.echo(
            f"  locked {name} {version}: {len(entry.crds)} CRD file(s), {len(entry.serves)} kind(s), {runs}",
            err=True,
        )
    for name, version in result.removed:
        click.echo(f"  {'would drop' if check_only else 'dropped'} {name} {version} (no cluster runs it)", err=True)
    fetched_again = [k for k in result.fetched if k in result.kept]
    if fetched_again:
        click.echo(
            f"  fetched {len(fetched_again)} locked version(s) into the cache, as the lock records them", err=True
        )
    if check_only:
        if result.changed:
            click.echo(f"{where} is not current: run `genplat addons lock` and commit it", err=True)
            raise SystemExit(1)
        click.echo(f"{where} is current ({len(result.entries)} add-on version(s))", err=True)
        return
    if result.changed:
        click.echo(f"wrote {where} ({len(result.entries)} add-on version(s)): commit it", err=True)
    else:
        click.echo(f"{where} is up to date ({len(result.entries)} add-on version(s))", err=True)


@command.command("list")
@click.argument("project", required=False, type=click.Path(exists=True, file_okay=False))
@project_option
@click.option(
    "--cluster",
    "clusters",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_clusters,
    help="Only this cluster (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
def list_addons(project: str | None, project_dir: str | None, clusters: tuple[str, ...], as_json: bool) -> None:
    """Show each cluster's add-ons: version, where it is declared, source, and whether it is locked and cached."""
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.addons import store as addon_store
    from genplat.core.addons import LOCK_FILE  # deferred, as above
    from genplat.core.diagnostics import has_errors  # deferred, as above
    from genplat.loader.project import blueprint_folder, load_project  # deferred, as above
    from genplat.resolver.model import resolve_platform  # deferred, as above
    from genplat.validation import validate  # deferred, as above

    root = blueprint_folder(resolve_project(project_dir, project))
    loaded = load_project(root)
    findings = [d for d in validate(loaded) if d.rule != "addon-not-locked"]
    if loaded.platform is None or has_errors(
        [d for d in findings if loaded.platform and d.file == loaded.platform.file]
    ):
        raise SystemExit(report(findings, None) or 1)
    platform = resolve_platform(loaded.platform, loaded.addon_lock)
    unknown = set(clusters) - {c.name for c in platform.clusters}
    if unknown:
        raise click.UsageError(f"no cluster named {', '.join(sorted(unknown))} in the platform blueprint")
    rows = []
    run = {name for c in platform.clusters for name in c.addons}
    places = [
        (c.bundle, c.kubernetes_version, list(c.addons.values()))
        for c in platform.clusters
        if not clusters or c.name in clusters
    ]
    if not clusters:  # the platform's blessed versions that no cluster runs yet
        places.append(
            ("(no cluster)", platform.kubernetes_version, [a for n, a in platform.addons.items() if n not in run])
        )
    for bundle, kubernetes_version, addons in places:
        for addon in addons:
            lock = addon.lock
            rows.append(
                {
                    "cluster": bundle,
                    "kubernetesVersion": kubernetes_version,
                    "addon": addon.name,
                    "version": addon.version,
                    "type": addon.type,
                    "source": addon.source.describe(addon.version),
                    "declared": f"{addon.origin.file}:{addon.origin.line}",
                    "locked": lock is not None,
                    "cached": lock is not None
                    and (addon.source.kind == "local" or all(addon_store.has(c.digest) for c in lock.crds)),
                    "kinds": len(lock.serves) if lock else None,
                }
            )
    if as_json:
        click.echo(json.dumps({"lock": str(root / LOCK_FILE), "addons": rows}, indent=2))
        return
    if not rows:
        click.echo("no cluster runs an add-on", err=True)
        return
    width = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in ("cluster", "addon", "version")}
    for r in rows:
        state = ("locked" if r["locked"] else "NOT LOCKED") + (", cached" if r["cached"] else "")
        click.echo(
            f"{r['cluster']:<{width['cluster']}}  {r['addon']:<{width['addon']}}  {r['version']:<{width['version']}}  "
            f"{state:<16}  {r['source']}"
        )
    if not all(r["locked"] for r in rows):
        click.echo("run `genplat addons lock` to lock what is not locked", err=True)


@command.command("catalog")
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
def show_catalog(as_json: bool) -> None:
    """Show the add-ons genplat knows: capability, default version and where their CRDs come from."""
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.core.addons import catalog

    entries = catalog()
    if as_json:
        doc = {
            name: {
                "description": e.description,
                "type": e.type,
                "capability": e.capability,
                "version": e.version,
                "package": e.package,
                "source": e.source.to_dict(),
            }
            for name, e in entries.items()
        }
        click.echo(json.dumps(doc, indent=2))
        return
    width = max(len(n) for n in entries)
    for name, e in entries.items():
        click.echo(f"{name:<{width}}  {e.version or '':<8}  {e.source.describe(e.version or '{version}')}")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
