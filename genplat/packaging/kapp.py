"""Package stage: what kapp-controller needs beside an imgpkg bundle to deploy it on the first sync.

* :func:`kbld_config`: kbld resolves every ``image:`` value it meets, Kyverno's patterns too
  (``!*:latest`` is not an image: carvel-dev/kbld#344). One ``searchRules`` entry per pattern, matched
  exactly, with ``updateStrategy: none`` leaves them as they are; no ``minimumRequiredVersion``.
* :func:`kapp_config`: kapp's wait rules for what tenants need before their change group is applied:
  Crossplane XRDs Established (and Offered when they have claims), Functions Healthy, Kyverno policies
  Ready.
* :func:`deployer_rbac`: the App's ServiceAccount and the RBAC it runs with: every verb kapp uses, on
  exactly the resource types the bundle holds, ``bind`` on exactly the roles its bindings name, and
  ConfigMaps in the App's namespace (kapp keeps its app record there). Never a wildcard, never
  cluster-admin: genplat's own RBAC guardrails check it like any other role.
"""

from __future__ import annotations

import typing as t

from genplat.render.crossplane import plural

KBLD_API = "kbld.k14s.io/v1alpha1"
KAPP_API = "kapp.k14s.io/v1alpha1"
RBAC_API = "rbac.authorization.k8s.io/v1"
DEPLOY_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
MANAGED_BY = {"app.kubernetes.io/managed-by": "genplat"}

# Resource names of the core kinds whose plural is not the English rule's.
_RESOURCES = {"Endpoints": "endpoints"}


def kbld_config(patterns: t.Iterable[str]) -> dict[str, t.Any]:
    """A kbld Config that leaves each of ``patterns`` unresolved (kbld matches ``image`` keys by name)."""
    return {
        "apiVersion": KBLD_API,
        "kind": "Config",
        "searchRules": [{"keyMatcher": {"name": "image"}, "valueMatcher": {"image": p},
                         "updateStrategy": {"none": {}}} for p in sorted(set(patterns))],
    }


def _condition_rule(api_version: str, kind: str, *conditions: str) -> dict[str, t.Any]:
    return {
        "supportsObservedGeneration": False,
        "conditionMatchers": [{"type": c, "status": "True", "success": True} for c in conditions]
        + [{"type": c, "status": "False", "failure": True} for c in conditions if c in ("Healthy", "Ready")],
        "resourceMatchers": [{"apiVersionKindMatcher": {"apiVersion": api_version, "kind": kind}}],
    }


def kapp_config() -> dict[str, t.Any]:
    """kapp's Config: wait until the platform layer's objects are usable before the tenant group goes."""
    return {
        "apiVersion": KAPP_API,
        "kind": "Config",
        "waitRules": [
            _condition_rule("apiextensions.crossplane.io/v2", "CompositeResourceDefinition", "Established"),
            _condition_rule("apiextensions.crossplane.io/v1", "CompositeResourceDefinition", "Established"),
            _condition_rule("pkg.crossplane.io/v1", "Function", "Healthy"),
            _condition_rule("kyverno.io/v1", "ClusterPolicy", "Ready"),
        ],
    }


def resource_name(kind: str) -> str:
    return _RESOURCES.get(kind) or plural(kind)


def deployer_rules(kinds: t.Iterable[tuple[str, str]], role_refs: t.Iterable[tuple[str, str]]) -> list[dict[str, t.Any]]:
    """ClusterRole rules for ``kinds`` ((apiVersion, kind) pairs) and the roles bindings refer to."""
    by_group: dict[str, set[str]] = {}
    for api_version, kind in kinds:
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        by_group.setdefault(group, set()).add(resource_name(kind))
    rules = [{"apiGroups": [g], "resources": sorted(r), "verbs": list(DEPLOY_VERBS)} for g, r in sorted(by_group.items())]
    # Creating a binding needs either every permission of its role or ``bind`` on that role.
    refs: dict[str, set[str]] = {}
    for kind, name in role_refs:
        if kind in ("Role", "ClusterRole"):
            refs.setdefault(kind, set()).add(name)
    for kind in sorted(refs):
        rules.append({"apiGroups": ["rbac.authorization.k8s.io"], "resources": [resource_name(kind)],
                      "verbs": ["bind"], "resourceNames": sorted(refs[kind])})
    return rules


def deployer_rbac(name: str, *, namespace: str, service_account: str, kinds: t.Iterable[tuple[str, str]],
                  role_refs: t.Iterable[tuple[str, str]]) -> list[dict[str, t.Any]]:
    """ServiceAccount, ClusterRole + binding (the bundle's kinds) and Role + binding (kapp's records)."""
    role = f"genplat-deployer-{name}"
    subject = [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}]

    def meta(n: str, ns: str | None = None) -> dict[str, t.Any]:
        m: dict[str, t.Any] = {"name": n}
        if ns:
            m["namespace"] = ns
        m["labels"] = dict(MANAGED_BY)
        return m

    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(service_account, namespace)},
        {"apiVersion": RBAC_API, "kind": "ClusterRole", "metadata": meta(role),
         "rules": deployer_rules(kinds, role_refs)},
        {"apiVersion": RBAC_API, "kind": "ClusterRoleBinding", "metadata": meta(role),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": subject},
        {"apiVersion": RBAC_API, "kind": "Role", "metadata": meta(role, namespace),
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": list(DEPLOY_VERBS)}]},
        {"apiVersion": RBAC_API, "kind": "RoleBinding", "metadata": meta(role, namespace),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role}, "subjects": subject},
    ]
