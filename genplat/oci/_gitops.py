"""GitOps wiring for packaged bundles, pinned by digest and rendered offline.

* ``flux``: a source.toolkit.fluxcd.io/v1 ``OCIRepository`` with ``ref.digest`` (plus
  ``insecure: true`` for a plain-HTTP registry) and a kustomize.toolkit.fluxcd.io/v1
  ``Kustomization`` that builds the bundle root.
* ``imgpkg``: a kappctrl.k14s.io/v1alpha1 ``App`` that fetches the ``imgpkgBundle`` by digest, runs
  ytt over the manifests folder only (ytt would read ``.imgpkg/`` too), then kbld with the lock, then
  kapp deploy.
"""

from __future__ import annotations

import re
import typing as t

from .._errors import GenplatError
from ._package import IMAGES_LOCK_PATH, IMGPKG_CONFIG_DIR, Format

_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

#: Folder (inside out/_gitops/) per format.
GITOPS_DIRS: dict[str, str] = {"flux": "flux", "imgpkg": "kapp"}


def repository_url(registry: str, bundle: str) -> str:
    """``<registry>/<bundle>`` with any scheme prefix and trailing slash removed."""
    reg = re.sub(r"^(oci|https?)://", "", registry.strip()).rstrip("/")
    if not reg:
        raise GenplatError("registry is empty; set spec.registry in the platform blueprint or pass --registry")
    return f"{reg}/{bundle}"


def _flux(bundle: str, digest: str, repo: str, *, insecure: bool, namespace: str,
          interval: str) -> list[dict[str, t.Any]]:
    source_spec: dict[str, t.Any] = {
        "interval": interval,
        "url": f"oci://{repo}",
        "ref": {"digest": digest},
    }
    if insecure:
        source_spec["insecure"] = True
    meta = {"name": bundle, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "genplat"}}
    return [
        {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository", "metadata": dict(meta),
         "spec": source_spec},
        {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": dict(meta),
         "spec": {
             "interval": interval,
             "path": "./",
             "prune": True,
             "sourceRef": {"kind": "OCIRepository", "name": bundle},
         }},
    ]


def _kapp(bundle: str, digest: str, repo: str, *, namespace: str, service_account: str,
          interval: str) -> list[dict[str, t.Any]]:
    return [{
        "apiVersion": "kappctrl.k14s.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": bundle, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "genplat"}},
        "spec": {
            "serviceAccountName": service_account,
            "syncPeriod": interval,
            "fetch": [{"imgpkgBundle": {"image": f"{repo}@{digest}"}}],
            "template": [
                # kustomization.yaml is for kustomize consumers only; genplat's provenance comments
                # are plain "#" comments, which ytt rejects unless told to ignore them.
                {"ytt": {"paths": [f"{IMGPKG_CONFIG_DIR}/"], "ignoreUnknownComments": True,
                         "fileMarks": ["kustomization.yaml:exclude=true"]}},
                {"kbld": {"paths": ["-", IMAGES_LOCK_PATH]}},
            ],
            "deploy": [{"kapp": {}}],
        },
    }]


def render_gitops(
    bundles: t.Mapping[str, str],
    *,
    registry: str,
    insecure: bool = False,
    fmt: Format = "flux",
    flux_namespace: str = "flux-system",
    app_namespace: str = "kapp-controller",
    service_account: str = "genplat-deployer",
    interval: str = "10m",
    verify_key: bytes | None = None,
) -> dict[str, list[dict[str, t.Any]]]:
    """Wiring for ``bundles`` (``<env>-<cluster>`` → manifest digest of format ``fmt``).

    Returns ``{"<flux|kapp>/<bundle>.yaml": [documents]}``: write each list as one multi-document YAML
    file under ``out/_gitops/``. Render both formats by calling twice and merging the dicts.
    kapp-controller has no per-App switch for plain HTTP: that is its cluster-wide config.
    ``verify_key`` (a PEM public key) makes each Flux ``OCIRepository`` verify the bundle's cosign
    signature (:func:`with_verify`); kapp-controller cannot verify signatures (docs/oci.md).
    """
    out: dict[str, list[dict[str, t.Any]]] = {}
    for bundle in sorted(bundles):
        digest = bundles[bundle]
        if not _NAME_RE.match(bundle) or len(bundle) > 63:
            raise GenplatError(f"bundle name {bundle!r} is not a valid Kubernetes name (lowercase, digits, '-')")
        if not _DIGEST_RE.match(digest):
            raise GenplatError(f"bundle {bundle}: {digest!r} is not a sha256 digest")
        repo = repository_url(registry, bundle)
        if fmt == "flux":
            docs = _flux(bundle, digest, repo, insecure=insecure, namespace=flux_namespace, interval=interval)
            if verify_key is not None:
                docs = with_verify(docs, verify_key)
        elif fmt == "imgpkg":
            docs = _kapp(bundle, digest, repo, namespace=app_namespace, service_account=service_account,
                         interval=interval)
        else:
            raise GenplatError(f"unknown bundle format {fmt!r}; expected flux or imgpkg")
        out[f"{GITOPS_DIRS[fmt]}/{bundle}.yaml"] = docs
    return out


#: The data key of the public-key Secret: source-controller tries every key ending in ``.pub``.
VERIFY_KEY_NAME = "cosign.pub"


def with_verify(docs: list[dict[str, t.Any]], public_key_pem: bytes) -> list[dict[str, t.Any]]:
    """The Flux wiring with ``spec.verify`` (provider cosign) on each OCIRepository, and before it the
    Secret holding the public key it points at: public material, which ``guardrail/secret-data``
    lets through (docs/oci.md)."""
    import base64

    out: list[dict[str, t.Any]] = []
    for doc in docs:
        if doc.get("kind") == "OCIRepository":
            meta = doc["metadata"]
            name = f"{meta['name']}-cosign-pub"
            out.append({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": meta["namespace"], "labels": dict(meta["labels"]),
                             "annotations": {"genplat.dev/public-material": "cosign public key"}},
                "type": "Opaque",
                "data": {VERIFY_KEY_NAME: base64.b64encode(public_key_pem).decode()},
            })
            doc = {**doc, "spec": {**doc["spec"], "verify": {"provider": "cosign", "secretRef": {"name": name}}}}
        out.append(doc)
    return out
