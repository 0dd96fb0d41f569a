"""The hook ``genplat build`` calls: one checker per build, configured from the platform blueprint.

``make_build_checker(platform, display_root)`` returns a function the build calls with each group of
rendered objects (the platform's, then each tenant's, per bundle). It reads from the platform model:
``kubernetesVersion``, ``crds`` (paths relative to the platform blueprint), ``validator``
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

from genplat.checks.checker import get_checker
from genplat.checks.guardrails import GuardrailContext
from genplat.checks.kubeconform import find_kubeconform
from genplat.core.diagnostics import Diagnostic
from genplat.core.objects import RenderedObject
from genplat.core.secrets import allowances_from
from genplat.policy import settings_from
from genplat.rendering.crossplane import composite_crd

if t.TYPE_CHECKING:
    from genplat.resolver.model import PlatformModel, TenantTarget

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
) -> t.Callable[[list[RenderedObject]], list[Diagnostic]]:
    """The check the build runs on each group of rendered objects. With ``bundles`` (the resolved
    placements), tenants' namespaces and set-apart Pod Security levels come from them."""
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
    checker = get_checker(kubernetes_version=platform.kubernetes_version, crd_paths=crd_paths)
    context = dataclasses.replace(
        guardrail_context(platform), namespace_pod_security=levels, build_namespaces=frozenset(levels)
    )
    first = [True]
    xrds: set[tuple[str, str, str]] = set()
    out_setup: list[Diagnostic] = []
    unvalidated: set[str] = set()  # kinds already reported as "not validated": once per build is enough

    def run(objects: list[RenderedObject]) -> list[Diagnostic]:
        owned: dict[str, set[str]] = {}
        for o in objects:
            if o.tenant is not None and o.tenant not in owned:
                owned[o.tenant] = tenant_namespaces(o.tenant, o.bundle)
        ctx = dataclasses.replace(context, tenant_namespaces=owned)
        # XRs and claims have no upstream CRD (Crossplane makes it from the XRD): derive it from the
        # XRDs this build renders, so tenants' composite resources are schema-checked too.
        for o in objects:
            if o.kind == "CompositeResourceDefinition" and o.api_version.startswith("apiextensions.crossplane.io/"):
                key = (o.api_version, o.name, repr(o.obj.get("spec")))
                if key not in xrds:
                    xrds.add(key)

                    out_setup.extend(checker.add_crds([(composite_crd(o.obj), str(o.origin))], replace=True))
        report = first[0]
        first[0] = False
        out = list(out_setup)
        out_setup.clear()
        for d in checker.check(
            objects, guardrails=ctx, use_kubeconform=use_kubeconform, include_setup=report, report_disabled=report
        ):
            if d.rule == "schema-not-validated":
                kind = d.message.split(" not validated", 1)[0]
                if kind in unvalidated:
                    continue
                unvalidated.add(kind)
            out.append(d)
        return out

    return run
