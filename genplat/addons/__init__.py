"""Add-on stage: fetch the CRDs of the add-on versions each cluster runs, lock them, cache them.

``genplat addons lock`` calls :func:`lock_addons`; the build calls :func:`cluster_crds` and hands the
files to the checks as data (``pipeline.render``). Downloads go through the publish stage's clients
(deadlines, size bounds, origin-scoped credentials for registries); archives are read with the same
refusals as bundles (no traversal, links, devices or bombs); CRD files are stored by digest under
``${XDG_CACHE_HOME:-~/.cache}/genplat/addons/``. The catalog and the lock file's format are data in
:mod:`genplat.core.addons`. docs/addons.md is the user's guide.
"""

from __future__ import annotations

from genplat.addons.lock import FetchOptions, LockResult, Wanted, cluster_crds, declared_crds, lock_addons, wanted
from genplat.addons.mirrors import Mirror, Mirrors, parse_mirror

__all__ = [
    "FetchOptions",
    "LockResult",
    "Mirror",
    "Mirrors",
    "Wanted",
    "cluster_crds",
    "declared_crds",
    "lock_addons",
    "parse_mirror",
    "wanted",
]
