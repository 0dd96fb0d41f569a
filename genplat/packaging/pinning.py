"""Package stage, at build time: every bundle's OCI digest known before any push, and the GitOps
wiring pinned to those digests, so ``out/_gitops/`` is rendered offline and ``genplat package`` /
``genplat push`` must produce exactly what it names.
"""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.core import parallel
from genplat.core.diagnostics import Diagnostic, Severity
from genplat.packaging.artifact import bundle_digest
from genplat.packaging.gitops import render_gitops
from genplat.rendering.emit import dump_documents
from genplat.resolver.model import PlatformModel

# Fewer bundle files than this are digested in process: forking would cost more than it saves.
PARALLEL_MIN_FILES = 512


@dataclasses.dataclass(slots=True)
class PinnedBundles:
    digests: dict[str, dict[str, str]]  # bundle → {"flux": digest, "imgpkg": digest}
    wiring: dict[str, bytes]  # "_gitops/<controller>/<env>-<cluster>.yaml" → bytes
    warnings: list[Diagnostic]


def pin_bundles(
    platform: PlatformModel,
    by_bundle: t.Mapping[str, t.Mapping[str, bytes]],
    images: dict[str, list[str]],
    access: t.Mapping[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]],
    jobs: int,
) -> PinnedBundles:
    """OCI digests of every bundle, known before any push, and the GitOps wiring pinned to them.

    Each cluster gets the wiring of its own controller (``gitops`` in the platform blueprint, else
    whichever of flux / kapp-controller it has): out/_gitops/flux/<env>-<cluster>.yaml or
    out/_gitops/kapp/<env>-<cluster>.yaml. The digests are what ``genplat package`` produces.
    """
    work = [(c.bundle, fmt) for c in platform.clusters for fmt in ("flux", "imgpkg")]
    size = sum(len(v) for v in by_bundle.values())
    results = parallel.fork_map(
        _bundle_digest,
        work,
        jobs=jobs if size >= PARALLEL_MIN_FILES else 1,
        shared={"files": by_bundle, "images": images},
    )
    digest_of = dict(zip(work, results, strict=True))
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
                warnings.append(
                    Diagnostic(
                        rule="imgpkg-image-not-pinned",
                        message=w,
                        file=platform.blueprint.file,
                        severity=Severity.WARNING,
                        object=cluster.bundle,
                        hint="pin images by digest (repo:tag@sha256:…) so imgpkg can relocate them",
                    )
                )
    out: dict[str, bytes] = {}
    bundle_of = {f"{c.environment}-{c.name}": c.bundle for c in platform.clusters}
    for fmt, pinned in wiring.items():
        if not pinned:
            continue
        rendered = render_gitops(
            pinned,
            registry=platform.registry,
            insecure=platform.registry_insecure,
            fmt=fmt,  # type: ignore[arg-type]
            access={n: access[bundle_of[n]] for n in pinned if bundle_of[n] in access},
            verify_key=platform.signing_public_key,
        )
        for path, objs in sorted(rendered.items()):
            out[f"_gitops/{path}"] = dump_documents((None, o) for o in objs).encode("utf-8")
    return PinnedBundles(digests, out, warnings)


def _bundle_digest(item: tuple[str, str]) -> tuple[str, tuple[str, ...]]:
    bundle, fmt = item
    shared = parallel.state()
    images = shared["images"].get(bundle, []) if fmt == "imgpkg" else ()
    return bundle_digest(shared["files"][bundle], fmt=fmt, images=images)  # type: ignore[arg-type]
