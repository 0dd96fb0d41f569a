"""Package stage: bundles as reproducible OCI artifacts (Flux or imgpkg), the local OCI layout, the
pins ``genplat build`` computed, provenance, and the GitOps wiring pinned by digest.

Library API (no click, no printing, no network)::

    package_bundle(files, *, fmt="flux", images=(), annotations=None) -> Artifact   # pure
    find_images(files) -> list[str]
    write_layout(layout_dir, {tag: Artifact}) -> Path          read_layout(layout_dir) -> {tag: Artifact}
    render_gitops(bundles, *, registry, insecure=False, fmt="flux", ...) -> {"flux/<b>.yaml": [docs]}
    parse_ref("registry/repo:tag" | "oci:LAYOUT:TAG") -> RegistryRef | LayoutRef
"""

from __future__ import annotations

from genplat.packaging.artifact import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    FLUX_CONFIG,
    FLUX_LAYER,
    FORMATS,
    IMAGES_LOCK_PATH,
    IMGPKG_BUNDLE_LABEL,
    IMGPKG_CONFIG_DIR,
    OCI_CONFIG,
    OCI_MANIFEST,
    Artifact,
    Blob,
    Format,
    bundle_digest,
    find_images,
    images_lock,
    package_bundle,
    provenance_annotations,
)
from genplat.packaging.gitops import render_gitops, repository_url
from genplat.packaging.layout import read_layout, write_layout
from genplat.packaging.refs import LayoutRef, RegistryRef, parse_ref
from genplat.packaging.tar import DEFAULT_MAX_EXTRACT_BYTES, UnsafeArchiveError, read_targz

__all__ = [
    "DEFAULT_MAX_EXTRACT_BYTES",
    "DOCKER_CONFIG",
    "DOCKER_LAYER",
    "DOCKER_MANIFEST",
    "FLUX_CONFIG",
    "FLUX_LAYER",
    "FORMATS",
    "IMAGES_LOCK_PATH",
    "IMGPKG_BUNDLE_LABEL",
    "IMGPKG_CONFIG_DIR",
    "OCI_CONFIG",
    "OCI_MANIFEST",
    "Artifact",
    "Blob",
    "Format",
    "LayoutRef",
    "RegistryRef",
    "UnsafeArchiveError",
    "bundle_digest",
    "find_images",
    "images_lock",
    "package_bundle",
    "parse_ref",
    "provenance_annotations",
    "read_layout",
    "read_targz",
    "render_gitops",
    "repository_url",
    "write_layout",
]
