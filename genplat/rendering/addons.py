"""Render stage: the ``addons`` layer, which installs each cluster's locked add-ons before anything uses them.

Every add-on a cluster runs is installed by its own bundle, at the version the platform blueprint gives
that cluster (and the lock pins), in the cluster's delivery:

* **Flux.** ``addons/addons.yaml`` holds one ``Kustomization`` per add-on (``<bundle>-addon-<name>``,
  ``wait: true``, ``dependsOn`` the add-ons it comes after), each applying the folder
  ``addons/<name>/`` of the bundle: release manifests by URL (its ``kustomization.yaml`` names the
  release's files, pinned by their release tag) or a Helm chart (``HelmRepository``, OCI or HTTP, and a
  ``HelmRelease`` pinned to the chart version). Crossplane providers and functions are ``Provider`` and
  ``Function`` packages (``addons/crossplane-packages/``, after Crossplane), the provider configurations
  the offerings need come after them (``addons/provider-configs/``). A Kustomization with ``wait`` is
  Ready once everything it applied is: the add-on's CRDs Established, its Deployments available, its
  HelmRelease installed; the layer's own Kustomization waits for all of them (:mod:`genplat.packaging.gitops`).
* **kapp-controller.** ``addons/<name>.yaml`` holds an ``App`` that fetches the pinned release (``http``
  per manifest URL, or ``helmChart``) and deploys it with kapp as the ``genplat-addons`` service account
  of kapp-controller's namespace, which the cluster's bootstrap provides with the rights to install
  add-ons (CRDs, webhooks, cluster roles): the bundle never grants itself those (the guardrails refuse a
  binding to cluster-admin); the packages and configurations follow as change groups.

The add-on's own settings that the platform implies are rendered into its configuration (Flux: patches of
the release's ConfigMaps in ``addons/<name>/settings.yaml``; kapp-controller: a ytt overlay):
Knative Serving's ``config-features`` (``secure-pod-defaults`` where tenant namespaces enforce the
restricted Pod Security level) and ``config-domain`` (the cluster's first domain suffix), Tekton's
``feature-flags`` (``set-security-context`` where a build namespace is restricted) and the resolvers the
pipelines name (``resolvers-feature-flags``), and the Crossplane package pull policy
(``spec.crossplane.packagePullPolicy``). Nothing tenant-specific.

The GitOps controllers themselves (``install: {delivery: true}``) are not installed by their own bundle:
they pull it. An add-on removed from a cluster is not uninstalled (its CRDs would take every object of
theirs with them): the add-on's objects are kept (``prune: disabled``); uninstall it by hand.
"""

from __future__ import annotations

import json
import re
import typing as t

from genplat.core.addons import BUNDLE_INSTALLS
from genplat.core.objects import Origin, RenderedObject
from genplat.rendering._base import MANAGED_BY, BundleContext, platform_object
from genplat.rendering.crossplane import selected_provider
from genplat.resolver.model import AddOn

LAYER = "addons"
FLUX_NAMESPACE = "flux-system"
KAPP_NAMESPACE = "kapp-controller"
KAPP_SERVICE_ACCOUNT = "genplat-addons"
FLUX_KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
FLUX_SOURCE_API = "source.toolkit.fluxcd.io/v1"
FLUX_HELM_API = "helm.toolkit.fluxcd.io/v2"
KAPP_APP_API = "kappctrl.k14s.io/v1alpha1"
CROSSPLANE_PKG_API = "pkg.crossplane.io/v1"
#: Label naming the add-on an object installs, and the annotation with the version it installs.
ADDON_LABEL = "genplat.dev/addon"
VERSION_ANNOTATION = "genplat.dev/addon-version"
FLUX_PRUNE = "kustomize.toolkit.fluxcd.io/prune"
PACKAGES = "crossplane-packages"
PROVIDER_CONFIGS = "provider-configs"
SETTINGS_FILE = "settings.yaml"
INTERVAL = "10m"
RETRY_INTERVAL = "1m"
#: An add-on install pulls images and waits for its controllers: longer than a layer of objects.
TIMEOUT = "10m"
DEFAULT_PULL_POLICY = "IfNotPresent"
#: Tekton resolvers genplat's pipelines may name, as resolvers-feature-flags keys.
RESOLVER_FLAGS = {
    "bundles": "enable-bundles-resolver",
    "hub": "enable-hub-resolver",
    "git": "enable-git-resolver",
    "cluster": "enable-cluster-resolver",
    "http": "enable-http-resolver",
}


def source_name(ctx: BundleContext) -> str:
    """The bundle's OCIRepository (:func:`genplat.packaging.gitops.render_gitops` names it so)."""
    return ctx.cluster.bundle.replace("/", "-")


def installed(ctx: BundleContext) -> list[AddOn]:
    """The cluster's add-ons its bundle installs (not the GitOps controller or the CNI, which are there
    before it, nor what another add-on's release brings, nor Crossplane packages)."""
    return [a for a in ctx.cluster.addons.values() if a.install is not None and a.install.kind in BUNDLE_INSTALLS]


def packages(ctx: BundleContext) -> list[AddOn]:
    """Crossplane providers and functions to install as packages. A function the platform blueprint already
    declares (``spec.crossplane.function``) is installed by the platform layer, as before."""
    declared = (ctx.platform.crossplane.get("function") or {}).get("name")
    return [
        a
        for a in ctx.cluster.addons.values()
        if a.type in ("provider", "function") and a.package and not (a.type == "function" and a.name == declared)
    ]


def _labels(addon: str | None = None) -> dict[str, str]:
    labels = dict(MANAGED_BY)
    if addon:
        labels[ADDON_LABEL] = addon
    return labels


def _obj(
    ctx: BundleContext,
    api_version: str,
    kind: str,
    name: str,
    origin: Origin,
    file: str,
    *,
    namespace: str | None = None,
    addon: AddOn | None = None,
    annotations: dict[str, str] | None = None,
    **body: t.Any,
) -> RenderedObject:
    notes = dict(annotations or {})
    if addon is not None:
        notes[VERSION_ANNOTATION] = addon.version
    labels = _labels(addon.name if addon else None)
    return platform_object(
        ctx,
        api_version,
        kind,
        name,
        origin,
        file,
        namespace=namespace,
        layer=LAYER,
        labels=labels,
        annotations=notes or None,
        **body,
    )


# ---- settings the platform implies ------------------------------------------------------------------


def settings(ctx: BundleContext, addon: AddOn) -> list[tuple[str, str, dict[str, str], Origin]]:
    """(namespace, ConfigMap name, data, origin) of the add-on's own configuration genplat sets."""
    p = ctx.platform
    out: list[tuple[str, str, dict[str, str], Origin]] = []
    if addon.name == "knative-serving":
        ns = (addon.install.namespace if addon.install else None) or "knative-serving"
        restricted = p.pod_security.get("enforce") == "restricted"
        out.append(
            (
                ns,
                "config-features",
                {"secure-pod-defaults": "enabled" if restricted else "disabled"},
                p.origin(("spec", "policies", "podSecurity")) if "policies" in p.blueprint.spec else addon.origin,
            )
        )
        domain, where = cluster_domain(ctx)
        if domain:
            out.append((ns, "config-domain", {domain: ""}, p.origin(where)))
        if where_domains := cluster_domains_path(ctx):
            # Tenants' host names are claimed one by one (ClusterDomainClaims in platform/domains.yaml):
            # Knative must not create claims for any namespace that asks.
            out.append((ns, "config-network", {"autocreate-cluster-domain-claims": "false"}, p.origin(where_domains)))
    elif addon.name == "tekton-pipelines":
        ns = (addon.install.namespace if addon.install else None) or "tekton-pipelines"
        restricted = any(
            pl.get("podSecurity", p.pod_security.get("enforce")) == "restricted" for pl in p.pipelines.values()
        )
        out.append(
            (
                ns,
                "feature-flags",
                {"set-security-context": "true" if restricted else "false"},
                p.origin(("spec", "pipelines")) if p.pipelines else addon.origin,
            )
        )
        used: dict[str, tuple[str | int, ...]] = {}
        for pi, pl in enumerate(p.blueprint.spec.get("pipelines") or []):
            for ti, task in enumerate(pl.get("tasks") or []):
                resolver = (task.get("taskRef") or {}).get("resolver")
                if resolver in RESOLVER_FLAGS and resolver not in used:
                    used[resolver] = ("spec", "pipelines", pi, "tasks", ti, "taskRef", "resolver")
        if used:
            first = min(used.values())
            out.append(
                (
                    "tekton-pipelines-resolvers",
                    "resolvers-feature-flags",
                    {RESOLVER_FLAGS[r]: "true" for r in sorted(used)},
                    p.origin(first),
                )
            )
    return out


def cluster_domain(ctx: BundleContext) -> tuple[str | None, tuple[str | int, ...]]:
    """The cluster's default domain for Knative routes: its first domain suffix shared by every tenant."""
    spec = ctx.platform.blueprint.spec
    for ei, env in enumerate(spec.get("environments") or []):
        for ci, c in enumerate(env.get("clusters") or []):
            if env.get("name") != ctx.cluster.environment or c.get("name") != ctx.cluster.name:
                continue
            for di, d in enumerate(c.get("domains") or []):
                suffix = d.get("suffix") if isinstance(d, dict) else None
                if isinstance(suffix, str) and not suffix.startswith("{") and not d.get("tenants"):
                    return suffix, ("spec", "environments", ei, "clusters", ci, "domains", di, "suffix")
    return None, ()


def cluster_domains_path(ctx: BundleContext) -> tuple[str | int, ...]:
    """Where the cluster's ``domains`` are written (empty when it has none)."""
    spec = ctx.platform.blueprint.spec
    for ei, env in enumerate(spec.get("environments") or []):
        for ci, c in enumerate(env.get("clusters") or []):
            if env.get("name") == ctx.cluster.environment and c.get("name") == ctx.cluster.name and c.get("domains"):
                return ("spec", "environments", ei, "clusters", ci, "domains")
    return ()


def pull_policy(ctx: BundleContext) -> str:
    return str(ctx.platform.crossplane.get("packagePullPolicy") or DEFAULT_PULL_POLICY)


def package_ref(addon: AddOn) -> str:
    """``<package>:<version>``, and ``@<digest>`` where the lock fetched this very package (xpkg source)."""
    ref = f"{addon.package}:{addon.version}"
    if addon.lock is not None and addon.source.kind == "xpkg":
        for f in addon.lock.fetched:
            if f.ref.removeprefix("oci://").split("@")[0] == ref:
                return f"{ref}@{f.digest}"
    return ref


# ---- provider configurations the offerings need -----------------------------------------------------


def _best_version(versions: t.Sequence[str]) -> str:
    def key(v: str) -> tuple[int, int, int]:
        m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", v)
        if not m:
            return (0, 0, 0)
        return (int(m.group(1)), {"alpha": 0, "beta": 1, None: 2}[m.group(2)], int(m.group(3) or 0))

    return max(versions, key=key)


def provider_configs(ctx: BundleContext) -> list[tuple[AddOn, str, str, Origin]]:
    """(provider, apiVersion, kind, origin) of the ``default`` provider configuration each provider the
    cluster's offerings compose with needs: its ``ClusterProviderConfig`` (else ``ProviderConfig``) in the
    group the Compositions use, where the provider's locked CRDs serve one."""
    used: dict[str, Origin] = {}
    for oi, offering in enumerate(ctx.platform.offerings):
        chosen = selected_provider(offering, ctx.cluster.provider)
        for ci, comp in enumerate(offering.get("compositions") or []):
            if comp.get("provider") != chosen:
                continue
            for ri, res in enumerate(comp.get("resources") or []):
                api = str((res.get("base") or {}).get("apiVersion") or "")
                group = api.rpartition("/")[0]
                if group and group not in used:
                    used[group] = ctx.platform.origin(
                        ("spec", "offerings", oi, "compositions", ci, "resources", ri, "base", "apiVersion")
                    )
    out: list[tuple[AddOn, str, str, Origin]] = []
    for addon in ctx.cluster.addons.values():
        if addon.type != "provider":
            continue
        for group, origin in used.items():
            if not any(k.endswith("." + group) for k in addon.serves):
                continue
            for kind in ("ClusterProviderConfig", "ProviderConfig"):
                versions = addon.serves_kind(group, kind)
                if versions:
                    out.append((addon, f"{group}/{_best_version(versions)}", kind, origin))
                    break
    return out


# ---- Flux ---------------------------------------------------------------------------------------------


def _flux_kustomization(
    ctx: BundleContext,
    name: str,
    path: str,
    origin: Origin,
    *,
    addon: AddOn | None,
    depends: t.Sequence[str],
    health: t.Sequence[dict[str, str]] = (),
) -> RenderedObject:
    spec: dict[str, t.Any] = {}
    if depends:
        spec["dependsOn"] = [{"name": d} for d in depends]
    spec.update(
        {
            "interval": INTERVAL,
            "retryInterval": RETRY_INTERVAL,
            "timeout": TIMEOUT,
            "path": f"./{LAYER}/{path}",
            "prune": False,
            "wait": True,
            "sourceRef": {"kind": "OCIRepository", "name": source_name(ctx)},
        }
    )
    if health:
        spec["healthCheckExprs"] = [dict(h) for h in health]
    return _obj(
        ctx,
        FLUX_KUSTOMIZE_API,
        "Kustomization",
        name,
        origin,
        f"{LAYER}.yaml",
        namespace=FLUX_NAMESPACE,
        addon=addon,
        annotations={FLUX_PRUNE: "disabled"},
        spec=spec,
    )


def _package_health() -> list[dict[str, str]]:
    # Same expressions as the platform layer's (packaging/gitops.py), for what this layer installs.
    not_reported = (
        "(has(metadata.managedFields) && !metadata.managedFields.exists(f, f.?subresource.orValue('') == 'status'))"
    )
    healthy = "status.conditions.exists(c, c.type == 'Healthy' && c.status == 'True')"
    failed = "status.conditions.exists(c, c.type == 'Healthy' && c.status == 'False' && c.reason == 'UnhealthyPackageRevision')"
    return [
        {
            "apiVersion": CROSSPLANE_PKG_API,
            "kind": kind,
            "inProgress": f"{not_reported} || !has(status.conditions)",
            "current": healthy,
            "failed": failed,
        }
        for kind in ("Provider", "Function")
    ]


def _flux(ctx: BundleContext) -> list[RenderedObject]:
    bundle = source_name(ctx)
    out: list[RenderedObject] = []
    mine = {a.name for a in installed(ctx)}
    for addon in installed(ctx):
        install = addon.install
        assert install is not None
        depends = [f"{bundle}-addon-{a}" for a in install.after if a in mine]
        out.append(
            _flux_kustomization(
                ctx, f"{bundle}-addon-{addon.name}", addon.name, addon.origin, addon=addon, depends=depends
            )
        )
        if install.kind == "helm":
            out.extend(_flux_helm(ctx, addon))
        for ns, name, data, origin in settings(ctx, addon):
            out.append(
                _obj(ctx, "v1", "ConfigMap", name, origin, f"{addon.name}/{SETTINGS_FILE}", namespace=ns, data=data)
            )
    pkgs = packages(ctx)
    if pkgs:
        after = [f"{bundle}-addon-crossplane"] if "crossplane" in mine else []
        origin = ctx.platform.origin(("spec", "crossplane")) if ctx.platform.crossplane else pkgs[0].origin
        out.append(
            _flux_kustomization(
                ctx,
                f"{bundle}-addons-{PACKAGES}",
                PACKAGES,
                origin,
                addon=None,
                depends=after,
                health=_package_health(),
            )
        )
        out.extend(_packages(ctx, pkgs, f"{PACKAGES}/packages.yaml"))
        configs = provider_configs(ctx)
        if configs:
            out.append(
                _flux_kustomization(
                    ctx,
                    f"{bundle}-addons-{PROVIDER_CONFIGS}",
                    PROVIDER_CONFIGS,
                    configs[0][3],
                    addon=None,
                    depends=[f"{bundle}-addons-{PACKAGES}"],
                )
            )
            out.extend(_provider_configs(ctx, configs, f"{PROVIDER_CONFIGS}/provider-configs.yaml"))
    return out


def _flux_helm(ctx: BundleContext, addon: AddOn) -> list[RenderedObject]:
    install = addon.install
    assert install is not None and install.repository and install.chart
    repo_spec: dict[str, t.Any] = {"interval": "1h", "url": install.repository}
    if install.repository.startswith("oci://"):
        repo_spec = {"type": "oci", **repo_spec}
    file = f"{addon.name}/helm.yaml"
    release: dict[str, t.Any] = {
        "interval": INTERVAL,
        "releaseName": addon.name,
        "targetNamespace": install.namespace or addon.name,
        "chart": {
            "spec": {
                "chart": install.chart,
                "version": install.release_for(addon.version),
                "sourceRef": {"kind": "HelmRepository", "name": f"addon-{addon.name}"},
            }
        },
        "install": {"createNamespace": True, "crds": "CreateReplace"},
        "upgrade": {"crds": "CreateReplace"},
    }
    if install.values:
        release["values"] = json.loads(json.dumps(install.values))
    return [
        _obj(
            ctx,
            FLUX_SOURCE_API,
            "HelmRepository",
            f"addon-{addon.name}",
            addon.origin,
            file,
            namespace=FLUX_NAMESPACE,
            addon=addon,
            spec=repo_spec,
        ),
        _obj(
            ctx,
            FLUX_HELM_API,
            "HelmRelease",
            f"addon-{addon.name}",
            addon.origin,
            file,
            namespace=FLUX_NAMESPACE,
            addon=addon,
            spec=release,
        ),
    ]


def _packages(ctx: BundleContext, pkgs: list[AddOn], file: str) -> list[RenderedObject]:
    policy = pull_policy(ctx)
    return [
        _obj(
            ctx,
            CROSSPLANE_PKG_API,
            "Provider" if a.type == "provider" else "Function",
            a.name,
            a.origin,
            file,
            addon=a,
            spec={"package": package_ref(a), "packagePullPolicy": policy},
        )
        for a in pkgs
    ]


def _provider_configs(
    ctx: BundleContext, configs: list[tuple[AddOn, str, str, Origin]], file: str
) -> list[RenderedObject]:
    return [
        _obj(
            ctx,
            api,
            kind,
            "default",
            origin,
            file,
            namespace=None,
            addon=addon,
            spec={"credentials": {"source": "InjectedIdentity"}},
        )
        for addon, api, kind, origin in configs
    ]


def build_files(ctx: BundleContext, names: t.Iterable[str]) -> dict[str, dict[str, t.Any]]:
    """Flux: the ``kustomization.yaml`` of each folder under ``addons/`` (what each add-on's Kustomization
    builds): the release's manifest URLs, then the folder's files; ``settings.yaml`` as patches."""
    if ctx.cluster.gitops != "flux":
        return {}
    folders: dict[str, list[str]] = {}
    for n in names:
        parts = n.split("/")
        if len(parts) == 3 and parts[0] == LAYER:
            folders.setdefault(parts[1], []).append(parts[2])
    urls = {
        a.name: a.install.urls_for(a.version) for a in installed(ctx) if a.install and a.install.kind == "manifests"
    }
    out: dict[str, dict[str, t.Any]] = {}
    for folder in sorted(folders.keys() | urls.keys()):
        files = sorted(folders.get(folder, []))
        doc: dict[str, t.Any] = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [*urls.get(folder, ()), *(f for f in files if f != SETTINGS_FILE)],
        }
        if SETTINGS_FILE in files:
            doc["patches"] = [{"path": SETTINGS_FILE}]
        out[f"{LAYER}/{folder}/kustomization.yaml"] = doc
    return out


# ---- kapp-controller ------------------------------------------------------------------------------------


def _overlay(configs: list[tuple[str, str, dict[str, str], Origin]]) -> str:
    """A ytt overlay that sets the release's ConfigMap keys (JSON is YAML, so keys and values stay exact)."""
    lines = ['#@ load("@ytt:overlay", "overlay")']
    for ns, name, data, _ in configs:
        match = json.dumps({"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}}, sort_keys=True)
        lines += [f"#@overlay/match by=overlay.subset({match})", "---", "data:"]
        for key, value in sorted(data.items()):
            lines += ["  #@overlay/match missing_ok=True", f"  {json.dumps(key)}: {json.dumps(value)}"]
    return "\n".join(lines) + "\n"


def _kapp(ctx: BundleContext) -> list[RenderedObject]:
    out: list[RenderedObject] = []
    apps = installed(ctx)
    for addon in apps:
        install = addon.install
        assert install is not None
        configs = settings(ctx, addon)
        fetch: list[dict[str, t.Any]]
        template: list[dict[str, t.Any]]
        if install.kind == "manifests":
            urls = install.urls_for(addon.version)
            fetch = [{"http": {"url": u}} for u in urls]
            ytt: dict[str, t.Any] = {"paths": [f"{i}/" for i in range(len(urls))], "ignoreUnknownComments": True}
            if configs:
                ytt["inline"] = {"paths": {"genplat-settings.yaml": _overlay(configs)}}
            template = [{"ytt": ytt}]
        else:
            assert install.repository and install.chart
            fetch = [
                {
                    "helmChart": {
                        "name": install.chart,
                        "version": install.release_for(addon.version),
                        "repository": {"url": install.repository},
                    }
                }
            ]
            helm: dict[str, t.Any] = {"name": addon.name, "namespace": install.namespace or addon.name, "path": "0/"}
            if install.values:
                fetch.append({"inline": {"paths": {"values.yaml": json.dumps(install.values, sort_keys=True) + "\n"}}})
                helm["valuesFrom"] = [{"path": "1/values.yaml"}]
            template = [{"helmTemplate": helm}]
            out.append(
                _obj(ctx, "v1", "Namespace", install.namespace or addon.name, addon.origin, f"{addon.name}.yaml")
            )
        out.append(
            _obj(
                ctx,
                KAPP_APP_API,
                "App",
                f"addon-{addon.name}",
                addon.origin,
                f"{addon.name}.yaml",
                namespace=KAPP_NAMESPACE,
                addon=addon,
                spec={
                    "serviceAccountName": KAPP_SERVICE_ACCOUNT,
                    "syncPeriod": INTERVAL,
                    "fetch": fetch,
                    "template": template,
                    "deploy": [{"kapp": {}}],
                },
            )
        )
    pkgs = packages(ctx)
    if pkgs:
        out.extend(_packages(ctx, pkgs, f"{PACKAGES}.yaml"))
        out.extend(_provider_configs(ctx, provider_configs(ctx), f"{PROVIDER_CONFIGS}.yaml"))
    return out


def render(ctx: BundleContext) -> list[RenderedObject]:
    """The cluster's ``addons/`` layer (nothing when no GitOps controller delivers it)."""
    if ctx.cluster.gitops == "flux":
        return _flux(ctx)
    if ctx.cluster.gitops == "kapp-controller":
        return _kapp(ctx)
    return []


def kapp_group(ro: RenderedObject) -> str:
    """The kapp change group of an addons-layer object: the installs, then packages, then configurations."""
    rest = (ro.file or "").removeprefix(f"{LAYER}/")
    if rest.startswith(PACKAGES):
        return f"{LAYER}-packages"
    if rest.startswith(PROVIDER_CONFIGS):
        return f"{LAYER}-configs"
    return LAYER
