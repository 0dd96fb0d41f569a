"""Publish stage: genplat's own OCI Distribution client (deadlines, size bounds, origin-scoped
credentials), push and pull of packaged bundles, and cosign-compatible signatures (:mod:`.sign`).

Library API (no click, no printing)::

    RegistryClient(host, *, insecure, ca_file, credentials, timeout)
    push_artifact(client, repo, tag, artifact) / push_layout(client, layout_dir, path_prefix=, tag=)
    fetch_artifact(ref, client=) -> Artifact   extract_artifact(artifact, dest, replace=) -> [paths]
"""

from __future__ import annotations

from genplat.publish.auth import ENV_PASSWORD, ENV_USERNAME, Credentials, resolve_credentials
from genplat.publish.registry import DEFAULT_TIMEOUT, RegistryClient
from genplat.publish.transfer import PushResult, extract_artifact, fetch_artifact, push_artifact, push_layout

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENV_PASSWORD",
    "ENV_USERNAME",
    "Credentials",
    "PushResult",
    "RegistryClient",
    "extract_artifact",
    "fetch_artifact",
    "push_artifact",
    "push_layout",
    "resolve_credentials",
]
