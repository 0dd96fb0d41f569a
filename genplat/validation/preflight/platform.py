"""Platform values the build depends on: a ``kubernetesVersion`` with schemas, a secret store for secrets."""

from __future__ import annotations

import typing as t

from genplat.core.addons import clusters_of, raw_cluster_capabilities
from genplat.core.diagnostics import Diagnostic
from genplat.core.errors import UsageError
from genplat.core.kube import resolve_version

if t.TYPE_CHECKING:
    from genplat.loader.project import Project


def _kubernetes_version(project: Project) -> list[Diagnostic]:
    """The platform's ``kubernetesVersion`` and each cluster's own must have schemas."""
    assert project.platform is not None
    spec = project.platform.spec
    places: list[tuple[t.Any, tuple[str | int, ...]]] = [(spec.get("kubernetesVersion"), ("spec", "kubernetesVersion"))]
    places += [(c.get("kubernetesVersion"), (*path, "kubernetesVersion")) for _e, _n, c, path in clusters_of(spec)]
    out = []
    for version, path in places:
        if not isinstance(version, str):
            continue  # missing or of the wrong type: the schema says so
        try:
            resolve_version(version)
        except UsageError as exc:
            out.append(project.platform.diagnostic("kubernetes-version", exc.message, path, hint=exc.hint))
    return out


def _capable_clusters(project: Project, capability: str) -> bool:
    assert project.platform is not None
    spec = project.platform.spec
    return any(capability in raw_cluster_capabilities(c, spec) for _e, _n, c, _p in clusters_of(spec))


def _secret_store(project: Project) -> list[Diagnostic]:
    """External Secrets objects name the platform's store: without one the build cannot write them."""
    assert project.platform is not None
    secrets = project.platform.spec.get("secrets")
    secrets = secrets if isinstance(secrets, dict) else {}
    store = secrets.get("store")
    if (isinstance(store, dict) and store.get("name")) or not _capable_clusters(project, "external-secrets"):
        return []
    hint = "set spec.secrets.store in the platform blueprint, e.g. store: {kind: ClusterSecretStore, name: vault}"
    out: list[Diagnostic] = []
    if secrets.get("imagePullSecret"):
        out.append(
            project.platform.diagnostic(
                "secret-store-missing",
                "an image pull secret is fetched, but the platform names no secret store",
                ("spec", "secrets", "imagePullSecret"),
                hint=hint,
            )
        )
    for bp in project.tenants:
        for i, svc in enumerate(bp.spec.get("services") or []):
            if isinstance(svc, dict) and svc.get("secrets"):
                out.append(
                    bp.diagnostic(
                        "secret-store-missing",
                        f"service {svc.get('name')!r} references secrets, but the platform names no secret store",
                        ("spec", "services", i, "secrets"),
                        hint=hint,
                    )
                )
            build = svc.get("build") if isinstance(svc, dict) else None
            if isinstance(build, dict) and build.get("pushSecret"):
                out.append(
                    bp.diagnostic(
                        "secret-store-missing",
                        f"service {svc.get('name')!r} pushes with credentials from the secret store, "
                        "but the platform names no secret store",
                        ("spec", "services", i, "build", "pushSecret"),
                        hint=hint,
                    )
                )
        builds = bp.spec.get("builds")
        if isinstance(builds, dict) and builds.get("pushSecret"):
            out.append(
                bp.diagnostic(
                    "secret-store-missing",
                    "the tenant's push credentials come from the secret store, but the platform names no secret store",
                    ("spec", "builds", "pushSecret"),
                    hint=hint,
                )
            )
    return out


def check(project: Project) -> list[Diagnostic]:
    return [*_kubernetes_version(project), *_secret_store(project)]
