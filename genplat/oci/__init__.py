"""OCI bundles: reproducible packaging, OCI layouts, GitOps wiring, push and pull.

Library API (no click, no printing)::

    package_bundle(files, *, fmt="flux", images=(), annotations=None) -> Artifact   # pure
    find_images(files) -> list[str]
    write_layout(layout_dir, {tag: Artifact}) -> Path          read_layout(layout_dir) -> {tag: Artifact}
    render_gitops(bundles, *, registry, insecure=False, fmt="flux", ...) -> {"flux/<b>.yaml": [docs]}
    RegistryClient(host, *, insecure, ca_file, credentials, timeout)
    push_artifact(client, repo, tag, artifact) / push_layout(client, layout_dir, path_prefix=, tag=)
    fetch_artifact(ref, client=) -> Artifact   extract_artifact(artifact, dest, replace=) -> [paths]
"""

from __future__ import annotations

from ._auth import ENV_PASSWORD, ENV_USERNAME, Credentials, resolve_credentials
from ._gitops import render_gitops, repository_url
from ._layout import read_layout, write_layout
from ._package import (DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST, FLUX_CONFIG, FLUX_LAYER, FORMATS,
                       IMAGES_LOCK_PATH, IMGPKG_BUNDLE_LABEL, IMGPKG_CONFIG_DIR, OCI_CONFIG, OCI_MANIFEST, Artifact, Blob,
                       Format, bundle_digest, find_images, images_lock, package_bundle, provenance_annotations)
from ._ref import LayoutRef, RegistryRef, parse_ref
from ._registry import DEFAULT_TIMEOUT, RegistryClient
from ._tar import DEFAULT_MAX_EXTRACT_BYTES, UnsafeArchiveError, read_targz
from ._transfer import PushResult, extract_artifact, fetch_artifact, push_artifact, push_layout

__all__ = [
    "DEFAULT_MAX_EXTRACT_BYTES", "DEFAULT_TIMEOUT", "DOCKER_CONFIG", "DOCKER_LAYER", "DOCKER_MANIFEST",
    "ENV_PASSWORD", "ENV_USERNAME", "FLUX_CONFIG", "FLUX_LAYER", "FORMATS", "IMAGES_LOCK_PATH",
    "IMGPKG_BUNDLE_LABEL", "IMGPKG_CONFIG_DIR", "OCI_CONFIG", "OCI_MANIFEST", "Artifact", "Blob", "Credentials", "Format",
    "bundle_digest",
    "LayoutRef", "PushResult", "RegistryClient", "RegistryRef", "UnsafeArchiveError", "extract_artifact",
    "fetch_artifact", "find_images", "images_lock", "package_bundle", "parse_ref", "provenance_annotations",
    "push_artifact", "push_layout", "read_layout", "read_targz", "render_gitops", "repository_url",
    "resolve_credentials", "write_layout",
]
