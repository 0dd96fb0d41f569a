"""``genplat check``: check any manifests offline against Kubernetes/CRD schemas and the guardrail gate."""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

import click

from genplat.cli._common import format_option, project_option, report, resolve_project
from genplat.core.errors import FindingsError, UsageError
from genplat.core.kube import available_versions, default_version
from genplat.loader import find_project, load_project, output_folder

if t.TYPE_CHECKING:
    from genplat.checks.guardrails import GuardrailContext


@dataclasses.dataclass(frozen=True)
class CheckOptions:
    """Parsed command line; the library never sees click."""

    paths: tuple[Path, ...]
    crds: tuple[Path, ...]
    kubernetes_version: str
    kubeconform: bool
    strict: bool
    blueprints: Path | None


def guardrails_from_blueprints(directory: Path) -> GuardrailContext:
    """All guardrail rules apply when the blueprints are at hand: settings from the platform blueprint."""
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.checks.build import guardrail_context, namespaces_of
    from genplat.resolver.model import resolve  # deferred, as above
    from genplat.validation import validate  # deferred, as above

    project = load_project(str(directory))
    findings = [d for d in validate(project) if d.is_error]
    if findings:
        raise FindingsError(
            findings, "the blueprints have errors; fix them (see `genplat validate`) before checking with them"
        )
    if project.platform is None:
        raise UsageError(f"no platform blueprint under {directory}", hint="point --blueprints at the blueprints folder")
    platform, targets = resolve(project)
    by_placement, levels = namespaces_of(platform, targets)
    owned: dict[str, set[str]] = {}
    for (name, _bundle), namespaces in by_placement.items():
        owned.setdefault(name, set()).update(namespaces)
    return dataclasses.replace(
        guardrail_context(platform),
        tenant_namespaces=owned,
        namespace_pod_security=levels,
        build_namespaces=frozenset(levels),
    )


def execute(opts: CheckOptions) -> list:  # type: ignore[type-arg]
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.pipeline import check

    guardrails = guardrails_from_blueprints(opts.blueprints) if opts.blueprints is not None else None
    return check(
        opts.paths,
        kubernetes_version=opts.kubernetes_version,
        crds=opts.crds,
        guardrails=guardrails,
        strict=opts.strict,
        kubeconform=opts.kubeconform,
    )


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@project_option
@click.option(
    "--crds",
    "crds",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="CRD file or folder to check custom resources against (repeatable).",
)
@click.option(
    "--kubernetes-version",
    default=None,
    metavar="X.Y",
    help=f"Kubernetes schemas to check against (shipped: {available_versions()[0]}–{available_versions()[-1]}; "
    "default: the newest).",
)
@click.option("--kubeconform", is_flag=True, help="Delegate schema checks to the kubeconform binary (must be on PATH).")
@click.option("--strict", is_flag=True, help="Objects with no known schema are errors, not warnings.")
@click.option(
    "--blueprints",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Blueprints folder: apply every guardrail rule with the platform's settings.",
)
@format_option
def command(
    paths: tuple[Path, ...],
    project_dir: str | None,
    crds: tuple[Path, ...],
    kubernetes_version: str | None,
    kubeconform: bool,
    strict: bool,
    blueprints: Path | None,
    fmt: str | None,
) -> None:
    """Check manifests in PATHS (files or folders; default: the project's out/) offline.

    The project is -C DIR or found upwards from the working folder, as for every command.

    \b
    Reads multi-document YAML, JSON and *List kinds. Checks every object against the Kubernetes
    schemas and the CRDs given (CRDs found among PATHS count too), and against the guardrail rules that
    need no blueprint: plaintext Secrets, cluster-admin or wildcard RBAC, privileged, host-namespace or
    root containers, :latest or untagged images. With --blueprints every rule applies. Every string is
    also checked for secret values (docs/rules.md, "Secret values"); values a build declared not secret
    (out/genplat.lock.json) pass.
    Exit codes: 0 clean, 1 findings, 2 usage error (or kubeconform asked for but missing).
    """
    if not paths:
        root = resolve_project(project_dir) if project_dir or find_project(Path(".")) else None
        default = output_folder(root) if root is not None else Path("out")
        if not default.exists():
            raise click.UsageError(f"no PATHS given and no {default}/ folder (run `genplat build` first)")
        paths = (default,)
    opts = CheckOptions(paths, crds, kubernetes_version or default_version(), kubeconform, strict, blueprints)
    findings = execute(opts)
    raise SystemExit(report(findings, fmt, quiet_ok="no findings"))
