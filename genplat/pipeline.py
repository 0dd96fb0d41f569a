"""The compile on one screen: load → validate → resolve → render → check → write.

Render, check and emit run a chunk of tenants at a time, in worker processes when there is enough
work (``jobs``); packaging computes every bundle's OCI digest before anything is written, so the
GitOps wiring in ``out/_gitops/`` is pinned offline. Only :func:`build` touches the file system,
and only at its end, through :mod:`genplat.output.tree`.
"""

from __future__ import annotations

import dataclasses
import time
import typing as t
from pathlib import Path

from genplat.core import parallel as _parallel
from genplat.core.diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics
from genplat.core.errors import GenplatError
from genplat.render.emit import dump_documents
from genplat.render.files import RenderedFiles
from genplat.loader.project import Project, find_blueprint_root, load_project
from genplat.render.chunks import CHUNK, ChunkResult, Renderer
from genplat.resolver.model import PlatformModel, TenantTarget, resolve
from genplat.validation.blueprints import validate
from genplat.render.templates import load_templates

SPLITS = ("per-tenant", "per-object")
LOCK_FILE = "genplat.lock.json"
# Fewer tenant placements than this render in process: forking would cost more than it saves.
PARALLEL_MIN_TENANTS = 2 * CHUNK


@dataclasses.dataclass(slots=True)
class BuildOptions:
    project: Path
    out_dir: Path | None = None  # default: <project>/out, beside blueprints/
    check_only: bool = False  # compare with out/ and write nothing
    split: str = "per-tenant"
    run_checks: bool = True
    max_file_size: int = 1024 * 1024
    crds: tuple[Path, ...] = ()  # CRD files or folders, added to the platform blueprint's crds:
    # Stop early when the inputs are those of the last build and out/ is as it left it.
    incremental: bool = True
    jobs: int | None = None  # worker processes; None: one per CPU (at most 8)
    # Told once when another build holds the output folder's lock (this one then waits for it).
    on_wait: t.Callable[[str], None] | None = None


@dataclasses.dataclass(slots=True)
class BuildResult:
    diagnostics: list[Diagnostic]
    out_dir: Path | None = None
    files: t.Mapping[str, bytes] = dataclasses.field(default_factory=dict)
    objects: int = 0
    bundles: list[str] = dataclasses.field(default_factory=list)
    # Seconds per phase. With worker processes, render/check/emit are summed over workers (CPU time).
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    written: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)
    unchanged: int = 0
    up_to_date_by_fingerprint: bool = False  # nothing was rendered: inputs and out/ matched the last build
    stale: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)
    extra: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def up_to_date(self) -> bool:
        return not (self.stale or self.missing or self.extra)


class _Timer:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    def phase(self, name: str) -> _Phase:
        return _Phase(self.timings, name)

    def add(self, timings: t.Mapping[str, float]) -> None:
        for name, seconds in timings.items():
            self.timings[name] = self.timings.get(name, 0.0) + seconds


class _Phase:
    def __init__(self, timings: dict[str, float], name: str) -> None:
        self.timings, self.name = timings, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings[self.name] = self.timings.get(self.name, 0.0) + time.perf_counter() - self.start


def default_out_dir(project: Project) -> Path:
    root = project.root
    return (root.parent if root.name == "blueprints" else root) / "out"


def build(options: BuildOptions) -> BuildResult:
    timings: dict[str, float] = {}
    timer = _Timer(timings)
    jobs = options.jobs or _parallel.default_jobs()
    fingerprint = None
    from genplat.output.tree import recover_output
    from genplat.output.owned import check_output_folder

    # Before anything reads out/: refuse a folder genplat must not write (symlink, someone else's),
    # and finish a commit an earlier run could not (kill -9, power loss).
    planned_out = _planned_out_dir(options)
    check_output_folder(planned_out, writing=not options.check_only)
    recover_output(planned_out, on_wait=options.on_wait)
    if options.incremental:
        from genplat.output.fingerprint import output_matches, read_state

        with timer.phase("fingerprint"):
            fingerprint, out_dir = _fingerprint(options)
            known = read_state(out_dir, fingerprint) if fingerprint else None
            if known is not None and output_matches(out_dir, known, _managed):
                return BuildResult(diagnostics=[], out_dir=out_dir, timings=timings, up_to_date_by_fingerprint=True,
                                   unchanged=len(known))
    with timer.phase("load"):
        project = load_project(options.project, max_file_size=options.max_file_size, jobs=jobs)
    with timer.phase("validate"):
        findings = validate(project)
    result = BuildResult(diagnostics=findings, timings=timings)
    if has_errors(findings):
        return result
    out_dir = options.out_dir or default_out_dir(project)
    result.out_dir = out_dir
    with timer.phase("resolve"):
        platform, bundles = resolve(project)
    display_root = project.root.parent if project.root.name == "blueprints" else project.root
    templates, template_findings = load_templates(project.templates_dir, display_root)
    findings.extend(template_findings)
    if options.crds:
        platform = dataclasses.replace(platform, crds=[*platform.crds, *(str(p.resolve()) for p in options.crds)])
    checker = _make_checker(platform, display_root, bundles) if options.run_checks else None
    renderer = Renderer(platform, templates, split=options.split, display_root=display_root, checker=checker)
    files, images, objects, access = _render(renderer, bundles, timer, findings, jobs)
    result.objects = objects
    result.bundles = list(bundles)
    result.diagnostics = _tidy(findings)
    if has_errors(result.diagnostics):
        return result
    from genplat.output.lockfile import build_lock

    by_bundle = {b: files.bundle_view(b) for b in bundles}
    with timer.phase("package"):
        digests, gitops, warnings = _package(platform, by_bundle, images, access, jobs)
    findings.extend(warnings)
    result.diagnostics = _tidy(findings)
    files.update(gitops)
    files[LOCK_FILE] = build_lock(by_bundle, oci_digests=digests, other_files=gitops)
    result.files = files
    from genplat.output.tree import diff_tree, write_tree

    with timer.phase("write"):
        if options.check_only:
            diff = diff_tree(out_dir, files, managed=_managed)
            result.stale, result.missing, result.extra = list(diff.stale), list(diff.missing), list(diff.extra)
        else:
            def record() -> None:
                if fingerprint is not None:
                    from genplat.output.fingerprint import save_state

                    save_state(out_dir, fingerprint, files)

            written = write_tree(out_dir, files, managed=_managed, on_wait=options.on_wait, after_commit=record)
            result.written, result.removed, result.unchanged = list(written.written), list(written.removed), len(written.unchanged)
    return result


def _render(renderer: Renderer, bundles: dict[str, list[TenantTarget]], timer: _Timer, findings: list[Diagnostic],
            jobs: int) -> tuple[RenderedFiles, dict[str, list[str]], int, dict[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]]]:
    """Every bundle's files. Platform objects render first, in process, so the checker's one-time notes
    and the CRDs it derives from rendered XRDs exist before any worker forks."""
    contexts = {bundle: renderer.context(bundle, tenants) for bundle, tenants in bundles.items()}
    platform_parts = {bundle: renderer.platform_chunk(ctx) for bundle, ctx in contexts.items()}
    work = [(bundle, start) for bundle, tenants in bundles.items() for start in range(0, len(tenants), CHUNK)]
    total = sum(len(tenants) for tenants in bundles.values())
    chunk_jobs = jobs if total >= PARALLEL_MIN_TENANTS else 1
    workers = _parallel.parallel(chunk_jobs, work)
    files = RenderedFiles()
    images: dict[str, set[str]] = {bundle: set() for bundle in bundles}
    patterns: dict[str, set[str]] = {bundle: set() for bundle in bundles}
    kinds: dict[str, set[tuple[str, str]]] = {bundle: set() for bundle in bundles}
    role_refs: dict[str, set[tuple[str, str]]] = {bundle: set() for bundle in bundles}
    shared: dict[str, list[t.Any]] = {bundle: [] for bundle in bundles}
    names: dict[str, list[str]] = {bundle: [] for bundle in bundles}
    objects = 0

    def fold(bundle: str, part: ChunkResult) -> None:
        nonlocal objects
        timer.add(part.timings)
        findings.extend(part.findings)
        images[bundle] |= part.images
        patterns[bundle] |= part.patterns
        kinds[bundle] |= part.kinds
        role_refs[bundle] |= part.role_refs
        shared[bundle].extend(part.shared)
        objects += part.objects
        for path, data in part.files:
            names[bundle].append(path)
            if part.compressed:
                files.set_compressed(f"{bundle}/{path}", data)
            else:
                files[f"{bundle}/{path}"] = data

    for bundle, part in platform_parts.items():
        fold(bundle, part)
    started = time.perf_counter()
    state = {"renderer": renderer, "contexts": contexts, "compress": workers}
    for (bundle, _), part in zip(work, _parallel.fork_imap(_tenant_chunk, work, jobs=chunk_jobs, shared=state)):
        fold(bundle, part)
    wall = time.perf_counter() - started
    if chunk_jobs > 1:
        timer.timings["render-wall"] = wall
    with timer.phase("emit"):
        for bundle in bundles:
            by_file: dict[str, list[t.Any]] = {}
            for o in shared[bundle]:
                by_file.setdefault(o.file or "platform/other.yaml", []).append(o)
            for file, objs in sorted(by_file.items()):
                for path, data in renderer.emit(file, objs):
                    names[bundle].append(path)
                    files[f"{bundle}/{path}"] = data
            for path, data in bundle_build_files(names[bundle]).items():
                files[f"{bundle}/{path}"] = data
            cluster = renderer.context(bundle, []).cluster
            if cluster.gitops == "kapp-controller":
                for path, data in kapp_bundle_files(images[bundle], patterns[bundle]).items():
                    files[f"{bundle}/{path}"] = data
    return files, {b: sorted(i) for b, i in images.items()}, objects, {b: (kinds[b], role_refs[b]) for b in bundles}


def bundle_build_files(names: t.Iterable[str]) -> dict[str, bytes]:
    """One kustomization.yaml per layer folder (what each Flux Kustomization builds) and one at the
    bundle root naming both layers (for plain ``kustomize build``)."""
    from genplat.render.delivery import LAYERS

    def kustomization(resources: list[str]) -> bytes:
        return dump_documents([(None, {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                                       "resources": resources})]).encode("utf-8")

    out = {"kustomization.yaml": kustomization(list(LAYERS))}
    for layer in LAYERS:
        out[f"{layer}/kustomization.yaml"] = kustomization(
            sorted(n.split("/", 1)[1] for n in names if n.split("/", 1)[0] == layer))
    return out


def kapp_bundle_files(images: t.Iterable[str], patterns: t.Iterable[str]) -> dict[str, bytes]:
    """kbld's and kapp's configuration, beside the layers of a kapp-delivered bundle (the App's ytt step
    passes them on; kbld and kapp consume them and deploy neither)."""
    from genplat.packaging.kapp import kapp_config, kbld_config

    return {"kbld-config.yaml": dump_documents([(None, kbld_config(patterns))]).encode("utf-8"),
            "kapp-config.yaml": dump_documents([(None, kapp_config())]).encode("utf-8")}


def _tenant_chunk(item: tuple[str, int]) -> ChunkResult:
    bundle, start = item
    shared = _parallel.state()
    ctx = shared["contexts"][bundle]
    part = t.cast(ChunkResult, shared["renderer"].tenant_chunk(ctx, ctx.tenants[start:start + CHUNK]))
    return part.compress() if shared["compress"] else part


def _tidy(findings: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted, without repeats: chunks checked apart each note a kind they cannot validate."""
    seen: set[tuple[t.Any, ...]] = set()
    out = []
    for d in findings:
        key: tuple[t.Any, ...] = (d.rule, d.message.split(" (", 1)[0]) if d.rule == "schema-not-validated" else \
            (d.rule, d.file, d.line, d.column, d.path, d.message, d.object)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return sort_diagnostics(out)


def _package(platform: PlatformModel, by_bundle: t.Mapping[str, t.Mapping[str, bytes]], images: dict[str, list[str]],
             access: t.Mapping[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]], jobs: int) -> tuple[dict[str, dict[str, str]], dict[str, bytes], list[Diagnostic]]:
    """OCI digests of every bundle, known before any push, and the GitOps wiring pinned to them.

    Each cluster gets the wiring of its own controller (``gitops`` in the platform blueprint, else
    whichever of flux / kapp-controller it has): out/_gitops/flux/<env>-<cluster>.yaml or
    out/_gitops/kapp/<env>-<cluster>.yaml. The digests are what ``genplat package`` produces.
    """
    from genplat.packaging.gitops import render_gitops

    work = [(c.bundle, fmt) for c in platform.clusters for fmt in ("flux", "imgpkg")]
    size = sum(len(v) for v in by_bundle.values())
    results = _parallel.fork_map(_bundle_digest, work, jobs=jobs if size >= PARALLEL_MIN_TENANTS else 1,
                                 shared={"files": by_bundle, "images": images})
    digest_of = dict(zip(work, results))
    digests: dict[str, dict[str, str]] = {}
    wiring: dict[str, dict[str, str]] = {"flux": {}, "imgpkg": {}}
    warnings: list[Diagnostic] = []
    for cluster in platform.clusters:
        name = f"{cluster.environment}-{cluster.name}"
        flux, _ = digest_of[(cluster.bundle, "flux")]
        imgpkg, notes = digest_of[(cluster.bundle, "imgpkg")]
        digests[cluster.bundle] = {"flux": flux, "imgpkg": imgpkg}
        if cluster.gitops == "flux":
            wiring["flux"][name] = flux
        elif cluster.gitops == "kapp-controller":
            wiring["imgpkg"][name] = imgpkg
            for w in notes:
                warnings.append(Diagnostic(rule="imgpkg-image-not-pinned", message=w, file=platform.blueprint.file,
                                           severity=Severity.WARNING, object=cluster.bundle,
                                           hint="pin images by digest (repo:tag@sha256:…) so imgpkg can relocate them"))
    out: dict[str, bytes] = {}
    bundle_of = {f"{c.environment}-{c.name}": c.bundle for c in platform.clusters}
    for fmt, pinned in wiring.items():
        if not pinned:
            continue
        rendered = render_gitops(pinned, registry=platform.registry, insecure=platform.registry_insecure, fmt=fmt,  # type: ignore[arg-type]
                                 access={n: access[bundle_of[n]] for n in pinned if bundle_of[n] in access},
                                 verify_key=platform.signing_public_key)
        for path, objs in sorted(rendered.items()):
            out[f"_gitops/{path}"] = dump_documents((None, o) for o in objs).encode("utf-8")
    return digests, out, warnings


def _bundle_digest(item: tuple[str, str]) -> tuple[str, tuple[str, ...]]:
    from genplat.packaging.artifact import bundle_digest

    bundle, fmt = item
    shared = _parallel.state()
    images = shared["images"].get(bundle, []) if fmt == "imgpkg" else ()
    return bundle_digest(shared["files"][bundle], fmt=fmt, images=images)  # type: ignore[arg-type]


def _planned_out_dir(options: BuildOptions) -> Path:
    """The output folder a build of ``options`` writes, known before the project is loaded."""
    if options.out_dir is not None:
        return options.out_dir
    given = Path(options.project)
    root = find_blueprint_root(given) if given.is_dir() else given.parent
    return (root.parent if root.name == "blueprints" else root) / "out"


def _fingerprint(options: BuildOptions) -> tuple[str | None, Path]:
    """The inputs' fingerprint and the output folder, without loading the project."""
    from genplat.output.fingerprint import input_fingerprint
    from genplat.loader.safe_yaml import load_documents

    from genplat.loader.read import read_input

    given = Path(options.project)
    root = find_blueprint_root(given) if given.is_dir() else given.parent
    out_dir = _planned_out_dir(options)
    crds = list(options.crds)
    platform_file = root / "platform.yaml"
    try:
        docs, _ = load_documents(read_input(platform_file, max_bytes=options.max_file_size), str(platform_file))
        spec = docs[0].data.get("spec") if docs and isinstance(docs[0].data, dict) else None
        listed = spec.get("crds") if isinstance(spec, dict) else None
        crds += [platform_file.parent / str(p) for p in listed or [] if isinstance(p, str)]
    except (OSError, GenplatError):  # the load stage reports it
        pass
    try:
        key = {"split": options.split, "checks": options.run_checks, "max": options.max_file_size}
        return input_fingerprint(root, crds=[c for c in crds if c.exists()], options=key,
                                 max_file_size=options.max_file_size), out_dir
    except (OSError, GenplatError):  # a file that cannot be read safely: the full build reports it
        return None, out_dir


def _managed(path: str) -> bool:
    """The build owns everything in out/ but hidden entries (``out/.oci/`` is genplat package's)."""
    return not path.split("/", 1)[0].startswith(".")


def _make_checker(platform: PlatformModel, display_root: Path,
                  bundles: dict[str, list[TenantTarget]]) -> t.Callable[[list[t.Any]], list[Diagnostic]]:
    """Schema and guardrail checks on rendered objects, from genplat.checks."""
    from genplat.checks import make_build_checker

    return t.cast("t.Callable[[list[t.Any]], list[Diagnostic]]", make_build_checker(platform, display_root, bundles=bundles))
