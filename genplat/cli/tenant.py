"""``genplat tenant new NAME``: a tenant blueprint from what the platform offers."""

from __future__ import annotations

import click

from genplat.authoring import TenantRequest, new_errors, new_tenant_text, validate_with, write_file
from genplat.cli._common import format_option, project_option, report, resolve_project
from genplat.core.errors import UsageError
from genplat.loader import blueprint_folder
from genplat.loader.project import load_project


@click.group("tenant")
def command() -> None:
    """Create tenant blueprints."""


def _pairs(values: tuple[str, ...], what: str) -> tuple[tuple[str, str], ...]:
    out = []
    for v in values:
        name, sep, rest = v.partition("=")
        if not sep or not name or not rest:
            raise click.UsageError(f"{what} {v!r}: write NAME={'IMAGE' if what == '--service' else 'OFFERING'}")
        out.append((name, rest))
    return tuple(out)


@command.command("new")
@click.argument("name")
@project_option
@click.option("--tier", default=None, help="The tier (default: the platform's first).")
@click.option(
    "--env", "envs", multiple=True, metavar="ENV", help="An environment to run in (repeatable; default: all)."
)
@click.option("--service", "services", multiple=True, metavar="NAME=IMAGE", help="A service to run (repeatable).")
@click.option(
    "--resource", "resources", multiple=True, metavar="NAME=OFFERING", help="A resource to order (repeatable)."
)
@click.option("--description", default=None, help="Who the tenant is.")
@click.option("--force", is_flag=True, help="Replace the tenant's file if it exists.")
@format_option
def new(
    name: str,
    project_dir: str | None,
    tier: str | None,
    envs: tuple[str, ...],
    services: tuple[str, ...],
    resources: tuple[str, ...],
    description: str | None,
    force: bool,
    fmt: str | None,
) -> None:
    """Write blueprints/tenants/NAME.yaml, asking only for what the platform offers.

    Each offering a --resource orders has its parameters (type, allowed values, default,
    description) written as comments to fill in; each service starts at its tier's default
    requests and limits. The blueprint is validated with the whole project before it is written:
    on any error nothing is written (exit 1).
    """
    root = resolve_project(project_dir)
    blueprints = blueprint_folder(root)

    project = load_project(blueprints)
    target = blueprints / "tenants" / f"{name}.yaml"
    if target.exists() and not force:
        raise UsageError(f"{target} exists", hint="pass --force to replace it, or use genplat set to change it")
    request = TenantRequest(
        name=name,
        tier=tier,
        environments=envs,
        services=_pairs(services, "--service"),
        resources=_pairs(resources, "--resource"),
        description=description,
    )
    text = new_tenant_text(project, request)
    data = text.encode("utf-8")
    before = validate_with(blueprints)
    after = validate_with(blueprints, {target: data})
    added = new_errors(before, after)
    if added:
        report(added, fmt)
        click.echo(f"{target} not written: the new tenant would not validate", err=True)
        raise SystemExit(1)
    write_file(target, data)
    click.echo(f"wrote {target}", err=True)
