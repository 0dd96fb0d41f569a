"""RBAC semantics for the risk rules: what a (Cluster)Role or (Cluster)RoleBinding grants that its old
version did not.

A binding widens when it is new, gains subjects, or its ``roleRef`` points at a broader role
(``view`` < ``edit`` < ``admin`` < ``cluster-admin``; any other change of role counts). A role widens
when it grants a (group, resource, verb, resourceNames) or non-resource URL its old rules did not
cover, wildcards included, when it is new with wildcards, or when its ``aggregationRule`` changes.
The standard tenant grants (a RoleBinding in a tenant's namespace to ClusterRole admin, edit or view
for people or the namespace's own service accounts) are not widenings: every tenant has them.
"""

from __future__ import annotations

import typing as t

from genplat.diff._compare import canonical

GROUP = "rbac.authorization.k8s.io"
_ROLE_RANK = {"view": 1, "edit": 2, "admin": 3, "cluster-admin": 4}
# The roles genplat grants tenants in their own namespaces (access.admins/developers/viewers).
STANDARD_ROLES = ("admin", "edit", "view")


def standard_grant(kind: str, namespace: str, old: dict[str, t.Any] | None, new: dict[str, t.Any] | None) -> bool:
    """A tenant RoleBinding to one of the standard tenant roles, for people or the namespace's own
    service accounts, whose roleRef did not change: what every tenant gets (the summary lists who)."""
    if kind != "RoleBinding" or new is None:
        return False
    ref = new.get("roleRef") or {}
    if not isinstance(ref, dict) or ref.get("kind") != "ClusterRole" or ref.get("name") not in STANDARD_ROLES:
        return False
    if old is not None and role_ref(old) != role_ref(new):
        return False
    for s in new.get("subjects") or []:
        if not isinstance(s, dict):
            return False
        if s.get("kind") == "ServiceAccount" and s.get("namespace", namespace) != namespace:
            return False
        if s.get("kind") not in ("User", "Group", "ServiceAccount"):
            return False
        if s.get("kind") == "Group" and str(s.get("name", "")).startswith("system:"):
            return False
    return True


def subjects(obj: dict[str, t.Any] | None) -> list[str]:
    subjects = (obj or {}).get("subjects") or []
    out = []
    for s in subjects if isinstance(subjects, list) else []:
        if isinstance(s, dict):
            ns = f"{s.get('namespace')}/" if s.get("namespace") else ""
            out.append(f"{s.get('kind', '?')} {ns}{s.get('name', '?')}")
    return sorted(set(out))


def role_ref(obj: dict[str, t.Any] | None) -> str:
    ref = (obj or {}).get("roleRef") or {}
    return f"{ref.get('kind', '?')} {ref.get('name', '?')}" if isinstance(ref, dict) else "?"


def _perms(obj: dict[str, t.Any] | None) -> set[tuple[str, ...]]:
    """Each (apiGroup, resource, verb, resourceNames) or ("url", path, verb) a role's rules grant."""
    out: set[tuple[str, ...]] = set()
    rules = (obj or {}).get("rules") or []
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        verbs = [str(v) for v in rule.get("verbs") or []]
        names = ",".join(sorted(str(n) for n in rule.get("resourceNames") or []))
        for url in rule.get("nonResourceURLs") or []:
            out.update(("url", str(url), v) for v in verbs)
        for g in rule.get("apiGroups") or [""] if rule.get("resources") else []:
            for r in rule.get("resources") or []:
                out.update((str(g), str(r), v, names) for v in verbs)
    return out


def _match(granted: str, wanted: str) -> bool:
    if granted == "*" or granted == wanted:
        return True
    return granted.endswith("/*") and wanted.startswith(granted[:-1])


def _covered(p: tuple[str, ...], old: set[tuple[str, ...]]) -> bool:
    if p[0] == "url":
        return any(
            o[0] == "url"
            and (o[1] == p[1] or (o[1].endswith("*") and p[1].startswith(o[1][:-1])))
            and _match(o[2], p[2])
            for o in old
        )
    for o in old:
        if o[0] == "url" or not (_match(o[0], p[0]) and _match(o[1], p[1]) and _match(o[2], p[2])):
            continue
        if not o[3] or (p[3] and set(p[3].split(",")) <= set(o[3].split(","))):
            return True
    return False


def _perm_text(p: tuple[str, ...]) -> str:
    if p[0] == "url":
        return f"{p[2]} {p[1]}"
    res = f"{p[1]}.{p[0]}" if p[0] else p[1]
    return f"{p[2]} {res}" + (f" ({p[3]})" if p[3] else "")


def widened(kind: str, old: dict[str, t.Any] | None, new: dict[str, t.Any] | None) -> list[str]:
    if new is None:
        return []
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        names = subjects(new)
        scope = "cluster-wide: " if kind == "ClusterRoleBinding" else ""
        if old is None:
            return [f"{scope}grants {role_ref(new)} to {', '.join(names) or 'no subjects'}"]
        out = []
        added = sorted(set(names) - set(subjects(old)))
        if added:
            out.append(f"{scope}grants {role_ref(new)} to more subjects: {', '.join(added)}")
        before, after = role_ref(old), role_ref(new)
        if before != after:
            old_rank = _ROLE_RANK.get(before.split(" ", 1)[-1])
            new_rank = _ROLE_RANK.get(after.split(" ", 1)[-1])
            if old_rank is None or new_rank is None or new_rank > old_rank:
                out.append(f"roleRef {before} → {after}")
        return out
    if kind in ("Role", "ClusterRole"):
        out = []
        if old is None:
            wild = sorted(p for p in _perms(new) if "*" in p[:3])
            if wild:
                out.append("new role with wildcards: " + short_list(_perm_text(p) for p in wild))
        else:
            old_perms = _perms(old)
            wider = sorted(p for p in _perms(new) if not _covered(p, old_perms))
            if wider:
                out.append("grants more: " + short_list(_perm_text(p) for p in wider))
        if (
            canonical((old or {}).get("aggregationRule")) != canonical(new.get("aggregationRule"))
            and new.get("aggregationRule") is not None
        ):
            out.append("aggregationRule changed: the role gathers rules from other roles")
        return out
    return []


def short_list(items: t.Iterable[str], limit: int = 6) -> str:
    items = list(items)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more
