"""Live shell completion of the names a project has: tenants, services, environments, clusters, tiers,
offerings, resources, pipeline templates and bundles.

click calls these while the shell completes a word (``_GENPLAT_COMPLETE=bash_complete``). They read the
project the command would use (``-C DIR`` when typed, else found upwards from the working folder) with
the loader alone (libyaml), never the schemas, ruamel, Jinja2 or the HTTP and crypto libraries, and they
never fail: a project that does not load completes nothing. bench/completion_bench.py measures a TAB.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import click
from click.shell_completion import CompletionItem

from genplat.loader.project import Project, blueprint_folder, find_project, load_project

Source = t.Callable[[click.Context], t.Iterable[str]]


def _project(ctx: click.Context) -> Project | None:
    given: str | None = None
    c: click.Context | None = ctx
    while c is not None and given is None:
        found = c.params.get("project_dir") or c.params.get("project")  # -C DIR (or diff's and build's PROJECT)
        given = str(found) if found else None
        c = c.parent
    try:
        found = find_project(Path(given) if given else Path("."))
        return load_project(blueprint_folder(found)) if found is not None else None
    except Exception:  # completion must never fail: a project that does not load offers no names
        return None


def _dicts(value: t.Any) -> list[dict[str, t.Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _names(items: t.Any) -> list[str]:
    return [str(i["name"]) for i in _dicts(items) if isinstance(i.get("name"), str)]


def _platform(ctx: click.Context) -> dict[str, t.Any]:
    project = _project(ctx)
    return project.platform.spec if project is not None and project.platform is not None else {}


def tenants(ctx: click.Context) -> list[str]:
    project = _project(ctx)
    return sorted(b.name for b in project.tenants if b.name) if project is not None else []


def _tenant_spec(ctx: click.Context) -> dict[str, t.Any]:
    project = _project(ctx)
    name = ctx.params.get("tenant")
    bp = project.tenant(name) if project is not None and isinstance(name, str) else None
    return bp.spec if bp is not None else {}


def services(ctx: click.Context) -> list[str]:
    return _names(_tenant_spec(ctx).get("services"))


def resources(ctx: click.Context) -> list[str]:
    return _names(_tenant_spec(ctx).get("resources"))


def environments(ctx: click.Context) -> list[str]:
    return _names(_platform(ctx).get("environments"))


def _clusters(ctx: click.Context) -> list[tuple[str, str]]:
    return [
        (e, c)
        for env in _dicts(_platform(ctx).get("environments"))
        for e in [str(env.get("name"))]
        for c in _names(env.get("clusters"))
    ]


def clusters(ctx: click.Context) -> list[str]:
    """The clusters of the environment already given (``--env``, or an ENV argument), else all."""
    env = ctx.params.get("env")
    pairs = _clusters(ctx)
    return [c for e, c in pairs if not isinstance(env, str) or e == env] or [c for _, c in pairs]


def tiers(ctx: click.Context) -> list[str]:
    raw = _platform(ctx).get("tiers")
    return [str(k) for k in raw] if isinstance(raw, dict) else []


def offerings(ctx: click.Context) -> list[str]:
    return _names(_platform(ctx).get("offerings"))


def pipelines(ctx: click.Context) -> list[str]:
    return _names(_platform(ctx).get("pipelines"))


def bundles(ctx: click.Context) -> list[str]:
    """Bundle names as `genplat push` takes them: ``<env>-<cluster>``."""
    return [f"{e}-{c}" for e, c in _clusters(ctx)]


def bundle_paths(ctx: click.Context) -> list[str]:
    """Bundles as `genplat diff --bundle` matches them: ``<env>/<cluster>`` (and ``<env>/*``)."""
    pairs = _clusters(ctx)
    return sorted({f"{e}/*" for e, _ in pairs}) + [f"{e}/{c}" for e, c in pairs]


def completer(source: Source) -> t.Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """A click ``shell_complete`` callback offering the names ``source`` reads, that start with the word typed."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        return [CompletionItem(n) for n in dict.fromkeys(source(ctx)) if n.startswith(incomplete)]

    return complete


def pair_completer(source: Source) -> t.Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """For ``NAME=VALUE`` options: after the ``=``, the names ``source`` reads."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        name, sep, value = incomplete.partition("=")
        if not sep:
            return []
        return [CompletionItem(f"{name}={n}") for n in dict.fromkeys(source(ctx)) if n.startswith(value)]

    return complete


complete_tenants = completer(tenants)
complete_services = completer(services)
complete_resources = completer(resources)
complete_environments = completer(environments)
complete_clusters = completer(clusters)
complete_all_clusters = completer(lambda ctx: [c for _, c in _clusters(ctx)])
complete_tiers = completer(tiers)
complete_offerings = completer(offerings)
complete_pipelines = completer(pipelines)
complete_bundles = completer(bundles)
complete_bundle_paths = completer(bundle_paths)
complete_resource_offering = pair_completer(offerings)
