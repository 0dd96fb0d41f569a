"""Attribution: which blueprint value caused each object change (beside the compare, after render).

The ``# source:`` comment of an object says which blueprint value it was rendered from, but not
always what changed it: a tenant's ``allow-to-peers`` policy lists the tenants that accept its
traffic, so a new peer there is caused by the *other* tenant's ``allowFrom``; quotas follow the
tenant's tier (or the tier's definition); Pod Security labels follow the platform's policy. In
order, an object change is credited to:

1. for ``allow-to-peers`` / ``allow-from-peers`` NetworkPolicies: the ``allowFrom`` entry that adds
   or removes each peer namespace (in the peer tenant's blueprint for ``allow-to-peers``);
2. for ResourceQuota/LimitRange: the tenant's tier change, else the tier definition's change;
3. for Pod Security labels of a Namespace: ``spec.policies.podSecurity``;
4. the blueprint change (from the summary) at, inside or around the object's source path;
5. the object's source itself (a ``file:line`` comment, or an anchor resolved to its line).
"""

from __future__ import annotations

import typing as t

from genplat.diff._model import DiffResult, Document, ObjectDiff, Risk
from genplat.diff._summary import SummaryItem
from genplat.loader.sources import Blueprints, Cause, resolve_source

NAME_LABEL = "kubernetes.io/metadata.name"
_PEER_POLICIES = {"allow-to-peers": "to", "allow-from-peers": "from"}


def _within(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer + ".") or inner.startswith(outer + "[")


def _peer_namespaces(obj: dict[str, t.Any] | None, peers: str) -> set[str]:
    out: set[str] = set()
    spec = (obj or {}).get("spec") or {}
    for rule in spec.get("egress" if peers == "to" else "ingress") or []:
        for peer in (rule or {}).get(peers) or []:
            sel = (peer or {}).get("namespaceSelector") or {}
            for e in sel.get("matchExpressions") or []:
                if isinstance(e, dict) and e.get("key") == NAME_LABEL and e.get("operator") == "In":
                    out.update(str(v) for v in e.get("values") or [])
            name = (sel.get("matchLabels") or {}).get(NAME_LABEL)
            if name:
                out.add(str(name))
    return out


class _Attributor:
    def __init__(self, result: DiffResult, base: Blueprints | None, head: Blueprints | None) -> None:
        self.base, self.head = base, head
        self.items: list[SummaryItem] = list(result.summary)
        self.tenants = sorted(
            {
                *(base.tenants if base else ()),
                *(head.tenants if head else ()),
                *(o.tenant for o in result.objects if o.tenant),
            },
            key=len,
            reverse=True,
        )
        # allow-from-peers objects by (bundle, namespace): the fallback when no blueprints say who allowed whom
        self.new_bundles = set(result.bundles_added) | set(result.bundles_removed)
        self.from_peers = {
            (o.key.bundle, o.key.namespace): o
            for o in result.objects
            if o.key.kind == "NetworkPolicy" and o.key.name == "allow-from-peers"
        }

    def tenant_of(self, namespace: str) -> str | None:
        return next((tn for tn in self.tenants if namespace.startswith(tn + "-")), None)

    def source(self, doc: Document, side: Blueprints | None) -> Cause | None:
        return resolve_source(doc.source, side) if doc.source else None

    def cause(self, o: ObjectDiff) -> Cause | None:
        side = self.head if o.head is not None else self.base
        src = self.source(o.doc, side)
        k = o.key
        if k.kind == "NetworkPolicy" and k.name in _PEER_POLICIES:
            found = self._peers(o)
            if found is not None:
                return found
        if k.kind in ("ResourceQuota", "LimitRange") and o.tenant:
            found = self._tier(o.tenant)
            if found is not None:
                return found
        if o.status in ("added", "removed"):
            found = self._arrival(o)
            if found is not None:
                return found
        if (
            k.kind == "Namespace"
            and o.status == "changed"
            and all("pod-security.kubernetes.io" in str(c.path) for c in o.changes)
        ):
            found = next(
                (
                    i.cause
                    for i in self.items
                    if i.topic == "policy" and i.cause.path.startswith("spec.policies.podSecurity")
                ),
                None,
            )
            if found is not None:
                return found
        if src is not None:
            around = [
                i
                for i in self.items
                if i.cause.file == src.file
                and src.path
                and i.cause.path
                and (_within(i.cause.path, src.path) or _within(src.path, i.cause.path))
            ]
            if around:
                return max(around, key=lambda i: len(i.cause.path)).cause
        return src

    def _arrival(self, o: ObjectDiff) -> Cause | None:
        """Objects of a new (or removed) bundle come with its environment or cluster; a tenant's
        namespace comes with the tenant, or with the tenant joining (leaving) an environment."""
        k = o.key
        env, _, cluster = k.bundle.partition("/")
        if k.kind == "Namespace" and k.group == "" and o.tenant:
            for i in self.items:
                if i.tenant != o.tenant:
                    continue
                if i.topic == "tenant" and i.cause.path == "metadata.name":
                    return i.cause
                if i.topic == "environment" and i.cause.path == f"spec.environments[{env}]":
                    return i.cause
        if k.bundle in self.new_bundles:
            paths = (f"spec.environments[{env}].clusters[{cluster}]", f"spec.environments[{env}]")
            for want in paths:
                item = next((i for i in self.items if i.tenant is None and i.cause.path == want), None)
                if item is not None:
                    return item.cause
        return None

    def _tier(self, tenant: str) -> Cause | None:
        own = next((i for i in self.items if i.topic == "tier" and i.tenant == tenant), None)
        if own is not None:
            return Cause(own.cause.file, own.cause.line, own.cause.path, own.text.split(": ", 1)[-1])
        bp = (self.head.tenants.get(tenant) if self.head else None) or (
            self.base.tenants.get(tenant) if self.base else None
        )
        tier = bp.spec.get("tier") if bp is not None else None
        item = next(
            (i for i in self.items if i.topic == "tier-definition" and i.cause.path.startswith(f"spec.tiers.{tier}")),
            None,
        )
        return item.cause if item is not None else None

    def _peers(self, o: ObjectDiff) -> Cause | None:
        peers = _PEER_POLICIES[o.key.name]
        old = _peer_namespaces(o.base.obj if o.base else None, peers)
        new = _peer_namespaces(o.head.obj if o.head else None, peers)
        changed = sorted(new - old) or sorted(old - new)
        if not changed:
            return None
        me = o.tenant or self.tenant_of(o.key.namespace)
        ns = changed[0]
        peer = self.tenant_of(ns)
        if me is None or peer is None:
            return None
        added = ns in new
        # allow-from-peers of me: my allowFrom lists peer. allow-to-peers of me: peer's allowFrom lists me.
        owner, listed = (me, peer) if peers == "from" else (peer, me)
        side = self.head if added else self.base
        bp = side.tenants.get(owner) if side else None
        verb = "lists" if added else "no longer lists"
        note = f"{owner}'s allowFrom {verb} {listed}"
        if len(changed) > 1:
            note += f" (and {len(changed) - 1} more peer{'s' if len(changed) > 2 else ''})"
        if bp is not None and side is not None:
            allow = (bp.spec.get("network") or {}).get("allowFrom") or []
            path: tuple[str | int, ...] = ("spec", "network", "allowFrom")
            if listed in allow:
                path = (*path, allow.index(listed))
            return side.cause(bp, path, note)
        if peers == "to":  # no blueprints: the peer's own allow-from-peers policy says where it came from
            other = self.from_peers.get((o.key.bundle, ns))
            if other is not None and other.doc.source:
                src = resolve_source(other.doc.source, None)
                return Cause(src.file, src.line, src.path, note)
        return None


def attribute(result: DiffResult, base: Blueprints | None, head: Blueprints | None) -> None:
    """Set ``cause`` on every object change and every object risk flag that has none."""
    at = _Attributor(result, base, head)
    causes = {}
    for o in result.objects:
        o.cause = at.cause(o)
        for d in (o.base, o.head):
            if d is not None:
                causes[d.key] = o.cause
    result.risks = [
        r if r.cause is not None or r.key is None else Risk(r.rule, r.key, r.message, causes.get(r.key))
        for r in result.risks
    ]
