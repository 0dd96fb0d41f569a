"""``genplat env|cluster|service|resource add|remove``: the usual growth steps, with what the platform offers.

Each is one list edit (see ``genplat add``), validated with the whole project before it is written.
"""

from __future__ import annotations

import functools
import typing as t
from pathlib import Path

import click

from genplat.cli._common import finish_edit, format_option, project_option, resolve_project
from genplat.cli._complete import (
    complete_all_clusters,
    complete_environments,
    complete_offerings,
    complete_pipelines,
    complete_resources,
    complete_services,
    complete_tenants,
)
from genplat.loader import blueprint_folder
from genplat.schemas import cluster_enum

if t.TYPE_CHECKING:
    from genplat.authoring import ClusterOptions, EditResult


def _root(project_dir: str | None) -> Path:
    return blueprint_folder(resolve_project(project_dir))


def _common(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    f = format_option(f)
    f = click.option("-n", "--dry-run", is_flag=True, help="Print the diff instead of writing.")(f)
    return project_option(f)


def _cluster_options(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """--like, --provider, --region and --capability, handed to the command as one ``cluster`` argument."""

    @functools.wraps(f)
    def command(
        *args: t.Any,
        like: str | None,
        provider: str | None,
        region: str | None,
        capabilities: tuple[str, ...],
        addons: tuple[str, ...],
        **kwargs: t.Any,
    ) -> t.Any:
        # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
        from genplat.authoring import ClusterOptions

        return f(*args, cluster=ClusterOptions(like, provider, region, capabilities, addons), **kwargs)

    for option in (
        click.option(
            "--addon",
            "addons",
            multiple=True,
            metavar="NAME",
            help="An add-on that runs on the cluster, at the platform's version (repeatable; docs/addons.md) "
            "[default: as the cluster copied].",
        ),
        click.option(
            "--capability",
            "capabilities",
            multiple=True,
            type=click.Choice(cluster_enum("capabilities")),
            help="What runs on the cluster (repeatable) [default: as the cluster copied].",
        ),
        click.option("--region", default=None, help="Its region [default: as the cluster copied, same provider]."),
        click.option(
            "--provider",
            type=click.Choice(cluster_enum("provider")),
            default=None,
            help="Where it runs [default: as the cluster copied].",
        ),
        click.option(
            "--like",
            metavar="CLUSTER",
            default=None,
            shell_complete=complete_all_clusters,
            help="Copy provider, region, add-ons and capabilities from this cluster [default: the environment's first, "
            "else the platform's first].",
        ),
    ):
        command = option(command)
    return command


def _done(result: EditResult, fmt: str | None, dry_run: bool) -> None:
    finish_edit(result, fmt, dry_run=dry_run)


# --- genplat env ---------------------------------------------------------------------------------------


@click.group("env")
def env_command() -> None:
    """Add or remove environments of the platform."""


@env_command.command("add")
@click.argument("name")
@click.option("--cluster", "first", default=None, help="Name of its first cluster [default: NAME-1].")
@click.option("--description", default=None, help="What the environment is for.")
@_cluster_options
@_common
def env_add(
    name: str,
    first: str | None,
    description: str | None,
    cluster: ClusterOptions,
    project_dir: str | None,
    dry_run: bool,
    fmt: str | None,
) -> None:
    """Add environment NAME to the platform, with one cluster.

    The cluster copies the provider, region and capabilities of a cluster the platform has (--like,
    default the first), unless given; what it copied is printed. Tenants run in it once their
    spec.environments lists it (genplat add blueprints/tenants/T.yaml spec.environments '{name: NAME}').
    """
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import add_environment

    result = add_environment(_root(project_dir), name, cluster=first, description=description, options=cluster)
    _done(result, fmt, dry_run)


@env_command.command("remove")
@click.argument("name", shell_complete=complete_environments)
@_common
def env_remove(name: str, project_dir: str | None, dry_run: bool, fmt: str | None) -> None:
    """Remove environment NAME (and its clusters) from the platform; refused while a tenant runs in it."""
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import remove_environment

    _done(remove_environment(_root(project_dir), name), fmt, dry_run)


# --- genplat cluster -----------------------------------------------------------------------------------


@click.group("cluster")
def cluster_command() -> None:
    """Add or remove clusters of an environment."""


@cluster_command.command("add")
@click.argument("env", metavar="ENV", shell_complete=complete_environments)
@click.argument("name")
@_cluster_options
@_common
def cluster_add(
    env: str, name: str, cluster: ClusterOptions, project_dir: str | None, dry_run: bool, fmt: str | None
) -> None:
    """Add cluster NAME to environment ENV.

    It copies the provider, region and capabilities of a cluster the platform has (--like, default the
    environment's first) unless given; what it copied is printed. It gets its own bundle, out/ENV/NAME/.
    """
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import add_cluster

    _done(add_cluster(_root(project_dir), env, name, cluster), fmt, dry_run)


@cluster_command.command("remove")
@click.argument("name", shell_complete=complete_all_clusters)
@_common
def cluster_remove(name: str, project_dir: str | None, dry_run: bool, fmt: str | None) -> None:
    """Remove cluster NAME from its environment; refused while a tenant pins it."""
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import remove_cluster

    _done(remove_cluster(_root(project_dir), name), fmt, dry_run)


# --- genplat service -----------------------------------------------------------------------------------


@click.group("service")
def service_command() -> None:
    """Add or remove services of a tenant."""


@service_command.command("add")
@click.argument("tenant", shell_complete=complete_tenants)
@click.argument("name")
@click.argument("image")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="The port it serves on.")
@click.option(
    "--pipeline",
    default=None,
    shell_complete=complete_pipelines,
    help="A pipeline template of the platform that builds the image (needs --repository).",
)
@click.option("--repository", default=None, help="The Git repository the pipeline builds (https://…, git@…).")
@click.option("--revision", default=None, help="Branch, tag or commit to build [default: the template's, main].")
@_common
def service_add(
    tenant: str,
    name: str,
    image: str,
    port: int,
    pipeline: str | None,
    repository: str | None,
    revision: str | None,
    project_dir: str | None,
    dry_run: bool,
    fmt: str | None,
) -> None:
    """Add service NAME running IMAGE to tenant TENANT.

    It starts at the tenant tier's default requests and limits and 1–3 replicas; change them with
    genplat set. The image must come from a registry the platform allows.
    """
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import ServiceOptions, add_service

    options = ServiceOptions(port=port, pipeline=pipeline, repository=repository, revision=revision)
    _done(add_service(_root(project_dir), tenant, name, image, options), fmt, dry_run)


@service_command.command("remove")
@click.argument("tenant", shell_complete=complete_tenants)
@click.argument("name", shell_complete=complete_services)
@_common
def service_remove(tenant: str, name: str, project_dir: str | None, dry_run: bool, fmt: str | None) -> None:
    """Remove service NAME from tenant TENANT; refused while an event subscription sends to it."""
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import remove_tenant_item

    _done(remove_tenant_item(_root(project_dir), tenant, "services", name), fmt, dry_run)


# --- genplat resource ----------------------------------------------------------------------------------


@click.group("resource")
def resource_command() -> None:
    """Add or remove resources (offering instances) of a tenant."""


@resource_command.command("add")
@click.argument("tenant", shell_complete=complete_tenants)
@click.argument("name")
@click.argument("offering", shell_complete=complete_offerings)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter of the offering (repeatable).")
@_common
def resource_add(
    tenant: str,
    name: str,
    offering: str,
    params: tuple[str, ...],
    project_dir: str | None,
    dry_run: bool,
    fmt: str | None,
) -> None:
    """Order resource NAME of OFFERING for tenant TENANT.

    Parameters given with --param are written with their values; the offering's other parameters are
    written as comments (type, allowed values, default, description) to fill in later.
    """
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import add_resource

    given: dict[str, str] = {}
    for p in params:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--param {p!r}: write KEY=VALUE")
        given[key] = value
    _done(add_resource(_root(project_dir), tenant, name, offering, given), fmt, dry_run)


@resource_command.command("remove")
@click.argument("tenant", shell_complete=complete_tenants)
@click.argument("name", shell_complete=complete_resources)
@_common
def resource_remove(tenant: str, name: str, project_dir: str | None, dry_run: bool, fmt: str | None) -> None:
    """Remove resource NAME from tenant TENANT; refused while a service reads its connection details."""
    # deferred: the authoring package loads ruamel and the schemas; completion imports this module without them
    from genplat.authoring import remove_tenant_item

    _done(remove_tenant_item(_root(project_dir), tenant, "resources", name), fmt, dry_run)
