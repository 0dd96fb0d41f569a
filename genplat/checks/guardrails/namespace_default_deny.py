"""Every tenant namespace has a default-deny ``NetworkPolicy``.

Default-deny means: ``podSelector: {}`` (all pods), ``policyTypes`` with both ``Ingress`` and ``Egress``,
and no rule that allows everything. A rule allows everything when it names no peers (``from``/``to``
missing or empty, or a peer ``{}``, ``namespaceSelector: {}`` alone, or ``ipBlock`` 0.0.0.0/0 or ::/0
without ``except``) *and* no ports. Narrow rules (DNS egress on port 53, say) are fine. Needs the
blueprints.
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails._context import Finding, View
from genplat.checks.guardrails._namespaces import missing
from genplat.core.diagnostics import Severity
from genplat.core.objects import RenderedObject

ID = "guardrail/namespace-default-deny"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def _open_peer(peer: t.Any) -> bool:
    if not isinstance(peer, dict) or not peer:
        return True
    block = peer.get("ipBlock")
    if isinstance(block, dict):
        return block.get("cidr") in ("0.0.0.0/0", "::/0") and not block.get("except")
    ns_sel = peer.get("namespaceSelector")
    return "podSelector" not in peer and isinstance(ns_sel, dict) and not any(ns_sel.values())


def _allows_all(rule: t.Any, peers_key: str) -> bool:
    if not isinstance(rule, dict):
        return False
    if rule.get("ports"):
        return False
    peers = rule.get(peers_key)
    return not peers or any(_open_peer(p) for p in peers)


def is_default_deny(ro: RenderedObject) -> bool:
    if not ro.api_version.startswith("networking.k8s.io/"):
        return False
    spec = ro.obj.get("spec")
    if not isinstance(spec, dict):
        return False
    selector = spec.get("podSelector")
    if not isinstance(selector, dict) or any(selector.values()):
        return False
    types = spec.get("policyTypes")
    if not isinstance(types, list) or not {"Ingress", "Egress"} <= set(types):
        return False
    if any(_allows_all(r, "from") for r in spec.get("ingress") or []):
        return False
    return not any(_allows_all(r, "to") for r in spec.get("egress") or [])


def check(view: View) -> t.Iterator[Finding]:
    yield from missing(
        view,
        "NetworkPolicy",
        "default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no allow-all rule)",
        "add the platform's default-deny NetworkPolicy to the tenant namespace",
        is_default_deny,
    )
