"""Render stage, whole bundles: every cluster's files, tenants rendered (and checked) in chunks.

Platform objects render first, in process, so the checker's one-time notes and the CRDs it derives
from rendered XRDs exist before any worker forks; tenant chunks then run in worker processes when
there is enough work. Beside the objects each bundle gets its ``kustomization.yaml`` files (one per
layer, which each Flux Kustomization builds, and one at the root naming the layers) and, when
kapp-controller delivers it, kbld's and kapp's Configs.
"""

from __future__ import annotations

import dataclasses
import time
import typing as t

from genplat.core import parallel
from genplat.core.diagnostics import Diagnostic
from genplat.core.objects import RenderedObject
from genplat.core.timing import Timings
from genplat.rendering import addons
from genplat.rendering.chunks import CHUNK, ChunkResult, Renderer
from genplat.rendering.delivery import LAYERS
from genplat.rendering.emit import dump_documents
from genplat.rendering.files import RenderedFiles
from genplat.rendering.kapp import kapp_config, kbld_config
from genplat.resolver.model import TenantTarget

# Fewer tenant placements than this render in process: forking would cost more than it saves.
PARALLEL_MIN_TENANTS = 2 * CHUNK


@dataclasses.dataclass(slots=True)
class RenderedBundles:
    files: RenderedFiles  # "<env>/<cluster>/<path>" → bytes
    images: dict[str, list[str]]  # bundle → images its objects name, sorted
    objects: int
    # bundle → ((apiVersion, kind) of every object, (kind, name) of every roleRef): what a deployer's RBAC covers.
    access: dict[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]]


def render_bundles(
    renderer: Renderer,
    bundles: dict[str, list[TenantTarget]],
    *,
    jobs: int,
    timings: Timings,
    findings: list[Diagnostic],
) -> RenderedBundles:
    """Every bundle's files; findings of rendering and checking are added to ``findings``."""
    contexts = {bundle: renderer.context(bundle, tenants) for bundle, tenants in bundles.items()}
    platform_parts = {bundle: renderer.platform_chunk(ctx) for bundle, ctx in contexts.items()}
    work = [(bundle, start) for bundle, tenants in bundles.items() for start in range(0, len(tenants), CHUNK)]
    total = sum(len(tenants) for tenants in bundles.values())
    chunk_jobs = jobs if total >= PARALLEL_MIN_TENANTS else 1
    workers = parallel.parallel(chunk_jobs, work)
    files = RenderedFiles()
    images: dict[str, set[str]] = {bundle: set() for bundle in bundles}
    patterns: dict[str, set[str]] = {bundle: set() for bundle in bundles}
    kinds: dict[str, set[tuple[str, str]]] = {bundle: set() for bundle in bundles}
    role_refs: dict[str, set[tuple[str, str]]] = {bundle: set() for bundle in bundles}
    shared: dict[str, list[RenderedObject]] = {bundle: [] for bundle in bundles}
    names: dict[str, list[str]] = {bundle: [] for bundle in bundles}
    objects = 0

    def fold(bundle: str, part: ChunkResult) -> None:
        nonlocal objects
        timings.add(part.timings)
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
    for (bundle, _), part in zip(
        work, parallel.fork_imap(_tenant_chunk, work, jobs=chunk_jobs, shared=state), strict=True
    ):
        fold(bundle, part)
    if chunk_jobs > 1:
        timings.seconds["render-wall"] = time.perf_counter() - started
    with timings.phase("emit"):
        for bundle in bundles:
            by_file: dict[str, list[RenderedObject]] = {}
            for o in shared[bundle]:
                by_file.setdefault(o.file or "platform/other.yaml", []).append(o)
            for file, objs in sorted(by_file.items()):
                for path, data in renderer.emit(file, objs):
                    names[bundle].append(path)
                    files[f"{bundle}/{path}"] = data
            ctx = renderer.context(bundle, [])
            extra = bundle_build_files(names[bundle])
            for path, doc in addons.build_files(ctx, names[bundle]).items():
                extra[path] = dump_documents([(None, doc)]).encode("utf-8")
            if ctx.cluster.gitops == "kapp-controller":
                extra |= kapp_bundle_files(patterns[bundle])
            for path, data in extra.items():
                files[f"{bundle}/{path}"] = data
    return RenderedBundles(
        files, {b: sorted(i) for b, i in images.items()}, objects, {b: (kinds[b], role_refs[b]) for b in bundles}
    )


def bundle_build_files(names: t.Iterable[str]) -> dict[str, bytes]:
    """One kustomization.yaml per layer folder (what each Flux Kustomization builds: the files directly in
    it; the add-ons' folders are built by their own Kustomizations) and one at the bundle root naming
    the layers (for plain ``kustomize build``)."""

    def kustomization(resources: list[str]) -> bytes:
        return dump_documents(
            [(None, {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources})]
        ).encode("utf-8")

    out = {"kustomization.yaml": kustomization(list(LAYERS))}
    for layer in LAYERS:
        out[f"{layer}/kustomization.yaml"] = kustomization(
            sorted(n.split("/", 1)[1] for n in names if n.split("/", 1)[0] == layer and n.count("/") == 1)
        )
    return out


def kapp_bundle_files(patterns: t.Iterable[str]) -> dict[str, bytes]:
    """kbld's and kapp's configuration, beside the layers of a kapp-delivered bundle."""
    return {
        "kbld-config.yaml": dump_documents([(None, kbld_config(patterns))]).encode("utf-8"),
        "kapp-config.yaml": dump_documents([(None, kapp_config())]).encode("utf-8"),
    }


def _tenant_chunk(item: tuple[str, int]) -> ChunkResult:
    bundle, start = item
    shared = parallel.state()
    ctx = shared["contexts"][bundle]
    part = t.cast(ChunkResult, shared["renderer"].tenant_chunk(ctx, ctx.tenants[start : start + CHUNK]))
    return part.compress() if shared["compress"] else part
