"""Risk flags: changes a reviewer must not miss, listed before everything else.

Each rule looks at one :class:`~genplat.diff._model.ObjectDiff` (plus a little context) and says
why the change is risky. The rules, in the order they are listed:

kept-on-removal          an object the GitOps controller keeps when it leaves the bundle (Flux
                         kustomize.toolkit.fluxcd.io/prune: disabled, kapp
                         kapp.k14s.io/delete-strategy: orphan: tenant namespaces, offerings' XRs)
                         is removed, renamed or moved away: it stays in the cluster, orphaned,
                         with its data
namespace-removed        a Namespace is deleted (and with it everything inside it)
crd-removed              a CustomResourceDefinition or a Crossplane CompositeResourceDefinition
                         (which defines an offering's XR CRD, and a claim CRD before v2) is deleted
protected-removed        a guardrail object is deleted: a Kyverno (Cluster)Policy, a
                         ValidatingAdmissionPolicy or its binding, an admission webhook
                         configuration, a ResourceQuota or a LimitRange
default-deny-removed     a deny-all NetworkPolicy (every pod, no rules) is deleted
object-deleted           any other object is deleted; renames and moves between bundles count,
                         because Kubernetes deletes the old object and creates a new one
allowlist-widened        (blueprints) spec.policies.allowedRegistries gains a registry or goes away
guardrail-disabled       (blueprints) requireLimits, forbidLatest or forbidPrivileged turned off;
                         requiredLabels dropped
secret-allowed           (blueprints) spec.secrets.allow declares a value not secret (or changes why)
pod-security-lowered     a Namespace's enforced Pod Security level is lowered (or its label removed)
rbac-widened             a binding or role grants more than before, except the standard tenant
                         grants (a RoleBinding in a tenant's namespace to ClusterRole admin, edit
                         or view, for users, groups or the namespace's own service accounts);
                         ClusterRoleBindings are named cluster-wide
network-peers-added      genplat's peer policies (allow-from-peers, allow-to-peers) open traffic to
                         or from another tenant's namespace
network-policy-loosened  a NetworkPolicy deleted; an ingress/egress rule that no old rule covers
                         (new peers, broader selectors or CIDRs, fewer port limits); policyTypes
                         dropped; spec.podSelector changed; a new allow policy in an existing namespace
quota-raised             a ResourceQuota hard limit raised or dropped; a LimitRange max raised or
                         dropped
image-registry-changed   an image now comes from a registry the object (for a new object: the
                         whole base side) did not use
"""

from __future__ import annotations

import ipaddress
import typing as t

from genplat.core.quantity import parse_quantity
from genplat.diff._compare import canonical
from genplat.diff._model import Document, ObjectDiff, ObjectKey, Risk

RULES: dict[str, str] = {
    "kept-on-removal": "Kept object removed",
    "namespace-removed": "Namespace removed",
    "crd-removed": "CRD removed",
    "protected-removed": "Guardrail object removed",
    "default-deny-removed": "Default-deny removed",
    "object-deleted": "Object deleted",
    "allowlist-widened": "Registry allowlist widened",
    "guardrail-disabled": "Policy turned off",
    "secret-allowed": "Value declared not secret",
    "pod-security-lowered": "Pod Security lowered",
    "rbac-widened": "RBAC widened",
    "network-peers-added": "Network peers added",
    "network-policy-loosened": "Network policy loosened",
    "quota-raised": "Quota raised",
    "image-registry-changed": "Image from a new registry",
}
_ORDER = {rule: i for i, rule in enumerate(RULES)}

RBAC = "rbac.authorization.k8s.io"
_ROLE_RANK = {"view": 1, "edit": 2, "admin": 3, "cluster-admin": 4}
# The roles genplat grants tenants in their own namespaces (access.admins/developers/viewers).
STANDARD_ROLES = ("admin", "edit", "view")
# Objects that enforce the platform's guardrails: deleting one silently lifts a restriction.
PROTECTED = {
    ("kyverno.io", "ClusterPolicy"),
    ("kyverno.io", "Policy"),
    ("policies.kyverno.io", "ValidatingPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
}
PSA_LEVELS = {"privileged": 0, "baseline": 1, "restricted": 2}
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PEER_POLICIES = ("allow-from-peers", "allow-to-peers")


class Context(t.Protocol):
    def base_registries(self) -> set[str]: ...

    def namespace_added(self, bundle: str, namespace: str) -> bool: ...


def assess(diffs: t.Iterable[ObjectDiff], ctx: Context) -> list[Risk]:
    diffs = list(diffs)
    # Objects removed together with their namespace are covered by the one namespace-removed flag.
    gone = {
        (d.base.key.bundle, d.base.key.name): 0
        for d in diffs
        if d.base is not None
        and d.status == "removed"
        and _deleted_rule(d.base.key) == "namespace-removed"
        and not _protection(d.base.obj)
    }
    for d in diffs:
        if d.base is not None and d.status == "removed" and (d.base.key.bundle, d.base.key.namespace) in gone:
            gone[(d.base.key.bundle, d.base.key.namespace)] += 1
    out: list[Risk] = []
    for d in diffs:
        if d.base is not None and d.status == "removed":
            k = d.base.key
            if (k.bundle, k.namespace) in gone:
                continue
            if (k.bundle, k.name) in gone and _deleted_rule(k) == "namespace-removed":
                n = gone[(k.bundle, k.name)]
                inside = f" with the {n} object{'s' if n != 1 else ''} removed from it" if n else ""
                out.append(Risk("namespace-removed", k, f"deleted{inside}; anything else in the namespace goes too"))
                continue
        out.extend(_deletions(d))
        old = d.base.obj if d.base else None
        new = d.head.obj if d.head else None
        key = d.key
        group = key.group
        kind = key.kind
        added_ns = new is not None and ctx.namespace_added(key.bundle, key.namespace)
        if group == RBAC:
            if not (d.tenant and _standard_grant(kind, key.namespace, old, new)):
                out.extend(Risk("rbac-widened", key, m) for m in _rbac(kind, old, new))
        elif group == "networking.k8s.io" and kind == "NetworkPolicy":
            if new is None and _default_deny(old):
                continue  # default-deny-removed says it
            rule = "network-peers-added" if key.name in PEER_POLICIES else "network-policy-loosened"
            out.extend(Risk(rule, key, m) for m in _netpol(old, new, added_ns))
        elif group == "" and kind in ("ResourceQuota", "LimitRange"):
            raised = _quota(kind, old, new) if new is not None else []
            if raised:  # one flag per object, however many limits changed
                out.append(Risk("quota-raised", key, "; ".join(raised)))
        elif group == "" and kind == "Namespace" and old is not None and new is not None:
            lowered = _pod_security(old, new)
            if lowered:
                out.append(Risk("pod-security-lowered", key, lowered))
        if new is not None:
            out.extend(Risk("image-registry-changed", key, m) for m in _images(old, new, ctx))
    out.sort(key=risk_order)
    return out


_NO_KEY = ObjectKey("", "", "", "", "")


def risk_order(r: Risk) -> tuple[t.Any, ...]:
    """Rule order, blueprint-level flags before object flags, then object and message."""
    return (_ORDER[r.rule], r.key is not None, r.key or _NO_KEY, r.message)


def _ref(doc: Document) -> str:
    k = doc.key
    return f"{k.kind} {k.namespace}/{k.name}" if k.namespace else f"{k.kind} {k.name}"


def _deleted_rule(key: ObjectKey, obj: dict[str, t.Any] | None = None) -> str:
    if key.kind == "Namespace" and key.group == "":
        return "namespace-removed"
    if (key.group, key.kind) in PROTECTED:
        return "protected-removed"
    if key.group == "networking.k8s.io" and key.kind == "NetworkPolicy" and _default_deny(obj):
        return "default-deny-removed"
    if key.kind == "CustomResourceDefinition" and key.group == "apiextensions.k8s.io":
        return "crd-removed"
    if key.kind == "CompositeResourceDefinition" and key.group == "apiextensions.crossplane.io":
        return "crd-removed"
    return "object-deleted"


# Annotations that make the GitOps controller keep an object it no longer finds in the bundle.
PROTECTING = {"kustomize.toolkit.fluxcd.io/prune": "disabled", "kapp.k14s.io/delete-strategy": "orphan"}


def _protection(obj: dict[str, t.Any]) -> str | None:
    """``key: value`` of the annotation that keeps ``obj`` in the cluster when it leaves the bundle."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(ann, dict):
        for key, value in PROTECTING.items():
            if ann.get(key) == value:
                return f"{key}: {value}"
    return None


def _deletions(d: ObjectDiff) -> list[Risk]:
    if d.base is None:
        return []
    key = d.base.key
    kept = _protection(d.base.obj)
    if kept and d.status in ("removed", "renamed", "moved"):
        if d.status == "moved" and (d.head is None or d.head.key.bundle == key.bundle):
            return []
        how = {
            "removed": "removed",
            "renamed": f"renamed to {_ref(d.head)}" if d.head else "renamed",
            "moved": f"moved to bundle {d.head.key.bundle}" if d.head else "moved",
        }[d.status]
        return [
            Risk(
                "kept-on-removal",
                key,
                f"{how}, but kept ({kept}): the controller leaves it, and the data it holds, in the "
                "cluster, orphaned; restore its blueprint if this was a mistake, or delete it by hand",
            )
        ]
    rule = _deleted_rule(key, d.base.obj)
    extra = ""
    if rule == "protected-removed":
        title = ((d.base.obj.get("metadata") or {}).get("annotations") or {}).get("policies.kyverno.io/title")
        extra = f" ({title})" if title else ""
        extra += "; the restriction it enforced no longer applies"
    elif rule == "default-deny-removed":
        extra = "; traffic the other policies do not allow is no longer denied"
    elif rule == "namespace-removed":
        extra = "; everything in the namespace is deleted with it"
    elif key.kind == "CompositeResourceDefinition":
        extra = _xrd_consequence(d.base.obj)
    elif rule == "crd-removed":
        extra = "; every custom resource of this type is deleted with it"
    if d.status == "removed":
        return [Risk(rule, key, f"deleted{extra}")]
    if d.status == "renamed" and d.head is not None:
        return [Risk(rule, key, f"renamed to {_ref(d.head)}: the old object is deleted and a new one created{extra}")]
    if d.status == "moved" and d.head is not None and d.head.key.bundle != key.bundle:
        return [Risk(rule, key, f"moved to bundle {d.head.key.bundle}: deleted from this bundle's cluster{extra}")]
    return []


def _xrd_consequence(obj: dict[str, t.Any]) -> str:
    """What deleting an XRD takes with it, naming the kinds: Crossplane v2 XRDs define no claim."""
    kinds = []
    for field, role in (("names", ""), ("claimNames", " (claim)")):
        names = _spec(obj).get(field)
        if isinstance(names, dict) and isinstance(names.get("kind"), str) and names["kind"]:
            kinds.append(names["kind"] + role)
    if not kinds:
        return "; Crossplane deletes the CRDs it defines, and every resource of those types"
    if len(kinds) == 1:
        return (
            f"; Crossplane deletes the {kinds[0]} CRD it defines, and with it every {kinds[0]} and the "
            f"resources composed for it"
        )
    return (
        f"; Crossplane deletes the {' and '.join(kinds)} CRDs it defines, and with them every such resource "
        f"and the resources composed for it"
    )


# --- Pod Security, default deny --------------------------------------------------------------------


def _pod_security(old: dict[str, t.Any], new: dict[str, t.Any]) -> str:
    def level(obj: dict[str, t.Any]) -> str:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return str(labels.get(PSA_ENFORCE) or "privileged")  # no label: nothing is enforced

    before, after = level(old), level(new)
    if PSA_LEVELS.get(after, 0) < PSA_LEVELS.get(before, 0):
        return f"enforced level {before} → {after}: pods the {before} profile refuses are admitted"
    return ""


def _default_deny(obj: dict[str, t.Any] | None) -> bool:
    """A policy selecting every pod with policy types and no rules: it denies all it covers."""
    if obj is None:
        return False
    spec = _spec(obj)
    return (
        spec.get("podSelector") in ({}, None)
        and bool(spec.get("policyTypes"))
        and not spec.get("ingress")
        and not spec.get("egress")
    )


# --- RBAC -----------------------------------------------------------------------------------------


def _standard_grant(kind: str, namespace: str, old: dict[str, t.Any] | None, new: dict[str, t.Any] | None) -> bool:
    """A tenant RoleBinding to one of the standard tenant roles, for people or the namespace's own
    service accounts, whose roleRef did not change: what every tenant gets (the summary lists who)."""
    if kind != "RoleBinding" or new is None:
        return False
    ref = new.get("roleRef") or {}
    if not isinstance(ref, dict) or ref.get("kind") != "ClusterRole" or ref.get("name") not in STANDARD_ROLES:
        return False
    if old is not None and _role_ref(old) != _role_ref(new):
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


def _subjects(obj: dict[str, t.Any] | None) -> list[str]:
    subjects = (obj or {}).get("subjects") or []
    out = []
    for s in subjects if isinstance(subjects, list) else []:
        if isinstance(s, dict):
            ns = f"{s.get('namespace')}/" if s.get("namespace") else ""
            out.append(f"{s.get('kind', '?')} {ns}{s.get('name', '?')}")
    return sorted(set(out))


def _role_ref(obj: dict[str, t.Any] | None) -> str:
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


def _rbac(kind: str, old: dict[str, t.Any] | None, new: dict[str, t.Any] | None) -> list[str]:
    if new is None:
        return []
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        subjects = _subjects(new)
        scope = "cluster-wide: " if kind == "ClusterRoleBinding" else ""
        if old is None:
            return [f"{scope}grants {_role_ref(new)} to {', '.join(subjects) or 'no subjects'}"]
        out = []
        added = sorted(set(subjects) - set(_subjects(old)))
        if added:
            out.append(f"{scope}grants {_role_ref(new)} to more subjects: {', '.join(added)}")
        before, after = _role_ref(old), _role_ref(new)
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
                out.append("new role with wildcards: " + _list(_perm_text(p) for p in wild))
        else:
            old_perms = _perms(old)
            wider = sorted(p for p in _perms(new) if not _covered(p, old_perms))
            if wider:
                out.append("grants more: " + _list(_perm_text(p) for p in wider))
        if (
            canonical((old or {}).get("aggregationRule")) != canonical(new.get("aggregationRule"))
            and new.get("aggregationRule") is not None
        ):
            out.append("aggregationRule changed: the role gathers rules from other roles")
        return out
    return []


def _list(items: t.Iterable[str], limit: int = 6) -> str:
    items = list(items)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


# --- NetworkPolicy ---------------------------------------------------------------------------------


def _spec(obj: dict[str, t.Any]) -> dict[str, t.Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _types(spec: dict[str, t.Any]) -> list[str]:
    types = spec.get("policyTypes")
    if isinstance(types, list):
        return [str(x) for x in types]
    return ["Ingress"] + (["Egress"] if spec.get("egress") else [])


def _constraints(selector: t.Any) -> list[tuple[str, str, frozenset[str]]]:
    sel = selector if isinstance(selector, dict) else {}
    out = [(str(k), "In", frozenset([str(v)])) for k, v in (sel.get("matchLabels") or {}).items()]
    for e in sel.get("matchExpressions") or []:
        if isinstance(e, dict):
            out.append((str(e.get("key")), str(e.get("operator")), frozenset(str(v) for v in e.get("values") or [])))
    return out


def _implies(n: tuple[str, str, frozenset[str]], b: tuple[str, str, frozenset[str]]) -> bool:
    """Whether every label set meeting constraint ``n`` also meets ``b``."""
    if n[0] != b[0]:
        return False
    if b[1] == "In":
        return n[1] == "In" and n[2] <= b[2]
    if b[1] == "NotIn":
        return (n[1] == "NotIn" and b[2] <= n[2]) or (n[1] == "In" and not n[2] & b[2]) or n[1] == "DoesNotExist"
    if b[1] == "Exists":
        return n[1] in ("In", "Exists")
    return n == b


def _selector_covers(broad: t.Any, narrow: t.Any) -> bool:
    """Whether label selector ``broad`` selects everything ``narrow`` selects."""
    narrow_c = _constraints(narrow)
    return all(any(_implies(n, b) for n in narrow_c) for b in _constraints(broad))


def _ip_covers(old: dict[str, t.Any], new: dict[str, t.Any]) -> bool:
    try:
        o_net = ipaddress.ip_network(str(old.get("cidr")), strict=False)
        n_net = ipaddress.ip_network(str(new.get("cidr")), strict=False)
        o_ex = [ipaddress.ip_network(str(x), strict=False) for x in old.get("except") or []]
        n_ex = [ipaddress.ip_network(str(x), strict=False) for x in new.get("except") or []]
    except ValueError:
        return canonical(old) == canonical(new)
    if o_net.version != n_net.version or not n_net.subnet_of(o_net):  # type: ignore[arg-type]
        return False
    for ex in o_ex:
        if ex.version != n_net.version or not ex.overlaps(n_net):
            continue
        if not ex.subnet_of(n_net):  # type: ignore[arg-type]
            return False  # the new block lies inside what the old one excluded
        if not any(ex.version == e.version and ex.subnet_of(e) for e in n_ex):  # type: ignore[arg-type]
            return False
    return True


def _peer_covers(old: t.Any, new: t.Any) -> bool:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    if "ipBlock" in old or "ipBlock" in new:
        return (
            isinstance(old.get("ipBlock"), dict)
            and isinstance(new.get("ipBlock"), dict)
            and _ip_covers(old["ipBlock"], new["ipBlock"])
        )
    o_ns, n_ns = old.get("namespaceSelector"), new.get("namespaceSelector")
    if o_ns is None and n_ns is not None:
        return False  # old: this namespace only; new: other namespaces too
    if o_ns is not None and n_ns is None:
        return False  # cannot tell whether the old selector picks the policy's own namespace
    if o_ns is not None and not _selector_covers(o_ns, n_ns):
        return False
    return _selector_covers(old.get("podSelector"), new.get("podSelector"))


def _port_key(p: t.Any) -> str:
    if not isinstance(p, dict):
        return canonical(p)
    return canonical({"protocol": p.get("protocol", "TCP"), "port": p.get("port"), "endPort": p.get("endPort")})


def _rule_covers(old: dict[str, t.Any], new: dict[str, t.Any], peers: str) -> bool:
    o_ports, n_ports = old.get("ports") or [], new.get("ports") or []
    if o_ports and (not n_ports or not {_port_key(p) for p in n_ports} <= {_port_key(p) for p in o_ports}):
        return False
    o_peers, n_peers = old.get(peers) or [], new.get(peers) or []
    if not o_peers:
        return True
    if not n_peers:
        return False
    return all(any(_peer_covers(o, n) for o in o_peers) for n in n_peers)


NAMESPACE_NAME = "kubernetes.io/metadata.name"


def _selector_text(sel: t.Any) -> str:
    """A label selector as kubectl writes one: ``app=web, tier in (a, b), !legacy``."""
    parts = []
    for key, op, values in _constraints(sel):
        vals = ", ".join(sorted(values))
        parts.append(
            {
                "In": f"{key} in ({vals})" if len(values) != 1 else f"{key}={vals}",
                "NotIn": f"{key} notin ({vals})",
                "Exists": key,
                "DoesNotExist": f"!{key}",
            }.get(op, f"{key} {op} ({vals})")
        )
    return ", ".join(parts)


def _namespace_names(sel: t.Any) -> frozenset[str] | None:
    """The namespaces a selector names, when it only selects by name (``kubernetes.io/metadata.name In``)."""
    c = _constraints(sel)
    if len(c) == 1 and c[0][0] == NAMESPACE_NAME and c[0][1] == "In":
        return c[0][2]
    return None


def _peer_text(peer: t.Any, known: frozenset[str] = frozenset()) -> str:
    """One NetworkPolicy peer in words; namespaces in ``known`` (allowed before) are not marked new."""
    if not isinstance(peer, dict):
        return canonical(peer)
    if isinstance(peer.get("ipBlock"), dict):
        block = peer["ipBlock"]
        excepts = [str(x) for x in block.get("except") or []]
        return f"{block.get('cidr')}" + (f" except {', '.join(excepts)}" if excepts else "")
    pods = peer.get("podSelector")
    who = f"pods where {_selector_text(pods)}" if _constraints(pods) else "all pods"
    if "namespaceSelector" not in peer:
        return f"{who} in this namespace"
    ns = peer.get("namespaceSelector")
    names = _namespace_names(ns)
    if names is not None:
        new = sorted(names - known)
        marked = f" (new: {', '.join(new)})" if known and new else ""
        where = f"namespace{'s' if len(names) != 1 else ''} {', '.join(sorted(names))}{marked}"
    elif _constraints(ns):
        where = f"namespaces where {_selector_text(ns)}"
    else:
        where = "all namespaces"
    return where if who == "all pods" else f"{who} in {where}"


def _rule_text(rule: dict[str, t.Any], peers: str, old_rules: t.Sequence[dict[str, t.Any]] = ()) -> str:
    """A rule in words. For a changed rule only the peers no old rule allowed are named."""
    listed = list(rule.get(peers) or [])
    old_peers = [o for r in old_rules for o in r.get(peers) or []]
    uncovered = [p for p in listed if not any(_peer_covers(o, p) for o in old_peers)]
    if old_rules and uncovered:
        listed = uncovered  # otherwise the ports widened: name every peer
    known = frozenset(
        n for o in old_peers if isinstance(o, dict) for n in (_namespace_names(o.get("namespaceSelector")) or ())
    )
    parts = [_peer_text(p, known) for p in listed]
    ports = [
        f"{p.get('protocol', 'TCP')}/{p.get('port', 'any')}" for p in rule.get("ports") or [] if isinstance(p, dict)
    ]
    who = ("from " if peers == "from" else "to ") + ("; ".join(parts) if parts else "anywhere")
    return who + (f" on {', '.join(ports)}" if ports else " on any port")


def _netpol(old: dict[str, t.Any] | None, new: dict[str, t.Any] | None, namespace_is_new: bool) -> list[str]:
    if new is None:
        return ["deleted: the traffic it restricted is no longer restricted by it"]
    new_spec = _spec(new)
    if old is None:
        if namespace_is_new:
            return []
        rules = [(d, r) for d, key in (("ingress", "from"), ("egress", "to")) for r in new_spec.get(d) or []]
        if not rules:
            return []
        return [
            f"new policy allows {d} " + _rule_text(r, "from" if d == "ingress" else "to")
            for d, r in rules
            if isinstance(r, dict)
        ]
    old_spec = _spec(old)
    out = []
    dropped = [x for x in _types(old_spec) if x not in _types(new_spec)]
    if dropped:
        out.append(f"policyTypes no longer include {', '.join(dropped)}")
    if canonical(old_spec.get("podSelector")) != canonical(new_spec.get("podSelector")):
        out.append("spec.podSelector changed: the policy now applies to different pods")
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        old_rules = [r for r in old_spec.get(direction) or [] if isinstance(r, dict)]
        for rule in new_spec.get(direction) or []:
            if isinstance(rule, dict) and not any(_rule_covers(o, rule, peers) for o in old_rules):
                out.append(f"{direction} rule allows more: " + _rule_text(rule, peers, old_rules))
    return out


# --- quota -----------------------------------------------------------------------------------------


def _bounds(kind: str, obj: dict[str, t.Any]) -> dict[str, t.Any]:
    spec = _spec(obj)
    if kind == "ResourceQuota":
        hard = spec.get("hard")
        return {f"hard[{k}]": v for k, v in hard.items()} if isinstance(hard, dict) else {}
    out = {}
    for item in spec.get("limits") or []:
        if isinstance(item, dict) and isinstance(item.get("max"), dict):
            out.update({f"{item.get('type', '?')} max[{k}]": v for k, v in item["max"].items()})
    return out


def _quota(kind: str, old: dict[str, t.Any] | None, new: dict[str, t.Any] | None) -> list[str]:
    if old is None:
        return []
    if new is None:
        return [f"{kind} deleted: its limits no longer apply"]
    before, after = _bounds(kind, old), _bounds(kind, new)
    out = []
    for name, value in before.items():
        if name not in after:
            out.append(f"{name} {value} dropped (no longer limited)")
            continue
        a, b = parse_quantity(value), parse_quantity(after[name])
        if a is None or b is None:
            if canonical(value) != canonical(after[name]):
                out.append(f"{name}: {value} → {after[name]} (not comparable as quantities)")
        elif b > a:
            out.append(f"{name}: {value} → {after[name]}")
    return out


# --- images ----------------------------------------------------------------------------------------


def images(obj: t.Any) -> list[str]:
    """Every ``image:`` string in an object (containers, init containers, Tekton steps, …)."""
    found: list[str] = []
    stack = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "image" and isinstance(v, str):
                    found.append(v)
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(set(found))


def registry(image: str) -> str:
    """The registry host of an image reference, as the container runtime resolves it."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def _images(old: dict[str, t.Any] | None, new: dict[str, t.Any], ctx: Context) -> list[str]:
    new_images = images(new)
    if not new_images:
        return []
    old_images = images(old) if old is not None else []
    known = {registry(i) for i in old_images} if old_images else ctx.base_registries()
    out = []
    for image in new_images:
        reg = registry(image)
        if reg not in known:
            was = f" (was {', '.join(sorted({registry(i) for i in old_images}))})" if old_images else ""
            out.append(f"image {image} comes from registry {reg}{was}")
    return out
