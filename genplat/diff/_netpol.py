"""NetworkPolicy semantics for the risk rules: whether a policy lets more traffic through than its
old version, said in words.

An ingress or egress rule is looser when no old rule covers it: new or broader peers (label
selectors compared constraint by constraint, ``In`` value sets, CIDRs and ``except`` blocks) or fewer
port limits. Dropping a policy type, changing ``spec.podSelector`` and a new allow policy in an
existing namespace count too. A default-deny policy selects every pod, names policy types and has no
rules.
"""

from __future__ import annotations

import ipaddress
import typing as t

from genplat.diff._compare import canonical
from genplat.diff._model import spec_of

NAMESPACE_NAME = "kubernetes.io/metadata.name"


def default_deny(obj: dict[str, t.Any] | None) -> bool:
    """A policy selecting every pod with policy types and no rules: it denies all it covers."""
    if obj is None:
        return False
    spec = spec_of(obj)
    return (
        spec.get("podSelector") in ({}, None)
        and bool(spec.get("policyTypes"))
        and not spec.get("ingress")
        and not spec.get("egress")
    )


def _types(spec: dict[str, t.Any]) -> list[str]:
    types = spec.get("policyTypes")
    if isinstance(types, list):
        return [str(x) for x in types]
    return ["Ingress"] + (["Egress"] if spec.get("egress") else [])


def constraints(selector: t.Any) -> list[tuple[str, str, frozenset[str]]]:
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
    narrow_c = constraints(narrow)
    return all(any(_implies(n, b) for n in narrow_c) for b in constraints(broad))


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


def selector_text(sel: t.Any) -> str:
    """A label selector as kubectl writes one: ``app=web, tier in (a, b), !legacy``."""
    parts = []
    for key, op, values in constraints(sel):
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


def namespace_names(sel: t.Any) -> frozenset[str] | None:
    """The namespaces a selector names, when it only selects by name (``kubernetes.io/metadata.name In``)."""
    c = constraints(sel)
    if len(c) == 1 and c[0][0] == NAMESPACE_NAME and c[0][1] == "In":
        return c[0][2]
    return None


def peer_text(peer: t.Any, known: frozenset[str] = frozenset()) -> str:
    """One NetworkPolicy peer in words; namespaces in ``known`` (allowed before) are not marked new."""
    if not isinstance(peer, dict):
        return canonical(peer)
    if isinstance(peer.get("ipBlock"), dict):
        block = peer["ipBlock"]
        excepts = [str(x) for x in block.get("except") or []]
        return f"{block.get('cidr')}" + (f" except {', '.join(excepts)}" if excepts else "")
    pods = peer.get("podSelector")
    who = f"pods where {selector_text(pods)}" if constraints(pods) else "all pods"
    if "namespaceSelector" not in peer:
        return f"{who} in this namespace"
    ns = peer.get("namespaceSelector")
    names = namespace_names(ns)
    if names is not None:
        new = sorted(names - known)
        marked = f" (new: {', '.join(new)})" if known and new else ""
        where = f"namespace{'s' if len(names) != 1 else ''} {', '.join(sorted(names))}{marked}"
    elif constraints(ns):
        where = f"namespaces where {selector_text(ns)}"
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
        n for o in old_peers if isinstance(o, dict) for n in (namespace_names(o.get("namespaceSelector")) or ())
    )
    parts = [peer_text(p, known) for p in listed]
    ports = [
        f"{p.get('protocol', 'TCP')}/{p.get('port', 'any')}" for p in rule.get("ports") or [] if isinstance(p, dict)
    ]
    who = ("from " if peers == "from" else "to ") + ("; ".join(parts) if parts else "anywhere")
    return who + (f" on {', '.join(ports)}" if ports else " on any port")


def loosened(old: dict[str, t.Any] | None, new: dict[str, t.Any] | None, namespace_is_new: bool) -> list[str]:
    if new is None:
        return ["deleted: the traffic it restricted is no longer restricted by it"]
    new_spec = spec_of(new)
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
    old_spec = spec_of(old)
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
