"""``genplat check``: check any manifests offline against Kubernetes/CRD schemas and the guardrail gate."""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

import click

from genplat.cli._common import format_option, project_option, report, resolve_project
from genplat.core.diagnostics import sort_diagnostics
from genplat.core.errors import FindingsError, UsageError
from genplat.core.kube import available_versions, default_version
from genplat.loader import blueprint_folder, find_project, load_project, output_folder

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
    # The project whose out/ is checked (no PATHS given): each bundle against its cluster's own
    # Kubernetes version and locked add-ons' CRDs, when the project has an add-on lock.
    project: Path | None = None
    version_given: bool = False


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
    per_cluster = per_cluster_paths(opts) if opts.project is not None else None
    if per_cluster is None:
        per_cluster = [(opts.paths, opts.kubernetes_version, ())]
    findings = []
    for paths, version, crds in per_cluster:
        findings += check(
            paths,
            kubernetes_version=version,
            crds=[*opts.crds, *crds],
            guardrails=guardrails,
            strict=opts.strict,
            kubeconform=opts.kubeconform,
        )
    return sort_diagnostics(findings)


def per_cluster_paths(opts: CheckOptions) -> list[tuple[tuple[Path, ...], str, tuple[Path, ...]]] | None:
    """A locked project's out/ split by bundle: (paths, Kubernetes version, CRD files) for each cluster's
    folder, then the rest of out/ as given. None when the project has no add-on lock (or does not
    resolve): out/ is then checked as any folder."""
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.addons import cluster_crds
    from genplat.resolver.model import resolve_platform  # deferred, as above
    from genplat.validation import validate  # deferred, as above

    assert opts.project is not None
    loaded = load_project(blueprint_folder(opts.project))
    if loaded.platform is None or loaded.addon_lock is None or any(d.is_error for d in validate(loaded)):
        return None
    platform = resolve_platform(loaded.platform, loaded.addon_lock)
    crds = cluster_crds(platform)
    out = output_folder(opts.project)
    groups: list[tuple[tuple[Path, ...], str, tuple[Path, ...]]] = []
    claimed: set[Path] = set()
    for cluster in platform.clusters:
        # The bundle, and the GitOps wiring that delivers it (applied on the same cluster).
        paths = [out / cluster.environment / cluster.name]
        paths += [out / "_gitops" / d / f"{cluster.environment}-{cluster.name}.yaml" for d in ("flux", "kapp")]
        paths = [p for p in paths if p.exists()]
        if paths:
            claimed.update(paths)
            version = opts.kubernetes_version if opts.version_given else cluster.kubernetes_version
            groups.append((tuple(paths), version, tuple(crds.get(cluster.bundle, ()))))
    rest = tuple(
        p
        for p in sorted(out.rglob("*"))
        if p.is_file()
        and p.suffix in (".yaml", ".yml", ".json")
        and not any(part.startswith(".") for part in p.relative_to(out).parts)
        and p not in claimed
        and not any(c in p.parents for c in claimed)
        and p.name != "genplat.lock.json"
    )
    if rest:
        groups.append((rest, opts.kubernetes_version, ()))
    return groups


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
    schemas and the CRDs given (CRDs found among PATHS count too); without PATHS, in a project with an
    add-on lock, each bundle of out/ against its cluster's Kubernetes version and the CRDs of the add-on
    versions it runs (as the build does). And against the guardrail rules that
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
    else:
        root = None
    opts = CheckOptions(
        paths,
        crds,
        kubernetes_version or default_version(),
        kubeconform,
        strict,
        blueprints,
        project=root,
        version_given=kubernetes_version is not None,
    )
    findings = execute(opts)
    raise SystemExit(report(findings, fmt, quiet_ok="no findings"))
