"""Package stage: GitOps wiring for packaged bundles, pinned by digest and rendered offline.

* ``flux``: a source.toolkit.fluxcd.io/v1 ``OCIRepository`` with ``ref.digest`` (plus
  ``insecure: true`` for a plain-HTTP registry) and one kustomize.toolkit.fluxcd.io/v1 ``Kustomization``
  per layer of the bundle: ``<bundle>-platform`` (path ``./platform``, ``wait`` with CEL health checks:
  XRDs Established, Functions Healthy, Kyverno policies ready; "not reported yet" until a controller
  writes a status) and ``<bundle>-tenants`` (``./tenants``, ``dependsOn`` the platform layer), each
  with ``timeout`` and ``retryInterval`` and labelled with its layer (``genplat.dev/layer``).
* ``imgpkg``: the deployer's ServiceAccount and RBAC (:mod:`genplat.packaging.kapp`) and a
  kappctrl.k14s.io/v1alpha1 ``App`` that fetches the ``imgpkgBundle`` by digest, runs ytt over the
  manifests folder only (ytt would read ``.imgpkg/`` too), then kbld with the lock and the bundle's
  kbld Config, then kapp deploy, which orders the layers by their change groups.
"""

from __future__ import annotations

import re
import typing as t

from genplat.core.digests import is_digest
from genplat.core.errors import GenplatError, UsageError
from genplat.packaging.artifact import IMAGES_LOCK_PATH, IMGPKG_CONFIG_DIR, Format
from genplat.packaging.kapp import deployer_rbac
from genplat.rendering.delivery import LAYER_PLATFORM, LAYERS

FLUX_SOURCE_API = "source.toolkit.fluxcd.io/v1"
FLUX_KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
#: How long one layer may take to apply and become healthy, and how soon a failed attempt is retried
#: (the first reconcile of the tenant layer waits here for the platform layer, not a full interval).
TIMEOUT = "5m"
RETRY_INTERVAL = "1m"
KUSTOMIZATION_FILES = ("kustomization.yaml", *(f"{layer}/kustomization.yaml" for layer in LAYERS))


def _condition(condition: str, status: str = "True") -> str:
    return f"status.conditions.exists(c, c.type == '{condition}' && c.status == '{status}')"


#: "Nothing has reported a status yet", without touching ``status``: Flux evaluates the expressions with
#: the object's top-level fields as CEL variables, so before a controller writes a status the object has
#: no ``status`` at all and any reference to it, ``has()`` included, fails with "no such attribute(s)".
#: Every write of the status subresource leaves a ``managedFields`` entry for it. (On a server that
#: strips managedFields this term is false and ``has()`` decides, as before.)
NOT_REPORTED = (
    "(has(metadata.managedFields) && !metadata.managedFields.exists(f, f.?subresource.orValue('') == 'status'))"
)


def health_check(
    api_version: str, kind: str, *, reported: str, current: str, failed: str | None = None
) -> dict[str, str]:
    """One Flux CEL health check: ``inProgress`` until ``reported`` (a status field) exists, then
    ``failed`` (when given) or ``current``; neither true reads as InProgress too."""
    out = {
        "apiVersion": api_version,
        "kind": kind,
        "inProgress": f"{NOT_REPORTED} || !has({reported})",
        "current": current,
    }
    if failed:
        out["failed"] = failed
    return out


#: What "healthy" means for the platform objects tenants depend on (Flux's CEL health checks; kstatus
#: alone reads these kinds as ready as soon as they exist). Every policy kind genplat renders is here
#: except the native ValidatingAdmissionPolicy: the API server enforces it once it is stored, and its
#: status holds type-checking warnings, no readiness.
HEALTH_CHECK_EXPRS: tuple[dict[str, str], ...] = (
    health_check(
        "apiextensions.crossplane.io/v2",
        "CompositeResourceDefinition",
        reported="status.conditions",
        current=_condition("Established"),
    ),
    health_check(
        "apiextensions.crossplane.io/v1",
        "CompositeResourceDefinition",
        reported="status.conditions",
        current=_condition("Established") + " && (!has(spec.claimNames) || " + _condition("Offered") + ")",
    ),
    health_check(
        "pkg.crossplane.io/v1",
        "Function",
        reported="status.conditions",
        current=_condition("Healthy"),
        failed=(
            "status.conditions.exists(c, c.type == 'Healthy' && c.status == 'False' "
            "&& c.reason == 'UnhealthyPackageRevision')"
        ),
    ),
    # Kyverno sets ``ready`` once every condition (WebhookConfigured, RBACPermissionsGranted, …) is
    # True (pkg/controllers/policystatus in Kyverno 1.19): the policy is then in the admission webhook.
    health_check(
        "policies.kyverno.io/v1",
        "ValidatingPolicy",
        reported="status.conditionStatus",
        current="status.conditionStatus.?ready.orValue(false) == true",
    ),
    health_check("kyverno.io/v1", "ClusterPolicy", reported="status.conditions", current=_condition("Ready")),
)

#: Label on each delivery object of a bundle: the layer it applies (``platform``, ``tenants``).
LAYER_LABEL = "genplat.dev/layer"

_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

#: Folder (inside out/_gitops/) per format.
GITOPS_DIRS: dict[str, str] = {"flux": "flux", "imgpkg": "kapp"}


def repository_url(registry: str, bundle: str) -> str:
    """``<registry>/<bundle>`` with any scheme prefix and trailing slash removed."""
    reg = re.sub(r"^(oci|https?)://", "", registry.strip()).rstrip("/")
    if not reg:
        raise UsageError("registry is empty; set spec.registry in the platform blueprint or pass --registry")
    return f"{reg}/{bundle}"


def _flux(
    bundle: str,
    digest: str,
    repo: str,
    *,
    insecure: bool,
    namespace: str,
    interval: str,
    kinds: t.Collection[tuple[str, str]],
) -> list[dict[str, t.Any]]:
    source_spec: dict[str, t.Any] = {
        "interval": interval,
        "url": f"oci://{repo}",
        "ref": {"digest": digest},
    }
    if insecure:
        source_spec["insecure"] = True

    def meta(name: str, layer: str | None = None) -> dict[str, t.Any]:
        labels = {"app.kubernetes.io/managed-by": "genplat"}
        if layer:
            labels[LAYER_LABEL] = layer
        return {"name": name, "namespace": namespace, "labels": labels}

    docs: list[dict[str, t.Any]] = [
        {"apiVersion": FLUX_SOURCE_API, "kind": "OCIRepository", "metadata": meta(bundle), "spec": source_spec}
    ]
    previous: str | None = None
    for layer in LAYERS:
        name = f"{bundle}-{layer}"
        spec: dict[str, t.Any] = {}
        if previous:
            spec["dependsOn"] = [{"name": previous}]
        spec.update(
            {
                "interval": interval,
                "retryInterval": RETRY_INTERVAL,
                "timeout": TIMEOUT,
                "path": f"./{layer}",
                "prune": True,
                "wait": layer == LAYER_PLATFORM,
                "sourceRef": {"kind": "OCIRepository", "name": bundle},
            }
        )
        exprs = [dict(e) for e in HEALTH_CHECK_EXPRS if (e["apiVersion"], e["kind"]) in kinds]
        if layer == LAYER_PLATFORM and exprs:
            spec["healthCheckExprs"] = exprs
        docs.append(
            {"apiVersion": FLUX_KUSTOMIZE_API, "kind": "Kustomization", "metadata": meta(name, layer), "spec": spec}
        )
        previous = name
    return docs


def _kapp(
    bundle: str,
    digest: str,
    repo: str,
    *,
    namespace: str,
    service_account: str,
    interval: str,
    kinds: t.Collection[tuple[str, str]],
    role_refs: t.Collection[tuple[str, str]],
) -> list[dict[str, t.Any]]:
    app = {
        "apiVersion": "kappctrl.k14s.io/v1alpha1",
        "kind": "App",
        "metadata": {"name": bundle, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "genplat"}},
        "spec": {
            "serviceAccountName": service_account,
            "syncPeriod": interval,
            "fetch": [{"imgpkgBundle": {"image": f"{repo}@{digest}"}}],
            "template": [
                # The kustomization.yaml files are for kustomize and Flux only; genplat's source comments
                # are plain "#" comments, which ytt rejects unless told to ignore them.
                {
                    "ytt": {
                        "paths": [f"{IMGPKG_CONFIG_DIR}/"],
                        "ignoreUnknownComments": True,
                        "fileMarks": [f"{p}:exclude=true" for p in KUSTOMIZATION_FILES],
                    }
                },
                # kbld-config.yaml (in the ytt output) keeps Kyverno's image patterns unresolved.
                {"kbld": {"paths": ["-", IMAGES_LOCK_PATH]}},
            ],
            "deploy": [{"kapp": {}}],
        },
    }
    return [
        *deployer_rbac(bundle, namespace=namespace, service_account=service_account, kinds=kinds, role_refs=role_refs),
        app,
    ]


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
    access: t.Mapping[str, tuple[t.Collection[tuple[str, str]], t.Collection[tuple[str, str]]]] | None = None,
    verify_key: bytes | None = None,
) -> dict[str, list[dict[str, t.Any]]]:
    """Wiring for ``bundles`` (``<env>-<cluster>`` → manifest digest of format ``fmt``).

    Returns ``{"<flux|kapp>/<bundle>.yaml": [documents]}``: write each list as one multi-document YAML
    file under ``out/_gitops/``. Render both formats by calling twice and merging the dicts.
    kapp-controller has no per-App switch for plain HTTP: that is its cluster-wide config.
    ``access`` maps a bundle to the (apiVersion, kind) pairs it holds and the (kind, name) of the roles
    its bindings refer to: Flux's health checks and the kapp deployer's RBAC are scoped to them.
    ``verify_key`` (a PEM public key) makes each Flux ``OCIRepository`` verify the bundle's cosign
    signature (:func:`with_verify`); kapp-controller cannot verify signatures (docs/oci.md).
    """
    out: dict[str, list[dict[str, t.Any]]] = {}
    for bundle in sorted(bundles):
        digest = bundles[bundle]
        if not _NAME_RE.match(bundle) or len(bundle) > 63:
            raise UsageError(f"bundle name {bundle!r} is not a valid Kubernetes name (lowercase, digits, '-')")
        if not is_digest(digest):
            raise GenplatError(f"bundle {bundle}: {digest!r} is not a sha256 digest")
        repo = repository_url(registry, bundle)
        kinds, role_refs = (access or {}).get(bundle, ((), ()))
        if fmt == "flux":
            docs = _flux(
                bundle, digest, repo, insecure=insecure, namespace=flux_namespace, interval=interval, kinds=set(kinds)
            )
            if verify_key is not None:
                docs = with_verify(docs, verify_key)
        elif fmt == "imgpkg":
            docs = _kapp(
                bundle,
                digest,
                repo,
                namespace=app_namespace,
                service_account=service_account,
                interval=interval,
                kinds=set(kinds),
                role_refs=set(role_refs),
            )
        else:
            raise UsageError(f"unknown bundle format {fmt!r}; expected flux or imgpkg")
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
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {
                        "name": name,
                        "namespace": meta["namespace"],
                        "labels": dict(meta["labels"]),
                        "annotations": {"genplat.dev/public-material": "cosign public key"},
                    },
                    "type": "Opaque",
                    "data": {VERIFY_KEY_NAME: base64.b64encode(public_key_pem).decode()},
                }
            )
            doc = {**doc, "spec": {**doc["spec"], "verify": {"provider": "cosign", "secretRef": {"name": name}}}}
        out.append(doc)
    return out
