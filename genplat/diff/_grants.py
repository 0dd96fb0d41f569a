"""What a tenant that arrives (or leaves) is granted, read from its objects (report side).

A new tenant is a dozen objects nobody reads one by one; a reviewer needs what they grant: the
namespaces and their Pod Security level, who gets which role, the quota and container limits, where
traffic may come from and go to (and which other tenants), the images it runs, the secrets synced
into it and the resources it orders. Everything comes from the rendered objects (no blueprints
needed), so an output folder or OCI bundle reads the same. Facts that differ between bundles (the
namespace names of dev and prod) say where they hold.
"""

from __future__ import annotations

import typing as t

from genplat.diff import _netpol, _rbac
from genplat.diff._model import ObjectDiff, spec_of

PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
OFFERING_LABEL = "genplat.dev/offering"
PURPOSE_LABEL = "genplat.dev/purpose"
PEER_POLICIES = ("allow-from-peers", "allow-to-peers")


def _labels(obj: dict[str, t.Any]) -> dict[str, t.Any]:
    labels = (obj.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}


def _unique(items: t.Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _namespaces(objs: list[tuple[t.Any, dict[str, t.Any]]]) -> str:
    out = []
    for key, obj in objs:
        if key.kind == "Namespace" and key.group == "":
            level = _labels(obj).get(PSA_ENFORCE)
            extra = [f"Pod Security {level}" if level else "no Pod Security level"]
            if _labels(obj).get(PURPOSE_LABEL) == "build":
                extra.insert(0, "builds")
            out.append(f"{key.name} ({', '.join(extra)})")
    return ", ".join(out)


def _access(objs: list[tuple[t.Any, dict[str, t.Any]]]) -> str:
    grants: dict[str, list[str]] = {}
    for key, obj in objs:
        if key.group == _rbac.GROUP and key.kind in ("RoleBinding", "ClusterRoleBinding"):
            scope = " cluster-wide" if key.kind == "ClusterRoleBinding" else ""
            role = _rbac.role_ref(obj).removeprefix("ClusterRole ")
            for subject in _rbac.subjects(obj):
                grants.setdefault(f"{role}{scope}", []).append(subject)
        elif key.group == _rbac.GROUP and key.kind in ("Role", "ClusterRole"):
            grants.setdefault(f"its own {key.kind} {key.name}", [])
    return "; ".join(f"{role} to {', '.join(_unique(who))}" if who else role for role, who in sorted(grants.items()))


_FIRST = ("cpu", "memory", "pods")


def _base(name: str) -> str:
    return name.removeprefix("requests.").removeprefix("limits.")


def _quantities(values: dict[str, t.Any]) -> str:
    """``cpu 4, memory 8Gi`` where requests and limits agree, each on its own otherwise; cpu, memory
    and pods first."""
    out = []
    order = {name: i for i, name in enumerate(_FIRST)}
    for name, value in sorted(values.items(), key=lambda kv: order.get(_base(kv[0]), len(order))):
        base = _base(name)
        if name.startswith("limits.") and values.get(f"requests.{base}") == value:
            continue
        if name.startswith("requests.") and values.get(f"limits.{base}") == value:
            out.append(f"{base} {value}")
        else:
            out.append(f"{name} {value}")
    return ", ".join(out)


def _quota(objs: list[tuple[t.Any, dict[str, t.Any]]]) -> str:
    out = []
    for key, obj in sorted(objs, key=lambda ko: ko[0].kind != "ResourceQuota"):
        spec = spec_of(obj)
        if key.kind == "ResourceQuota" and isinstance(spec.get("hard"), dict):
            out.append(_quantities(spec["hard"]))
        elif key.kind == "LimitRange":
            for item in spec.get("limits") or []:
                if isinstance(item, dict) and isinstance(item.get("max"), dict):
                    out.append(f"each {str(item.get('type', 'item')).lower()} at most {_quantities(item['max'])}")
    return "; ".join(_unique(out))


def _peer_names(peer: t.Any) -> list[str]:
    """A NetworkPolicy peer as short names: namespaces, ``own namespace``, a CIDR, a selector."""
    if not isinstance(peer, dict):
        return []
    if "namespaceSelector" not in peer and "ipBlock" not in peer:
        return ["own namespace"]
    names = _netpol.namespace_names(peer.get("namespaceSelector"))
    return sorted(names) if names is not None else [_netpol.peer_text(peer)]


def _network(objs: list[tuple[t.Any, dict[str, t.Any]]]) -> str:
    deny = False
    peers: dict[str, list[str]] = {"in from": [], "out to": []}
    seen: dict[str, list[str]] = {"in from": [], "out to": []}
    for key, obj in objs:
        if key.kind != "NetworkPolicy" or key.group != "networking.k8s.io":
            continue
        deny = deny or _netpol.default_deny(obj)
        for direction, field, word in (("ingress", "from", "in from"), ("egress", "to", "out to")):
            for rule in spec_of(obj).get(direction) or []:
                for peer in (rule or {}).get(field) or [] if isinstance(rule, dict) else []:
                    (peers if key.name in PEER_POLICIES else seen)[word].extend(_peer_names(peer))
    parts = ["default deny"] if deny else ["no default deny"]
    parts += [f"{word} {', '.join(_unique(names))}" for word, names in seen.items() if names]
    tenant_peers = [f"{word} {', '.join(_unique(names))}" for word, names in peers.items() if names]
    parts.append("tenant peers: " + ("; ".join(tenant_peers) if tenant_peers else "none"))
    return "; ".join(parts)


def _images(objs: list[tuple[t.Any, dict[str, t.Any]]]) -> str:
    found: list[str] = []
    stack: list[t.Any] = [obj for _, obj in objs]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "image" and isinstance(v, str):
                    found.append(v.split("@", 1)[0])  # the tag says which; the digest pins it
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    return ", ".join(_unique(found)) or "none"


def _secrets(objs: list[tuple[t.Any, dict[str, t.Any]]]) -> str:
    by_store: dict[str, list[str]] = {}
    for key, obj in objs:
        if key.kind == "ExternalSecret":
            store = spec_of(obj).get("secretStoreRef")
            where = f"{store.get('kind', '')} {store.get('name', '')}".strip() if isinstance(store, dict) else ""
            by_store.setdefault(where, []).append(key.name)
    return "; ".join(f"{', '.join(names)}" + (f" from {store}" if store else "") for store, names in by_store.items())


def _resources(objs: list[tuple[t.Any, dict[str, t.Any]]]) -> str:
    out = [
        f"{key.kind} {key.name} ({_labels(obj)[OFFERING_LABEL]})"
        for key, obj in objs
        if _labels(obj).get(OFFERING_LABEL)
    ]
    return ", ".join(out) or "none"


FACTS: tuple[tuple[str, t.Callable[[list[tuple[t.Any, dict[str, t.Any]]]], str]], ...] = (
    ("namespaces", _namespaces),
    ("access", _access),
    ("quota", _quota),
    ("network", _network),
    ("images", _images),
    ("secrets synced", _secrets),
    ("resources ordered", _resources),
)


def grants(objects: t.Sequence[ObjectDiff]) -> list[str]:
    """``label: text`` lines of what these objects grant; a line true in some bundles only says where."""
    bundles: dict[str, list[tuple[t.Any, dict[str, t.Any]]]] = {}
    for o in objects:
        bundles.setdefault(o.key.bundle, []).append((o.key, o.doc.obj))
    lines: dict[str, list[str]] = {}
    for bundle, objs in bundles.items():
        for label, fact in FACTS:
            text = fact(objs)
            if text:
                lines.setdefault(f"{label}: {text}", []).append(bundle)
    return [line if len(where) == len(bundles) else f"{line} (in {', '.join(where)})" for line, where in lines.items()]
