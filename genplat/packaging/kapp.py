"""Package stage: the RBAC kapp-controller deploys a bundle with (its kbld and kapp Configs are bundle
files: :mod:`genplat.rendering.kapp`).

* :func:`deployer_rbac`: the App's ServiceAccount and the RBAC it runs with: every verb kapp uses, on
  exactly the resource types the bundle holds, ``bind`` on exactly the roles its bindings name, and
  ConfigMaps in the App's namespace (kapp keeps its app record there). Never a wildcard, never
  cluster-admin: genplat's own RBAC guardrails check it like any other role.
"""

from __future__ import annotations

import typing as t

from genplat.rendering.crossplane import plural

RBAC_API = "rbac.authorization.k8s.io/v1"
DEPLOY_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
MANAGED_BY = {"app.kubernetes.io/managed-by": "genplat"}

# Resource names of the core kinds whose plural is not the English rule's.
_RESOURCES = {"Endpoints": "endpoints"}


def resource_name(kind: str) -> str:
    return _RESOURCES.get(kind) or plural(kind)


def deployer_rules(
    kinds: t.Iterable[tuple[str, str]], role_refs: t.Iterable[tuple[str, str]]
) -> list[dict[str, t.Any]]:
    """ClusterRole rules for ``kinds`` ((apiVersion, kind) pairs) and the roles bindings refer to."""
    by_group: dict[str, set[str]] = {}
    for api_version, kind in kinds:
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        by_group.setdefault(group, set()).add(resource_name(kind))
    rules = [
        {"apiGroups": [g], "resources": sorted(r), "verbs": list(DEPLOY_VERBS)} for g, r in sorted(by_group.items())
    ]
    # Creating a binding needs either every permission of its role or ``bind`` on that role.
    refs: dict[str, set[str]] = {}
    for kind, name in role_refs:
        if kind in ("Role", "ClusterRole"):
            refs.setdefault(kind, set()).add(name)
    for kind in sorted(refs):
        rules.append(
            {
                "apiGroups": ["rbac.authorization.k8s.io"],
                "resources": [resource_name(kind)],
                "verbs": ["bind"],
                "resourceNames": sorted(refs[kind]),
            }
        )
    return rules


def deployer_rbac(
    name: str,
    *,
    namespace: str,
    service_account: str,
    kinds: t.Iterable[tuple[str, str]],
    role_refs: t.Iterable[tuple[str, str]],
) -> list[dict[str, t.Any]]:
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
        {
            "apiVersion": RBAC_API,
            "kind": "ClusterRole",
            "metadata": meta(role),
            "rules": deployer_rules(kinds, role_refs),
        },
        {
            "apiVersion": RBAC_API,
            "kind": "ClusterRoleBinding",
            "metadata": meta(role),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": subject,
        },
        {
            "apiVersion": RBAC_API,
            "kind": "Role",
            "metadata": meta(role, namespace),
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": list(DEPLOY_VERBS)}],
        },
        {
            "apiVersion": RBAC_API,
            "kind": "RoleBinding",
            "metadata": meta(role, namespace),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": subject,
        },
    ]
