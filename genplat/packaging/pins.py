"""Pins: every bundle's OCI digest, computed by ``genplat build`` before anything is pushed (with the
GitOps wiring pinned to it, rendered offline), then read back so package and push produce exactly that.

``out/genplat.lock.json`` holds each bundle's OCI digest per format and ``out/_gitops/`` the wiring of
each cluster (``flux/<bundle>.yaml`` or ``kapp/<bundle>.yaml``) with the repository it pulls from.
``genplat package`` packages each bundle in its delivery's format and refuses a bundle whose digest is
not the pinned one; ``genplat push`` refuses a layout whose digests are not, and pushes where the
wiring pulls from unless told otherwise.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing as t
from pathlib import Path

import yaml

from genplat.core import parallel
from genplat.core.diagnostics import Diagnostic, Severity
from genplat.core.errors import OutdatedError
from genplat.output.lockfile import LOCKFILE_NAME
from genplat.packaging.artifact import Format, bundle_digest
from genplat.packaging.gitops import render_gitops
from genplat.rendering.emit import dump_documents
from genplat.resolver.model import PlatformModel

WIRING_FOLDERS = {"flux": "_gitops/flux", "imgpkg": "_gitops/kapp"}


def read_pins(out_dir: Path) -> dict[str, dict[str, str]]:
    """``{"<env>-<cluster>": {format: digest}}`` from the lock file under ``out_dir``."""
    path = out_dir / LOCKFILE_NAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutdatedError(
            f"{path}: not found, so nothing says which digests to produce; run `genplat build` first"
        ) from None
    except (OSError, ValueError) as exc:
        raise OutdatedError(f"{path}: not a genplat lock file ({exc}); run `genplat build` again") from None
    bundles = doc.get("bundles") if isinstance(doc, dict) else None
    if not isinstance(bundles, dict):
        raise OutdatedError(f"{path}: no bundles in the lock file; run `genplat build` again")
    return {
        name.replace("/", "-", 1): dict(entry.get("oci") or {})
        for name, entry in bundles.items()
        if isinstance(entry, dict)
    }


def check_pinned(
    name: str, fmt: str, digest: str, pins: t.Mapping[str, t.Mapping[str, str]], *, what: str, lock: Path, fix: str
) -> None:
    """Raise one line naming the fix unless ``digest`` is what the lock pins for ``name`` in ``fmt``."""
    pinned = pins.get(name, {}).get(fmt)
    if pinned is None:
        raise OutdatedError(f"{what}: bundle {name} ({fmt}) is not in {lock}; {fix}")
    if pinned != digest:
        raise OutdatedError(f"{what}: bundle {name} ({fmt}) is {digest[:19]}…, but {lock} pins {pinned[:19]}…; {fix}")


def delivery_format(out_dir: Path, name: str) -> Format | None:
    """The format the cluster's wiring fetches (its file under ``out/_gitops/``), if it has one."""
    for fmt, folder in WIRING_FOLDERS.items():
        if (out_dir / folder / f"{name}.yaml").is_file():
            return t.cast(Format, fmt)
    return None


def wiring_repository(out_dir: Path, name: str) -> tuple[str, Path] | None:
    """``host[:port]/path/<bundle>`` the wiring of ``name`` pulls from, and the wiring file."""
    for fmt, folder in WIRING_FOLDERS.items():
        path = out_dir / folder / f"{name}.yaml"
        if not path.is_file():
            continue
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
        except yaml.YAMLError as exc:
            raise OutdatedError(
                f"{path}: not valid YAML ({exc.__class__.__name__}); run `genplat build` again"
            ) from None
        for doc in docs:
            spec = doc.get("spec") or {}
            if fmt == "flux" and doc.get("kind") == "OCIRepository":
                return re.sub(r"^oci://", "", str(spec.get("url", ""))), path
            if fmt == "imgpkg" and doc.get("kind") == "App":
                for item in spec.get("fetch") or []:
                    image = (item.get("imgpkgBundle") or {}).get("image") if isinstance(item, dict) else None
                    if isinstance(image, str):
                        return image.split("@", 1)[0], path
    return None


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
