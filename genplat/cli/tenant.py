"""``genplat tenant new NAME``: a tenant blueprint from what the platform offers."""

from __future__ import annotations

import re

import click

from genplat.cli._common import format_option, project_option, report, resolve_project
from genplat.cli._complete import complete_environments, complete_resource_offering, complete_tiers
from genplat.core.errors import UsageError
from genplat.loader import blueprint_folder

_NAME = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


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


def check_name(name: str) -> None:
    """A tenant name is a DNS-1123 label (it names the file, namespaces and objects): else a usage error."""
    if _NAME.fullmatch(name) and len(name) <= 63:
        return
    fixed = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-").lstrip("0123456789-")[:63].rstrip("-")
    raise UsageError(
        f"{name!r} is not a valid tenant name: lower-case letters, digits and '-', starting with a letter and "
        "ending with a letter or digit, at most 63 characters",
        hint=f"for example {fixed!r}" if fixed else "for example 'shop'",
    )


@command.command("new")
@click.argument("name")
@project_option
@click.option("--tier", default=None, shell_complete=complete_tiers, help="The tier (default: the platform's first).")
@click.option(
    "--env",
    "envs",
    multiple=True,
    metavar="ENV",
    shell_complete=complete_environments,
    help="An environment to run in (repeatable; default: all).",
)
@click.option("--service", "services", multiple=True, metavar="NAME=IMAGE", help="A service to run (repeatable).")
@click.option(
    "--resource",
    "resources",
    multiple=True,
    metavar="NAME=OFFERING",
    shell_complete=complete_resource_offering,
    help="A resource to order (repeatable).",
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
    on any error nothing is written and the findings are shown on the lines it would have written (exit 1).
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.authoring import TenantRequest, new_errors, new_tenant_text, validate_with, write_file
    from genplat.loader.project import load_project  # deferred, as above

    check_name(name)
    blueprints = blueprint_folder(resolve_project(project_dir))
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
    added = new_errors(validate_with(blueprints), validate_with(blueprints, {target: data}))
    if added:
        report(added, fmt, sources={target: text})
        click.echo(
            f"{target} not written: the new tenant would not validate (the lines shown are what it would hold)",
            err=True,
        )
        raise SystemExit(1)
    write_file(target, data)
    click.echo(f"wrote {target}", err=True)
