"""The hook ``genplat build`` calls: one checker per cluster, configured from the platform blueprint.

``make_build_checker(platform, display_root)`` returns a function the build calls with each group of
rendered objects (the platform's, then each tenant's, per bundle). Each bundle's objects are checked
against its cluster's own Kubernetes version and the CRDs of exactly the add-on versions it runs
(``cluster_crds``: bundle → the locked add-ons' CRD files, which the pipeline gets from
:mod:`genplat.addons`), plus ``crds`` (paths relative to the platform blueprint) and ``--crds``. On a
cluster whose add-ons are locked, a custom resource that none of them serves is an error at the blueprint
line that rendered it (``kind-not-served``), not a "not validated" warning. It reads from the platform
model: ``validator``
(``kubeconform`` delegates schema checks; a missing binary stops the build with exit 2 before any
rendering), ``policies.podSecurity``, ``policies.allowedRegistries``, ``policies.requiredLabels``,
``policies.platformImages``, ``policies.guardrails.disabled`` and the
``forbidLatest``/``forbidPrivileged``/``defaultDenyNetwork``/``requireLimits`` switches (false switches
the matching rules off, with that as the reason). Given the resolved placements (``bundles=``), each
tenant's namespaces are its workload namespace and, when it builds, its build namespace, which is held to the Pod Security level its pipeline templates chose.
"""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

from genplat.checks.checker import Checker, get_checker
from genplat.checks.crd_schema import Loaded
from genplat.checks.guardrails import GuardrailContext
from genplat.checks.kubeconform import find_kubeconform
from genplat.core.diagnostics import Diagnostic, Severity
from genplat.core.objects import RenderedObject
from genplat.core.secrets import allowances_from
from genplat.policy import settings_from
from genplat.rendering.crossplane import composite_crd

if t.TYPE_CHECKING:
    from genplat.resolver.model import Cluster, PlatformModel, TenantTarget

# Policy switch → the rules it turns off when false.
_SWITCHES = {
    "forbidLatest": ("guardrail/image-tag",),
    "forbidPrivileged": ("guardrail/privileged", "guardrail/host-namespaces"),
    "defaultDenyNetwork": ("guardrail/namespace-default-deny",),
    "requireLimits": ("guardrail/container-resources",),
}


def default_tenant_namespaces(tenant: str, bundle: str | None) -> set[str]:
    """genplat's naming: a tenant's namespace on a cluster of environment E is ``<tenant>-<E>``."""
    env = (bundle or "").split("/", 1)[0]
    return {f"{tenant}-{env}"} if env else set()


def guardrail_context(platform: PlatformModel) -> GuardrailContext:
    policies = platform.policies or {}
    disabled: dict[str, str] = {}
    for entry in (policies.get("guardrails") or {}).get("disabled") or []:
        if isinstance(entry, dict) and isinstance(entry.get("rule"), str):
            disabled[entry["rule"]] = str(entry.get("reason") or "no reason given")
    for switch, rules in _SWITCHES.items():
        if policies.get(switch) is False:
            for rule in rules:
                disabled.setdefault(rule, f"policies.{switch} is false in the platform blueprint")
    return GuardrailContext(
        allowed_registries=tuple(policies.get("allowedRegistries") or ()),
        pod_security=dict(platform.pod_security),
        disabled=disabled,
        required_labels=tuple(policies.get("requiredLabels") or ()),
        platform_images=settings_from(policies).platform_images,
        secret_allowances=allowances_from(platform.secrets),
    )


def namespaces_of(
    platform: PlatformModel, bundles: t.Mapping[str, t.Sequence[TenantTarget]]
) -> tuple[dict[tuple[str, str], set[str]], dict[str, dict[str, str]]]:
    """(tenant, bundle) → the namespaces the tenant owns there, and the Pod Security levels of the
    namespaces the platform set apart (build namespaces, at their pipeline template's level)."""
    owned: dict[tuple[str, str], set[str]] = {}
    levels: dict[str, dict[str, str]] = {}
    for bundle, targets in bundles.items():
        for target in targets:
            names = {target.namespace}
            if target.build_namespace is not None and target.build_pod_security is not None:
                names.add(target.build_namespace)
                levels[target.build_namespace] = {**platform.pod_security, "enforce": target.build_pod_security}
            owned[(target.name, bundle)] = names
    return owned, levels


def make_build_checker(
    platform: PlatformModel,
    display_root: Path,
    *,
    tenant_namespaces: t.Callable[[str, str | None], set[str]] = default_tenant_namespaces,
    bundles: t.Mapping[str, t.Sequence[TenantTarget]] | None = None,
    cluster_crds: t.Mapping[str, t.Sequence[Path]] | None = None,
) -> t.Callable[[list[RenderedObject]], list[Diagnostic]]:
    """The check the build runs on each group of rendered objects. With ``bundles`` (the resolved
    placements), tenants' namespaces and set-apart Pod Security levels come from them; with
    ``cluster_crds`` (bundle → CRD files of its locked add-ons), each bundle is checked against its own."""
    if bundles is not None:
        owned_by, levels = namespaces_of(platform, bundles)
        fallback = tenant_namespaces

        def tenant_namespaces(tenant: str, bundle: str | None) -> set[str]:
            return owned_by.get((tenant, bundle or ""), set()) or fallback(tenant, bundle)
    else:
        levels = {}
    base = Path(platform.blueprint.file).parent
    crd_paths = [base / p for p in platform.crds]
    use_kubeconform = platform.validator == "kubeconform"
    if use_kubeconform:
        find_kubeconform()  # fail before rendering anything, with exit 2
    clusters = {c.bundle: c for c in platform.clusters}
    by_bundle = cluster_crds or {}

    checkers: dict[str | None, Checker] = {}
    loaded: Loaded = {}  # CRD files converted once for every cluster's checker

    def checker_for(bundle: str | None) -> Checker:
        if bundle not in checkers:
            cluster = clusters.get(bundle or "")
            version = (cluster.kubernetes_version if cluster else "") or platform.kubernetes_version
            paths = [*crd_paths, *by_bundle.get(bundle or "", ())]
            checkers[bundle] = get_checker(kubernetes_version=version, crd_paths=paths, loaded=loaded)
        return checkers[bundle]

    context = dataclasses.replace(
        guardrail_context(platform), namespace_pod_security=levels, build_namespaces=frozenset(levels)
    )
    reported: set[int] = set()  # checkers whose one-time notes (CRD problems, version notes) were given
    xrds: set[tuple[int, str, str, str]] = set()
    out_setup: list[Diagnostic] = []
    unvalidated: set[tuple[str | None, str]] = set()  # (bundle, kind) reported once: once per build is enough
    first = [True]

    def run(objects: list[RenderedObject]) -> list[Diagnostic]:
        groups: dict[str | None, list[RenderedObject]] = {}
        for o in objects:
            groups.setdefault(o.bundle, []).append(o)
        out: list[Diagnostic] = []
        for bundle, group in groups.items():
            out.extend(check_group(bundle, group))
        first[0] = False
        return out

    def check_group(bundle: str | None, objects: list[RenderedObject]) -> list[Diagnostic]:
        checker = checker_for(bundle)
        owned: dict[str, set[str]] = {}
        for o in objects:
            if o.tenant is not None and o.tenant not in owned:
                owned[o.tenant] = tenant_namespaces(o.tenant, o.bundle)
        ctx = dataclasses.replace(context, tenant_namespaces=owned)
        # XRs and claims have no upstream CRD (Crossplane makes it from the XRD): derive it from the
        # XRDs this build renders, so tenants' composite resources are schema-checked too.
        for o in objects:
            if o.kind == "CompositeResourceDefinition" and o.api_version.startswith("apiextensions.crossplane.io/"):
                key = (id(checker), o.api_version, o.name, repr(o.obj.get("spec")))
                if key not in xrds:
                    xrds.add(key)
                    out_setup.extend(checker.add_crds([(composite_crd(o.obj), str(o.origin))], replace=True))
        setup = id(checker) not in reported
        reported.add(id(checker))
        out = list(out_setup)
        out_setup.clear()
        cluster = clusters.get(bundle or "")
        locked = cluster is not None and bundle in by_bundle
        kinds = {o.ref(): (o.api_version, o.kind) for o in objects} if locked else {}
        for d in checker.check(
            objects,
            guardrails=ctx,
            use_kubeconform=use_kubeconform,
            include_setup=setup,
            report_disabled=first[0],
        ):
            if d.rule == "schema-not-validated":
                kind = d.message.split(" not validated", 1)[0]
                if (bundle if locked else None, kind) in unvalidated:
                    continue
                unvalidated.add((bundle if locked else None, kind))
                if locked:
                    assert cluster is not None
                    d = not_served(platform, cluster, kind, d)
                elif platform.addon_lock is None:
                    d = dataclasses.replace(d, hint=UNLOCKED_HINT)
            elif locked and d.rule.startswith("schema") and d.object in kinds:
                assert cluster is not None
                d = with_addon(cluster, *kinds[d.object], d)
            out.append(d)
        return out

    return run


UNLOCKED_HINT = (
    "lock the clusters' add-ons (`genplat addons lock`): the build then checks custom resources against "
    "their CRDs; or pass the CRD that defines it with --crds"
)


def with_addon(cluster: Cluster, api_version: str, kind: str, d: Diagnostic) -> Diagnostic:
    """A schema finding on a custom resource, naming the cluster and the add-on version whose CRD refused
    it: the same object may be valid on a cluster that runs another version."""
    group = api_version.rpartition("/")[0]
    for addon in cluster.addons.values():
        if group and addon.serves_kind(group, kind):
            return dataclasses.replace(d, message=f"{d.message} (cluster {cluster.name}: {addon.name} {addon.version})")
    return d


def not_served(platform: PlatformModel, cluster: Cluster, head: str, d: Diagnostic) -> Diagnostic:
    """A custom resource on a cluster whose add-ons are locked, of a kind none of them serves: an error
    at the blueprint line that rendered it, naming an add-on that would serve it when one is locked."""
    api_version, _, kind = head.rpartition(" ")
    group = api_version.rpartition("/")[0]
    name = f"{kind}.{group}" if group else kind
    k8s = cluster.kubernetes_version or platform.kubernetes_version
    if not group or group.endswith(".k8s.io") or "." not in group:
        message = (
            f"{name} ({api_version}) is served neither by Kubernetes {k8s} nor by an add-on of cluster {cluster.name}"
        )
    else:
        message = f"{name} is served by no add-on of cluster {cluster.name}"
    servers = sorted(
        {
            f"{entry.name} {entry.version}"
            for entry in (platform.addon_lock.entries.values() if platform.addon_lock else ())
            if entry.serves_kind(group, kind)
        }
    )
    if servers:
        hint = (
            f"{' and '.join(servers)} serve{'s' if len(servers) == 1 else ''} it: add it to the cluster's addons "
            "(then `genplat addons lock`), or stop rendering it there"
        )
    else:
        hint = (
            "add the add-on that serves it to the cluster's addons (spec.addons gives a source for one genplat "
            "does not know), then run `genplat addons lock`; or pass its CRD with --crds"
        )
    return dataclasses.replace(d, rule="kind-not-served", message=message, hint=hint, severity=Severity.ERROR)
