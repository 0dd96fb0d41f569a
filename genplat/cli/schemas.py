"""``genplat schemas export DIR``: write converted CRD (and Kubernetes) schemas for kubeconform users."""

from __future__ import annotations

from pathlib import Path

import click

from genplat.cli._choices import CRD_TEMPLATE
from genplat.cli._common import report
from genplat.core.kube import default_version


@click.group("schemas")
def command() -> None:
    """JSON Schemas genplat checks with, in layouts other tools read."""


@command.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--crds",
    "crds",
    multiple=True,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="CRD file or folder (repeatable).",
)
@click.option(
    "--kubernetes",
    "with_kubernetes",
    is_flag=True,
    help="Also write standalone schemas of every built-in Kubernetes kind.",
)
@click.option(
    "--kubernetes-version",
    default=None,
    metavar="X.Y",
    help="Kubernetes schemas to write (default: the newest shipped).",
)
def export(directory: Path, crds: tuple[Path, ...], with_kubernetes: bool, kubernetes_version: str | None) -> None:
    """Write strict schemas converted from CRD YAML into DIRECTORY.

    \b
    Layout: DIRECTORY/<group>/<kind>_<version>.json, for
      kubeconform -schema-location 'DIRECTORY/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'
    With --kubernetes also DIRECTORY/v<X.Y>.0-standalone-strict/<kind>-<group>-<version>.json, for
      kubeconform -strict -kubernetes-version X.Y.0 -schema-location DIRECTORY
    """
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.checks.crd_schema import load_crds
    from genplat.checks.export import export_crd_schemas, export_kubernetes_schemas  # deferred, as above
    from genplat.checks.kubernetes import KubernetesSchemas  # deferred, as above

    crd_set = load_crds(list(crds))
    if any(d.is_error for d in crd_set.diagnostics):
        raise SystemExit(report(crd_set.diagnostics, None))
    written = export_crd_schemas(crd_set, directory)
    click.echo(f"wrote {len(written)} CRD schema(s) to {directory}", err=True)
    click.echo(f"  kubeconform -schema-location '{directory}/{CRD_TEMPLATE}'", err=True)
    if with_kubernetes:
        k8s = KubernetesSchemas(kubernetes_version or default_version())
        n = len(export_kubernetes_schemas(k8s, directory))
        click.echo(f"wrote {n} Kubernetes {k8s.version} schema(s)", err=True)
        click.echo(
            f"  kubeconform -strict -kubernetes-version {k8s.version}.0 -schema-location '{directory}'", err=True
        )
