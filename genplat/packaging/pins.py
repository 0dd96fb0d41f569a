"""Package and publish stages: what ``genplat build`` pinned, so package and push produce exactly that.

``out/genplat.lock.json`` holds each bundle's OCI digest per format and ``out/_gitops/`` the wiring of
each cluster (``flux/<bundle>.yaml`` or ``kapp/<bundle>.yaml``) with the repository it pulls from.
``genplat package`` packages each bundle in its delivery's format and refuses a bundle whose digest is
not the pinned one; ``genplat push`` refuses a layout whose digests are not, and pushes where the
wiring pulls from unless told otherwise.
"""

from __future__ import annotations

import json
import re
import typing as t
from pathlib import Path

import yaml

from genplat.core.errors import GenplatError
from genplat.output.lockfile import LOCKFILE_NAME
from genplat.packaging.artifact import Format

WIRING = {"flux": "_gitops/flux", "imgpkg": "_gitops/kapp"}


def read_pins(out_dir: Path) -> dict[str, dict[str, str]]:
    """``{"<env>-<cluster>": {format: digest}}`` from the lock file under ``out_dir``."""
    path = out_dir / LOCKFILE_NAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GenplatError(
            f"{path}: not found, so nothing says which digests to produce; run `genplat build` first"
        ) from None
    except (OSError, ValueError) as exc:
        raise GenplatError(f"{path}: not a genplat lock file ({exc}); run `genplat build` again") from None
    bundles = doc.get("bundles") if isinstance(doc, dict) else None
    if not isinstance(bundles, dict):
        raise GenplatError(f"{path}: no bundles in the lock file; run `genplat build` again")
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
        raise GenplatError(f"{what}: bundle {name} ({fmt}) is not in {lock}; {fix}")
    if pinned != digest:
        raise GenplatError(f"{what}: bundle {name} ({fmt}) is {digest[:19]}…, but {lock} pins {pinned[:19]}…; {fix}")


def delivery_format(out_dir: Path, name: str) -> Format | None:
    """The format the cluster's wiring fetches (its file under ``out/_gitops/``), if it has one."""
    for fmt, folder in WIRING.items():
        if (out_dir / folder / f"{name}.yaml").is_file():
            return t.cast(Format, fmt)
    return None


def wiring_repository(out_dir: Path, name: str) -> tuple[str, Path] | None:
    """``host[:port]/path/<bundle>`` the wiring of ``name`` pulls from, and the wiring file."""
    for fmt, folder in WIRING.items():
        path = out_dir / folder / f"{name}.yaml"
        if not path.is_file():
            continue
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
        except yaml.YAMLError as exc:
            raise GenplatError(
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
