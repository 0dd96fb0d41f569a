"""The compile on one screen: load → validate → resolve → render → check → write.

Packaging and publishing (``genplat package`` / ``push``) read what this writes. Only :func:`build`
touches the file system, and only at its end, through :mod:`genplat._write`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
import typing as t
import zlib
from pathlib import Path

from ._diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics
from ._emit import dump_documents
from ._objects import RenderedObject
from ._project import Project, load_project
from ._resolve import PlatformModel, TenantTarget, resolve
from ._validate import validate
from .oci._package import images_in
from .render import order_key, render_platform, render_tenant
from .render._base import BundleContext
from .render.templates import Templates, load_templates, merge, render_template

SPLITS = ("per-tenant", "per-object")
WORKLOAD_KINDS = frozenset({
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
    "Service", "Configuration", "Revision", "Task", "TaskRun", "PipelineRun", "TriggerTemplate", "Release",
})
LOCK_FILE = "genplat.lock.json"
# Local build state (hidden, so the writer and --check leave it alone; not meant to be committed).
STATE_FILE = ".genplat/state.json"


@dataclasses.dataclass(slots=True)
class BuildOptions:
    project: Path
    out_dir: Path | None = None  # default: <project>/out, beside blueprints/
    check_only: bool = False  # compare with out/ and write nothing
    split: str = "per-tenant"
    run_checks: bool = True
    max_file_size: int = 1024 * 1024
    crds: tuple[Path, ...] = ()  # CRD files or folders, added to the platform blueprint's crds:
    # Skip the work when out/genplat.lock.json records these exact inputs and out/ still matches it.
    incremental: bool = True


@dataclasses.dataclass(slots=True)
class BuildResult:
    diagnostics: list[Diagnostic]
    out_dir: Path | None = None
    files: t.Mapping[str, bytes] = dataclasses.field(default_factory=dict)
    objects: int = 0
    bundles: list[str] = dataclasses.field(default_factory=list)
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    written: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)
    unchanged: int = 0
    up_to_date_by_fingerprint: bool = False  # nothing was rendered: inputs and out/ matched the lock
    stale: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)
    extra: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def up_to_date(self) -> bool:
        return not (self.stale or self.missing or self.extra)


# Tenants rendered before their objects are checked together and emitted: big enough to amortise a
# checker call, small enough that live objects stay a few megabytes.
CHUNK = 256
# Rendered bytes beyond this are held zlib-compressed (level 1; YAML shrinks about ten times), so a
# build of 150,000 objects keeps tens of megabytes of output in memory instead of a hundred.
COMPRESS_AFTER = 32 * 1024 * 1024


class RenderedFiles(t.MutableMapping[str, bytes]):
    """Output path → bytes, compressed in memory once the total grows large. Iterates in insertion order."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[bool, bytes]] = {}
        self._raw = 0

    def __setitem__(self, key: str, value: bytes) -> None:
        if self._raw > COMPRESS_AFTER:
            self._data[key] = (True, zlib.compress(value, 1))
        else:
            self._raw += len(value)
            self._data[key] = (False, value)

    def __getitem__(self, key: str) -> bytes:
        packed, data = self._data[key]
        return zlib.decompress(data) if packed else data

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def bundle_view(self, bundle: str) -> t.Mapping[str, bytes]:
        """Paths inside one bundle → bytes, decompressed on access."""
        return _PrefixView(self, bundle + "/")


class _PrefixView(t.Mapping[str, bytes]):
    def __init__(self, files: RenderedFiles, prefix: str) -> None:
        self._files, self._prefix = files, prefix
        self._keys = [k[len(prefix):] for k in files if k.startswith(prefix)]

    def __getitem__(self, key: str) -> bytes:
        return self._files[self._prefix + key]

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


class _Timer:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    def phase(self, name: str) -> "_Phase":
        return _Phase(self.timings, name)


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
    fingerprint = None
    if options.incremental:
        with timer.phase("fingerprint"):
            fingerprint, out_dir, known = _fingerprint(options)
            if known is not None and _matches_lock(out_dir, known, fingerprint):
                return BuildResult(diagnostics=[], out_dir=out_dir, timings=timings, up_to_date_by_fingerprint=True,
                                   unchanged=len(known))
    with timer.phase("load"):
        project = load_project(options.project, max_file_size=options.max_file_size)
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
    templates, tdiags = load_templates(project.templates_dir, display_root)
    findings.extend(tdiags)
    renderer = _Renderer(platform, templates, timer, options, display_root)
    files = RenderedFiles()
    for bundle, tenants in bundles.items():
        renderer.bundle(bundle, tenants, files)
    findings.extend(renderer.findings)
    result.objects = renderer.objects
    result.bundles = list(bundles)
    result.diagnostics = sort_diagnostics(findings)
    if has_errors(result.diagnostics):
        return result
    from ._lock import build_lock

    by_bundle = {b: files.bundle_view(b) for b in bundles}
    with timer.phase("package"):
        digests, gitops, warnings = _package(platform, by_bundle, renderer.images)
    findings.extend(warnings)
    result.diagnostics = sort_diagnostics(findings)
    files.update(gitops)
    files[LOCK_FILE] = build_lock(by_bundle, oci_digests=digests, other_files=gitops)
    result.files = files
    from ._write import diff_tree, write_tree

    with timer.phase("write"):
        if options.check_only:
            diff = diff_tree(out_dir, files, managed=_managed)
            result.stale, result.missing, result.extra = list(diff.stale), list(diff.missing), list(diff.extra)
        else:
            written = write_tree(out_dir, files, managed=_managed)
            result.written, result.removed, result.unchanged = list(written.written), list(written.removed), len(written.unchanged)
            if fingerprint is not None:
                _save_state(out_dir, fingerprint, files)
    return result


def _package(platform: PlatformModel, by_bundle: t.Mapping[str, t.Mapping[str, bytes]], images: dict[str, list[str]]) -> tuple[dict[str, dict[str, str]], dict[str, bytes], list[Diagnostic]]:
    """OCI digests of every bundle, known before any push, and the GitOps wiring pinned to them.

    Each cluster gets the wiring of its own controller (``gitops`` in the platform blueprint, else
    whichever of flux / kapp-controller it has): out/_gitops/flux/<env>-<cluster>.yaml or
    out/_gitops/kapp/<env>-<cluster>.yaml. The digests are what ``genplat package`` produces.
    """
    from .oci import bundle_digest, render_gitops

    digests: dict[str, dict[str, str]] = {}
    wiring: dict[str, dict[str, str]] = {"flux": {}, "imgpkg": {}}
    warnings: list[Diagnostic] = []
    for cluster in platform.clusters:
        files = by_bundle[cluster.bundle]
        name = f"{cluster.environment}-{cluster.name}"
        flux, _ = bundle_digest(files, fmt="flux")
        imgpkg, notes = bundle_digest(files, fmt="imgpkg", images=images.get(cluster.bundle, []))
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
    for fmt, pinned in wiring.items():
        if not pinned:
            continue
        rendered = render_gitops(pinned, registry=platform.registry, insecure=platform.registry_insecure, fmt=fmt)  # type: ignore[arg-type]
        for path, objs in sorted(rendered.items()):
            out[f"_gitops/{path}"] = dump_documents((None, o) for o in objs).encode("utf-8")
    return digests, out, warnings


def _fingerprint(options: BuildOptions) -> tuple[str | None, Path, dict[str, str] | None]:
    """The inputs' fingerprint, the output folder, and the files the current lock file records."""
    from ._fingerprint import input_fingerprint
    from ._project import find_blueprint_root
    from ._yaml import load_documents

    given = Path(options.project)
    root = find_blueprint_root(given) if given.is_dir() else given.parent
    out_dir = options.out_dir or ((root.parent if root.name == "blueprints" else root) / "out")
    crds = list(options.crds)
    platform_file = root / "platform.yaml"
    try:
        docs, _ = load_documents(platform_file.read_bytes(), str(platform_file))
        listed = ((docs[0].data or {}).get("spec") or {}).get("crds") or [] if docs else []
        crds += [platform_file.parent / str(p) for p in listed]
    except (OSError, AttributeError):
        pass
    try:
        options_key = {"split": options.split, "checks": options.run_checks, "max": options.max_file_size}
        fingerprint = input_fingerprint(root, crds=[c for c in crds if c.exists()], options=options_key)
    except OSError:
        return None, out_dir, None
    try:
        state = json.loads((out_dir / STATE_FILE).read_bytes())
        if state.get("inputs") != fingerprint or not isinstance(state.get("files"), dict):
            return fingerprint, out_dir, None
        return fingerprint, out_dir, dict(state["files"])
    except (OSError, ValueError, TypeError, AttributeError):
        return fingerprint, out_dir, None


def _save_state(out_dir: Path, fingerprint: str, files: t.Mapping[str, bytes]) -> None:
    """Record what this build read and wrote, for the next build's up-to-date test (atomic replace)."""
    state = {"inputs": fingerprint, "files": {p: "sha256:" + hashlib.sha256(files[p]).hexdigest() for p in sorted(files)}}
    path = out_dir / STATE_FILE
    text = json.dumps(state, sort_keys=True) + "\n"
    try:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return
        path.parent.mkdir(mode=0o755, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a cache: failing to write it costs the next build time, nothing else
        pass


def _matches_lock(out_dir: Path, known: dict[str, str], fingerprint: str) -> bool:
    """Every managed file in out/ is one the lock lists, with the sha256 it lists; nothing is missing."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(out_dir):
        rel_dir = os.path.relpath(dirpath, out_dir)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if _managed(d)]
        for name in filenames:
            rel = name if rel_dir == "." else f"{Path(rel_dir).as_posix()}/{name}"
            if not _managed(rel):
                continue
            digest = known.get(rel)
            if digest is None:
                return False
            with open(os.path.join(dirpath, name), "rb") as f:
                if "sha256:" + hashlib.sha256(f.read()).hexdigest() != digest:
                    return False
            seen += 1
    return seen == len(known)


def _managed(path: str) -> bool:
    """The build owns everything in out/ but hidden entries (``out/.oci/`` is genplat package's)."""
    return not path.split("/", 1)[0].startswith(".")


class _Renderer:
    """Renders, checks and emits one bundle at a time, tenant by tenant, keeping only bytes."""

    def __init__(self, platform: PlatformModel, templates: Templates, timer: _Timer, options: BuildOptions, display_root: Path) -> None:
        self.platform = platform
        self.templates = templates
        self.timer = timer
        self.options = options
        self.display_root = display_root
        self.findings: list[Diagnostic] = []
        self.objects = 0
        self._sources: dict[str, str] = {}
        self.images: dict[str, list[str]] = {}  # bundle → container images its objects reference
        if options.crds:
            platform = dataclasses.replace(platform, crds=[*platform.crds, *(str(p.resolve()) for p in options.crds)])
        self._checker = _make_checker(platform, display_root) if options.run_checks else None

    def bundle(self, bundle: str, tenants: list[TenantTarget], files: RenderedFiles) -> None:
        """Render one bundle into ``files``, a chunk of tenants at a time: peak memory stays flat in N."""
        cluster = next(c for c in self.platform.clusters if c.bundle == bundle)
        ctx = BundleContext(self.platform, cluster, tenants)
        # Platform-level files collect objects from the whole bundle; tenant files are written per chunk.
        shared: dict[str, list[RenderedObject]] = {}
        images: set[str] = set()
        names: list[str] = []
        with self.timer.phase("render"):
            platform_objects = render_platform(ctx)
            platform_objects = merge(platform_objects, self._templated(ctx, "platform", None, "platform/templates.yaml"))
        self._flush(bundle, [(None, platform_objects)], shared, images, files, names)
        chunk: list[tuple[TenantTarget | None, list[RenderedObject]]] = []
        for tenant in tenants:
            with self.timer.phase("render"):
                objects = render_tenant(ctx, tenant)
                objects = merge(objects, self._templated(ctx, "tenant", tenant, f"tenants/{tenant.name}.yaml"))
            chunk.append((tenant, objects))
            if len(chunk) >= CHUNK:
                self._flush(bundle, chunk, shared, images, files, names)
                chunk = []
        self._flush(bundle, chunk, shared, images, files, names)
        with self.timer.phase("emit"):
            for file, objs in sorted(shared.items()):
                self._emit(bundle, file, objs, files, names)
            files[f"{bundle}/kustomization.yaml"] = dump_documents([(None, {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": sorted(names),
            })]).encode("utf-8")
        self.images[bundle] = sorted(images)

    def _flush(self, bundle: str, chunk: list[tuple[TenantTarget | None, list[RenderedObject]]],
               shared: dict[str, list[RenderedObject]], images: set[str], files: RenderedFiles, names: list[str]) -> None:
        """Check a chunk of tenants' objects in one call, then emit each tenant's file and drop the objects."""
        if not chunk:
            return
        everything = [o for _, objs in chunk for o in objs]
        self.objects += len(everything)
        if self._checker is not None:
            with self.timer.phase("check"):
                self.findings.extend(self._checker(everything))
        for o in everything:
            # Only kinds that run containers hold image references; template objects may be anything.
            if o.kind in WORKLOAD_KINDS or o.origin.file.endswith(".j2"):
                images |= images_in(o.obj)
        with self.timer.phase("emit"):
            for tenant, objs in chunk:
                own = f"tenants/{tenant.name}.yaml" if tenant is not None else None
                mine = []
                for o in objs:
                    file = o.file or "platform/other.yaml"
                    if file == own:
                        mine.append(o)
                    else:
                        shared.setdefault(file, []).append(o)
                if own is not None and mine:
                    self._emit(bundle, own, mine, files, names)

    def _emit(self, bundle: str, file: str, objs: list[RenderedObject], files: RenderedFiles, names: list[str]) -> None:
        objs.sort(key=order_key)
        if self.options.split == "per-object":
            for o in objs:
                name = _object_file(file, o)
                names.append(name)
                files[f"{bundle}/{name}"] = dump_documents([(self._source(o), o.obj)]).encode("utf-8")
        else:
            names.append(file)
            files[f"{bundle}/{file}"] = dump_documents((self._source(o), o.obj) for o in objs).encode("utf-8")

    def _templated(self, ctx: BundleContext, scope: str, tenant: TenantTarget | None, file: str) -> list[RenderedObject]:
        out: list[RenderedObject] = []
        for tpl in self.templates.for_scope(scope):
            objs, diags = render_template(tpl, _template_context(ctx, tenant), bundle=ctx.cluster.bundle, file=file,
                                          tenant=tenant.name if tenant else None)
            out.extend(objs)
            self.findings.extend(diags)
        return out

    def _source(self, o: RenderedObject) -> str:
        """``file:line`` relative to the project, the same from any working directory."""
        f = o.origin.file
        rel = self._sources.get(f)
        if rel is None:
            p = Path(f)
            try:
                rel = os.path.relpath(p.resolve(), self.display_root.resolve()) if p.is_absolute() or p.exists() else f
            except ValueError:  # pragma: no cover
                rel = f
            rel = Path(rel).as_posix()
            self._sources[f] = rel
        return f"{rel}:{o.origin.line}" if o.origin.line else rel


def _object_file(group_file: str, o: RenderedObject) -> str:
    folder = group_file.rsplit(".", 1)[0]
    ns = f"{o.namespace}_" if o.namespace else ""
    return f"{folder}/{o.kind.lower()}_{ns}{o.name}.yaml"


def _template_context(ctx: BundleContext, tenant: TenantTarget | None) -> dict[str, t.Any]:
    c = ctx.cluster
    context: dict[str, t.Any] = {
        "platform": {"name": ctx.platform.name, "spec": ctx.platform.blueprint.spec},
        "cluster": {"environment": c.environment, "name": c.name, "provider": c.provider, "region": c.region,
                    "capabilities": sorted(c.capabilities)},
    }
    if tenant is not None:
        context["tenant"] = {
            "name": tenant.name, "environment": tenant.environment, "namespace": tenant.namespace,
            "tierName": tenant.tier_name, "tier": tenant.tier, "labels": tenant.labels, "description": tenant.description,
            "access": tenant.access, "allowFrom": tenant.allow_from,
            "services": [{k: getattr(s, k) for k in ("name", "image", "port", "env", "secrets", "scaling", "resources", "traffic", "visibility", "build")}
                         for s in tenant.services],
            "resources": [{"name": r.name, "offering": r.offering, "parameters": r.parameters} for r in tenant.resources],
            "events": [{"name": e.name, "broker": e.broker, "filter": e.filter, "subscriber": e.subscriber} for e in tenant.events],
        }
        context["namespace"] = tenant.namespace
    return context


def _make_checker(platform: PlatformModel, display_root: Path) -> t.Callable[[list[RenderedObject]], list[Diagnostic]] | None:
    """Schema and guardrail checks on rendered objects, from genplat.checks."""
    from .checks import make_build_checker

    return t.cast("t.Callable[[list[RenderedObject]], list[Diagnostic]]", make_build_checker(platform, display_root))
