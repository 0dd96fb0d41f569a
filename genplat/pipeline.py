"""The compile on one screen: load → validate → resolve → render → check → write → package → publish.

This module only directs the stages (as mypy's ``build.py`` says of itself); what each stage does is
in its package. :func:`render` runs everything up to the files of ``out/`` in memory, with the
bundles' OCI digests and the GitOps wiring pinned to them; :func:`build` writes or compares those
files; :func:`check` checks any manifests; :func:`package` turns ``out/`` into OCI artifacts. Only
:func:`build` touches the file system, and only at its end, through :mod:`genplat.output`.
"""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

from genplat.addons import FetchOptions, cluster_crds, declared_crds
from genplat.checks import make_build_checker
from genplat.checks.checker import check_paths
from genplat.checks.composed import check_orders
from genplat.checks.compositions import check_offerings
from genplat.checks.guardrails import GuardrailContext
from genplat.checks.providers import blueprint_crd_paths, provider_schemas
from genplat.core import parallel
from genplat.core.diagnostics import Diagnostic, has_errors, tidy
from genplat.core.kube import default_version
from genplat.core.secrets import Allowances, allowances_from
from genplat.core.timing import Timings
from genplat.loader.project import Project, blueprint_folder, load_project, output_folder, project_folder
from genplat.output.fingerprint import output_matches, project_fingerprint, read_state, save_state
from genplat.output.lockfile import LOCKFILE_NAME, make_lockfile, secret_allowances_for
from genplat.output.owned import check_output_folder
from genplat.output.tree import diff_tree, owned_by_build, recover_output, write_tree
from genplat.packaging.bundles import Packaged, package_out_dir
from genplat.packaging.pins import pin_bundles
from genplat.rendering.bundles import PARALLEL_MIN_TENANTS as PARALLEL_MIN_TENANTS
from genplat.rendering.bundles import render_bundles
from genplat.rendering.chunks import Renderer
from genplat.rendering.composed import ComposedXR, compose_bundle
from genplat.rendering.files import RenderedFiles
from genplat.rendering.templates import load_templates
from genplat.resolver.model import PlatformModel, TenantTarget, resolve, resolve_platform
from genplat.validation import validate as validate_blueprints

SPLITS = ("per-tenant", "per-object")


@dataclasses.dataclass(slots=True)
class RenderOptions:
    project: Path  # a project folder, its blueprints/ folder, or a folder inside them
    split: str = "per-tenant"
    run_checks: bool = True
    max_file_size: int = 1024 * 1024
    crds: tuple[Path, ...] = ()  # CRD files or folders, added to the platform blueprint's crds:
    jobs: int | None = None  # worker processes; None: one per CPU (at most 8)
    # How the locked add-ons' CRDs are fetched when the cache lacks them (offline: refuse instead).
    addons: FetchOptions = dataclasses.field(default_factory=FetchOptions)


@dataclasses.dataclass(slots=True)
class BuildOptions(RenderOptions):
    out_dir: Path | None = None  # default: <project>/out, beside blueprints/
    check_only: bool = False  # compare with out/ and write nothing
    # Stop early when the inputs are those of the last build and out/ is as it left it.
    incremental: bool = True
    # Told once when another build holds the output folder's lock (this one then waits for it).
    on_wait: t.Callable[[str], None] | None = None


@dataclasses.dataclass(slots=True)
class RenderResult:
    diagnostics: list[Diagnostic]
    # Every file of out/: "<env>/<cluster>/…" bundle files, "_gitops/…" wiring and the lock file.
    files: t.Mapping[str, bytes] = dataclasses.field(default_factory=dict)
    objects: int = 0
    bundles: list[str] = dataclasses.field(default_factory=list)
    # Seconds per phase. With worker processes, render/check/emit are summed over workers (CPU time).
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


@dataclasses.dataclass(slots=True)
class BuildResult(RenderResult):
    out_dir: Path | None = None
    written: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)
    unchanged: int = 0
    up_to_date_by_fingerprint: bool = False  # nothing was rendered: inputs and out/ matched the last build
    stale: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)
    extra: list[str] = dataclasses.field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not (self.stale or self.missing or self.extra)


def render(options: RenderOptions) -> RenderResult:
    """load → validate → resolve → render → check, then the bundles' digests and pinned wiring: the
    files a build writes, in memory. Nothing is written."""
    timings = Timings()
    result = RenderResult(diagnostics=[], timings=timings.seconds)
    jobs = options.jobs or parallel.default_jobs()
    with timings.phase("load"):
        project = load_project(options.project, max_file_size=options.max_file_size, jobs=jobs)
    with timings.phase("validate"):
        findings = validate_blueprints(project)
    result.diagnostics = findings
    if has_errors(findings):
        return result
    with timings.phase("resolve"):
        platform, bundles = resolve(project)
    display_root = project_folder(project.root)
    templates, template_findings = load_templates(project.templates_dir, display_root)
    findings.extend(template_findings)
    if options.crds:
        platform = dataclasses.replace(platform, crds=[*platform.crds, *(str(p.resolve()) for p in options.crds)])
    checker = None
    if options.run_checks:
        with timings.phase("addons"):
            crds = cluster_crds(platform, options.addons)  # each cluster's locked add-ons: their CRD files
        with timings.phase("compositions"):
            findings.extend(
                compositions(
                    platform, bundles, report_unchecked=True, cluster_crds=crds, declared=declared_crds(platform)
                )
            )
        checker = make_build_checker(platform, display_root, bundles=bundles, cluster_crds=crds)
    renderer = Renderer(platform, templates, split=options.split, display_root=display_root, checker=checker)
    rendered = render_bundles(renderer, bundles, jobs=jobs, timings=timings, findings=findings)
    result.objects, result.bundles = rendered.objects, list(bundles)
    result.diagnostics = tidy(findings)
    if has_errors(result.diagnostics):
        return result
    by_bundle = {b: rendered.files.bundle_view(b) for b in bundles}
    with timings.phase("package"):
        pinned = pin_bundles(platform, by_bundle, rendered.images, rendered.access, jobs)
    result.diagnostics = tidy([*findings, *pinned.warnings])
    files: RenderedFiles = rendered.files
    files.update(pinned.wiring)
    files[LOCKFILE_NAME] = make_lockfile(
        by_bundle,
        oci_digests=pinned.digests,
        other_files=pinned.wiring,
        secret_allowances=allowances_from(platform.secrets).values,
    )
    result.files = files
    return result


def validate(project: Project, *, crds: t.Sequence[Path] = (), addons: FetchOptions | None = None) -> list[Diagnostic]:
    """Every finding ``genplat validate`` reports: the blueprints (schemas, cross-file, guardrails on
    values), then what the offerings' Compositions compose, against the providers' CRDs (each cluster's
    locked add-ons, fetched into the cache as ``addons`` says when it lacks them; the platform
    blueprint's ``crds:`` and ``crds``), and every tenant order composed with its own values. The
    orders are composed once the blueprints have no errors; the offerings once the platform has none."""
    findings = validate_blueprints(project)
    if project.platform is None or any(d.is_error and d.file == project.platform.file for d in findings):
        return findings
    bundles: dict[str, list[TenantTarget]] | None = None
    if has_errors(findings):
        platform = resolve_platform(project.platform)
    else:
        platform, bundles = resolve(project)
    if crds:
        platform = dataclasses.replace(platform, crds=[*platform.crds, *(str(Path(p).resolve()) for p in crds)])
    own = cluster_crds(platform, addons)
    return tidy([*findings, *compositions(platform, bundles, cluster_crds=own, declared=declared_crds(platform))])


def compositions(
    platform: PlatformModel,
    bundles: t.Mapping[str, t.Sequence[TenantTarget]] | None,
    *,
    report_unchecked: bool = False,
    cluster_crds: t.Mapping[str, t.Sequence[Path]] | None = None,
    declared: t.Sequence[Path] = (),
) -> list[Diagnostic]:
    """What the offerings compose (at their lines) and, given the placements, every order composed with
    the tenant's values (at the tenant's lines), against each cluster's provider schemas: its locked
    add-ons' CRDs (``cluster_crds``) and crds:/--crds."""
    schemas = provider_schemas(
        platform, crd_paths=blueprint_crd_paths(platform), cluster_crds=cluster_crds, declared=declared
    )
    outcome = check_offerings(platform, schemas, report_unchecked=report_unchecked)
    found = list(outcome.diagnostics)
    if bundles is not None:
        found += check_orders(platform, bundles, schemas, broken=outcome.broken, broken_patches=outcome.broken_patches)
    return found


@dataclasses.dataclass(slots=True)
class ComposedResult:
    """What every tenant order composes (:func:`compose`), or the findings that stopped it."""

    diagnostics: list[Diagnostic]
    orders: list[ComposedXR] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def compose(options: RenderOptions) -> ComposedResult:
    """load → validate (compositions included) → resolve → compose: each tenant order's composed
    resources, as function-patch-and-transform makes them, per bundle. Nothing is written."""
    project = load_project(options.project, max_file_size=options.max_file_size)
    findings = validate(project, crds=options.crds, addons=options.addons)
    if has_errors(findings) or project.platform is None:
        return ComposedResult(findings)
    platform, bundles = resolve(project)
    orders = [item for targets in bundles.values() for item in compose_bundle(platform, targets)]
    return ComposedResult(findings, orders)


def build(options: BuildOptions) -> BuildResult:
    """:func:`render`, then write ``out/`` atomically (or, with ``check_only``, compare it)."""
    given = Path(options.project)
    out_dir = options.out_dir or output_folder(given if given.is_dir() else given.parent)
    # Before anything reads out/: refuse a folder genplat must not write (symlink, someone else's),
    # and finish a commit an earlier run could not (kill -9, power loss).
    check_output_folder(out_dir, writing=not options.check_only)
    recover_output(out_dir, on_wait=options.on_wait)
    timings = Timings()
    fingerprint = None
    if options.incremental:
        with timings.phase("fingerprint"):
            fingerprint = _fingerprint(options)
            known = read_state(out_dir, fingerprint) if fingerprint else None
            if known is not None and output_matches(out_dir, known, owned_by_build):
                return BuildResult(
                    diagnostics=[],
                    out_dir=out_dir,
                    timings=timings.seconds,
                    up_to_date_by_fingerprint=True,
                    unchanged=len(known),
                )
    rendered = render(options)
    timings.add(rendered.timings)
    result = BuildResult(
        diagnostics=rendered.diagnostics,
        files=rendered.files,
        objects=rendered.objects,
        bundles=rendered.bundles,
        timings=timings.seconds,
        out_dir=out_dir,
    )
    if not rendered.ok or not rendered.files:
        return result
    files = rendered.files
    with timings.phase("write"):
        if options.check_only:
            diff = diff_tree(out_dir, files, managed=owned_by_build)
            result.stale, result.missing, result.extra = list(diff.stale), list(diff.missing), list(diff.extra)
        else:

            def record() -> None:
                if fingerprint is not None:
                    save_state(out_dir, fingerprint, files)

            written = write_tree(out_dir, files, managed=owned_by_build, on_wait=options.on_wait, after_commit=record)
            result.written, result.removed = list(written.written), list(written.removed)
            result.unchanged = len(written.unchanged)
    return result


def check(
    paths: t.Sequence[Path],
    *,
    kubernetes_version: str | None = None,
    crds: t.Sequence[Path] = (),
    guardrails: GuardrailContext | None = None,
    strict: bool = False,
    kubeconform: bool = False,
) -> list[Diagnostic]:
    """Check any manifests (files or folders) against the Kubernetes and CRD schemas and the guardrails.
    Without ``guardrails``, values a build declared not secret are read from the lock file of the out/
    folder the paths are in."""
    allowances = secret_allowances_for(paths) if guardrails is None else Allowances()
    return check_paths(
        list(paths),
        kubernetes_version=kubernetes_version or default_version(),
        crd_paths=list(crds),
        guardrails=guardrails,
        strict=strict,
        use_kubeconform=kubeconform,
        allowances=allowances,
    )


def package(
    out_dir: Path, *, bundle_format: t.Literal["auto", "flux", "imgpkg"] = "auto", provenance: bool = False
) -> Packaged:
    """Every bundle of a built ``out/`` as an OCI artifact, its digest checked against the lock file.
    Write them with :func:`genplat.packaging.write_layout`; push them with :mod:`genplat.publish`."""
    return package_out_dir(out_dir, fmt=bundle_format, provenance=provenance)


def _fingerprint(options: BuildOptions) -> str | None:
    given = Path(options.project)
    blueprints = blueprint_folder(given) if given.is_dir() else given.parent
    key = {"split": options.split, "checks": options.run_checks, "max": options.max_file_size}
    return project_fingerprint(blueprints, crds=options.crds, options=key, max_file_size=options.max_file_size)
