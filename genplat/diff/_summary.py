"""What changed in the blueprints' own terms (beside the compare of rendered objects, after render).

Both sides' blueprints are compared value by value with the same field compare as objects (list
items matched by ``name``), and the changes are gathered per unit a reviewer thinks in: a tenant, a
tenant's tier, a service (image, traffic split), an environment, an offering, a cluster, a policy
key. Each unit becomes one :class:`SummaryItem` with the blueprint file and line it is at
(``tenant umbrella: tier medium → large`` at ``blueprints/tenants/umbrella.yaml:9``).

The same pass finds the loosened platform policies that only the blueprints state plainly: a wider
registry allowlist, and ``requireLimits``/``forbidLatest``/``forbidPrivileged``/``requiredLabels``
turned off (:func:`policy_risks`).

Without blueprints on a side (an output folder, an OCI bundle), :func:`from_objects` says so and
summarises what the objects show: tenants and bundles that appear or disappear.
"""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.core.secrets import allowances_from, scan, shown
from genplat.diff._addons import summary_items as addon_summary
from genplat.diff._compare import compare
from genplat.diff._model import Change, ObjectDiff, Segment
from genplat.diff._values import flow_text
from genplat.loader.project import Blueprint
from genplat.loader.sources import Blueprints, Cause

Unit = tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class SummaryItem:
    """One line of the summary: ``topic`` (tenant, tier, service, image, traffic, environment, override, cluster,
    offering, resource, network, access, policy, tier-definition, pipeline, platform), the text, and
    the blueprint value it is about. ``tenant`` is the tenant concerned, if any."""

    topic: str
    text: str
    cause: Cause
    tenant: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class PolicyRisk:
    rule: str
    message: str
    cause: Cause


def _index_path(path: t.Sequence[Segment], data: t.Any) -> tuple[str | int, ...]:
    """A compare path (items matched by field) as the blueprint's own keys and indexes."""
    out: list[str | int] = []
    node = data
    for seg in path:
        if isinstance(seg, tuple):
            field, value = seg
            idx = next(
                (
                    i
                    for i, item in enumerate(node if isinstance(node, list) else [])
                    if isinstance(item, dict) and str(item.get(field)) == value
                ),
                None,
            )
            if idx is None:
                break
            out.append(idx)
            node = node[idx]
        else:
            out.append(seg)
            if isinstance(seg, int):
                node = node[seg] if isinstance(node, list) and 0 <= seg < len(node) else None
            else:
                node = node.get(seg) if isinstance(node, dict) else None
    return tuple(out)


def _short(v: t.Any, limit: int = 60) -> str:
    text = flow_text(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _image(ref: t.Any) -> str:
    """An image without its digest (the tag says what changed; the digest always changes with it)."""
    s = str(ref)
    return s.split("@", 1)[0] if "@" in s else s


def list_delta(old: t.Any, new: t.Any) -> tuple[list[t.Any], list[t.Any]] | None:
    """(added, removed) items when both are lists of plain values, else None."""
    if not isinstance(old, list) or not isinstance(new, list):
        return None
    if any(isinstance(v, (dict, list)) for v in old + new):
        return None
    added = [v for v in new if v not in old]
    removed = [v for v in old if v not in new]
    return added, removed


def delta_text(added: t.Sequence[t.Any], removed: t.Sequence[t.Any]) -> str:
    parts = [f"+ {flow_text(v)}" for v in added] + [f"− {flow_text(v)}" for v in removed]
    return ", ".join(parts) if parts else "reordered"


def _rel_text(path: t.Sequence[Segment]) -> str:
    out: list[str] = []
    for seg in path:
        if isinstance(seg, tuple):
            out.append(f"[{seg[1]}]")
        elif isinstance(seg, int):
            out.append(f"[{seg}]")
        else:
            out.append(f".{seg}" if out else seg)
    return "".join(out)


def change_text(c: Change, rel: t.Sequence[Segment]) -> str:
    """One field change, relative to its unit: ``scaling.max 10 → 20``, ``allowFrom + tools``."""
    name = _rel_text(rel)
    if c.op == "add":
        return f"{name} set to {_short(c.new)}" if name else f"added {_short(c.new)}"
    if c.op == "remove":
        return f"{name} removed" if name else "removed"
    delta = list_delta(c.old, c.new)
    if delta is not None:
        return f"{name} {delta_text(*delta)}".strip()
    return f"{name} {_short(c.old)} → {_short(c.new)}".strip()


# --- tenants --------------------------------------------------------------------------------------


def _tenant_unit(path: tuple[Segment, ...]) -> tuple[Unit, int]:
    """The unit a tenant change belongs to, and how many path segments name it."""
    if len(path) >= 3 and path[1] in ("services", "resources", "events") and isinstance(path[2], tuple):
        return (str(path[1]), path[2][1]), 3
    if len(path) >= 3 and path[1] == "environments" and isinstance(path[2], tuple):
        env = path[2][1]
        if len(path) >= 5 and path[3] in ("services", "resources"):
            return ("override", env, str(path[3])[:-1], str(path[4])), 5
        # A per-cluster override: the service (or resource) on that cluster, the most specific place.
        if len(path) >= 7 and path[3] == "clusterOverrides" and path[5] in ("services", "resources"):
            return ("override", f"{env}/{path[4]}", str(path[5])[:-1], str(path[6])), 7
        if len(path) >= 4 and path[3] == "tier":
            return ("tier", env), 4
        return ("environments", env), 3
    if len(path) >= 3 and path[1] == "access":
        return ("access", str(path[2])), 3
    if len(path) >= 3 and path[1] == "network":
        return ("network", str(path[2])), 3
    if len(path) >= 2:
        return (str(path[1]),), 2
    return ("spec",), 1


def _tenant_line(name: str, unit: Unit, changes: list[Change], n: int, bp: Blueprint) -> tuple[str, str]:
    """(topic, text) for one unit of a tenant's changes."""
    first = changes[0]
    whole = len(changes) == 1 and len(first.path) == n and first.op in ("add", "remove")
    kind = unit[0]
    if kind == "tier":
        env = f" in {unit[1]}" if len(unit) > 1 else ""
        if whole and first.op == "add":
            return "tier", f"tenant {name}: tier{env} {bp.spec.get('tier')} → {first.new}"
        if whole:
            return "tier", f"tenant {name}: tier{env} {first.old} → {bp.spec.get('tier')}"
        return "tier", f"tenant {name}: tier{env} {first.old} → {first.new}"
    if kind == "environments":
        if whole:
            return "environment", (
                f"tenant {name} joins environment {unit[1]}"
                if first.op == "add"
                else f"tenant {name} leaves environment {unit[1]}"
            )
        return "environment", f"tenant {name}: in {unit[1]}, " + "; ".join(
            _placement_text(c, c.path[n:]) for c in changes[:4]
        ) + _more(changes, 4)
    if kind == "override":
        return "override", f"tenant {name}: in {unit[1]}, {unit[2]} {unit[3]} " + _override_text(changes, n)
    if kind in ("services", "resources", "events"):
        noun = {"services": "service", "resources": "resource", "events": "event"}[kind]
        where = f" in {unit[2]}" if len(unit) > 2 else ""
        if whole and first.op == "add":
            extra = ""
            if isinstance(first.new, dict):
                if first.new.get("image"):
                    extra = f" ({_image(first.new['image'])})"
                elif first.new.get("offering"):
                    extra = f" (offering {first.new['offering']})"
            return noun if kind != "resources" else "resource", f"tenant {name}: new {noun} {unit[1]}{where}{extra}"
        if whole:
            return noun, f"tenant {name}: {noun} {unit[1]}{where} removed"
        parts: list[str] = []
        topic = noun
        traffic = [c for c in changes if c.path[n : n + 1] == ("traffic",)]
        for c in changes:
            rel = c.path[n:]
            if rel == ("image",) and c.op == "change":
                parts.append(f"image {_image(c.old)} → {_image(c.new)}")
                topic = "image"
            elif c in traffic:
                continue
            else:
                parts.append(change_text(c, rel))
        if traffic:
            parts.append("traffic " + "; ".join(change_text(c, c.path[n + 1 :]) for c in traffic[:4]))
            topic = "traffic" if topic == noun else topic
        return topic, f"tenant {name}: {noun} {unit[1]}{where}: " + "; ".join(parts[:5]) + _more(parts, 5)
    if kind == "network" and unit[1] == "allowFrom":
        old = first.old if first.op != "add" else []
        new = first.new if first.op != "remove" else []
        delta = list_delta(old, new) or ([], [])
        texts = [f"allowFrom + {p} ({p} may now call {name})" for p in delta[0]]
        texts += [f"allowFrom − {p}" for p in delta[1]]
        return "network", f"tenant {name}: " + ", ".join(texts or ["allowFrom reordered"])
    rels = [change_text(c, c.path[1:]) for c in changes]
    topic = kind if kind in ("access", "network") else "tenant"
    return topic, f"tenant {name}: " + "; ".join(rels[:4]) + _more(rels, 4)


def _and(items: t.Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _shown(rel: t.Sequence[Segment], value: t.Any) -> str:
    return _image(value) if tuple(rel) == ("image",) else _short(value)


def _override_text(changes: list[Change], n: int) -> str:
    """An environment's overrides of one service or resource as a sentence: ``now overrides
    scaling.min to 2 and scaling.max to 5; no longer overrides image (was …)``."""
    added = [f"{_rel_text(c.path[n:])} to {_shown(c.path[n:], c.new)}" for c in changes if c.op == "add"]
    changed = [
        f"{_rel_text(c.path[n:])} to {_shown(c.path[n:], c.new)} instead of {_shown(c.path[n:], c.old)}"
        for c in changes
        if c.op == "change"
    ]
    removed = [f"{_rel_text(c.path[n:])} (was {_shown(c.path[n:], c.old)})" for c in changes if c.op == "remove"]
    parts = [
        f"{verb} {_and(items[:4])}{_more(items, 4)}"
        for verb, items in (
            ("now overrides", added),
            ("overrides", changed),
            ("no longer overrides", removed),
        )
        if items
    ]
    return "; ".join(parts)


def _placement_text(c: Change, rel: t.Sequence[Segment]) -> str:
    """A change of where in an environment a tenant runs (``clusters``), as a sentence."""
    if tuple(rel) != ("clusters",):
        return change_text(c, rel)
    if c.op == "add":
        clusters = [str(x) for x in c.new or []]
        return f"runs only in cluster{'s' if len(clusters) != 1 else ''} {_and(clusters)}" if clusters else c.op
    if c.op == "remove":
        return "runs in every cluster of the environment again"
    delta = list_delta(c.old, c.new) or ([], [])
    parts = [f"now also runs in cluster {_and([str(x) for x in delta[0]])}"] if delta[0] else []
    parts += [f"no longer runs in cluster {_and([str(x) for x in delta[1]])}"] if delta[1] else []
    return "; ".join(parts) or "clusters reordered"


def _leaves(c: Change) -> list[Change]:
    """A mapping added or removed whole, as one change per value inside it (overrides read per value)."""
    value = c.new if c.op == "add" else c.old
    if c.op == "change" or not isinstance(value, dict) or not value:
        return [c]
    out: list[Change] = []
    for k, v in value.items():
        inner = Change("add", (*c.path, k), new=v) if c.op == "add" else Change("remove", (*c.path, k), old=v)
        out.extend(_leaves(inner))
    return out


def _overrides_apart(changes: list[Change]) -> list[Change]:
    """Overrides added or removed as a whole mapping (``environments[prod].services``, a service's
    ``env``, ``clusterOverrides`` or one cluster's) split into one change per value, so each service's or resource's overrides are one
    sentence of values, never a mapping printed whole."""
    out: list[Change] = []
    for c in changes:
        p = c.path
        if (
            len(p) >= 4
            and p[1] == "environments"
            and isinstance(p[2], tuple)
            and p[3] in ("services", "resources", "clusterOverrides")
        ):
            out.extend(_leaves(c))
        else:
            out.append(c)
    return out


def _common(changes: list[Change], n: int) -> tuple[Segment, ...]:
    """The longest path all changes share (at least the unit's own ``n`` segments)."""
    path = changes[0].path
    for c in changes[1:]:
        k = 0
        while k < min(len(path), len(c.path)) and path[k] == c.path[k]:
            k += 1
        path = path[:k]
    return path if len(path) >= n else changes[0].path[:n]


def _more(items: t.Sized, shown: int) -> str:
    return f" (+{len(items) - shown} more)" if len(items) > shown else ""


def _tenant_added(bs: Blueprints, bp: Blueprint) -> SummaryItem:
    spec = bp.spec
    envs = [str(e.get("name")) for e in spec.get("environments") or [] if isinstance(e, dict)]
    services = [str(s.get("name")) for s in spec.get("services") or [] if isinstance(s, dict)]
    resources = [str(r.get("name")) for r in spec.get("resources") or [] if isinstance(r, dict)]
    parts = [f"tier {spec.get('tier')}", f"environment{'s' if len(envs) != 1 else ''} {', '.join(envs) or 'none'}"]
    if services:
        parts.append(f"{len(services)} service{'s' if len(services) != 1 else ''} ({', '.join(services)})")
    if resources:
        parts.append(f"{len(resources)} resource{'s' if len(resources) != 1 else ''} ({', '.join(resources)})")
    return SummaryItem(
        "tenant", f"tenant {bp.name} added: " + "; ".join(parts), bs.cause(bp, ("metadata", "name")), bp.name
    )


def _tenant_changes(base: Blueprints, head: Blueprints, b: Blueprint, h: Blueprint) -> list[SummaryItem]:
    name = h.name
    out: list[SummaryItem] = []
    if b.file != h.file:
        out.append(SummaryItem("tenant", f"tenant {name}: blueprint moved from {b.file}", head.cause(h, ()), name))
    old = {"metadata": b.data.get("metadata"), "spec": b.spec}
    new = {"metadata": h.data.get("metadata"), "spec": h.spec}
    changes = _overrides_apart(compare(old, new))
    meta = [c for c in changes if c.path[:1] == ("metadata",)]
    units: dict[Unit, tuple[int, list[Change]]] = {}
    for c in changes:
        if c.path[:1] != ("spec",):
            continue
        unit, n = _tenant_unit(c.path)
        units.setdefault(unit, (n, []))[1].append(c)
    if meta:
        out.append(
            SummaryItem(
                "tenant",
                f"tenant {name}: " + "; ".join(change_text(c, c.path) for c in meta[:4]),
                head.cause(h, _index_path(meta[0].path, h.data)),
                name,
            )
        )
    for unit, (n, cs) in units.items():
        topic, text = _tenant_line(name, unit, cs, n, h if cs[0].op != "remove" else b)
        side, bp = (base, b) if cs[0].op == "remove" and len(cs[0].path) <= n else (head, h)
        # An override is named by its key (``checkout:``), whose value starts a line below.
        cause = side.cause(bp, _index_path(_common(cs, n), bp.data), key=unit[0] == "override")
        out.append(SummaryItem(topic, text, cause, name))
    return out


# --- platform -------------------------------------------------------------------------------------


def _platform_unit(path: tuple[Segment, ...]) -> tuple[Unit, int]:
    if len(path) >= 3 and path[1] == "environments" and isinstance(path[2], tuple):
        if len(path) >= 5 and path[3] == "clusters" and isinstance(path[4], tuple):
            return ("cluster", path[2][1], path[4][1]), 5
        return ("environment", path[2][1]), 3
    if len(path) >= 3 and path[1] in ("offerings", "pipelines") and isinstance(path[2], tuple):
        return (str(path[1])[:-1], path[2][1]), 3
    if len(path) >= 3 and path[1] in ("tiers", "policies"):
        return ("tier-definition" if path[1] == "tiers" else "policy", str(path[2])), 3
    if len(path) >= 2:
        return ("platform", str(path[1])), 2
    return ("platform", "spec"), 1


def _env_tenants(bs: Blueprints, env: str) -> list[str]:
    return sorted(
        n
        for n, bp in bs.tenants.items()
        if any(isinstance(e, dict) and e.get("name") == env for e in bp.spec.get("environments") or [])
    )


def _users_of(bs: Blueprints, offering: str) -> list[str]:
    return sorted(
        f"{n}/{r.get('name')}"
        for n, bp in bs.tenants.items()
        for r in bp.spec.get("resources") or []
        if isinstance(r, dict) and r.get("offering") == offering
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _platform_line(unit: Unit, changes: list[Change], n: int, base: Blueprints, head: Blueprints) -> str:
    first = changes[0]
    whole = len(changes) == 1 and len(first.path) == n and first.op in ("add", "remove")
    kind = unit[0]
    if kind == "environment" and whole:
        value = first.new if first.op == "add" else first.old
        clusters = [str(c.get("name")) for c in (value or {}).get("clusters") or [] if isinstance(c, dict)]
        side = head if first.op == "add" else base
        tenants = _env_tenants(side, unit[1])
        what = f"{_plural(len(clusters), 'cluster')} ({', '.join(clusters)}), {_plural(len(tenants), 'tenant')}" + (
            f" ({', '.join(tenants)})" if tenants else ""
        )
        return f"new environment {unit[1]}: {what}" if first.op == "add" else f"environment {unit[1]} removed: {what}"
    if kind == "cluster" and whole:
        value = first.new if first.op == "add" else first.old
        info = ", ".join(str(value.get(k)) for k in ("provider", "region") if isinstance(value, dict) and value.get(k))
        return (
            f"environment {unit[1]}: new cluster {unit[2]}" + (f" ({info})" if info else "")
            if first.op == "add"
            else f"environment {unit[1]}: cluster {unit[2]} removed"
        )
    if kind in ("offering", "pipeline") and whole:
        if first.op == "add":
            k = first.new.get("kind") if isinstance(first.new, dict) else None
            return f"new {kind} {unit[1]}" + (f" (kind {k})" if k else "")
        users = _users_of(base, unit[1]) if kind == "offering" else []
        return f"{kind} {unit[1]} removed" + (f" (used by {', '.join(users)})" if users else "")
    if kind == "tier-definition" and whole:
        return f"new tier {unit[1]}" if first.op == "add" else f"tier {unit[1]} removed"
    subject = {
        "environment": f"environment {unit[1]}",
        "cluster": f"cluster {unit[2] if len(unit) > 2 else ''}",
        "offering": f"offering {unit[1]}",
        "pipeline": f"pipeline {unit[1]}",
        "tier-definition": f"tier {unit[1]}",
        "policy": f"policy {unit[1]}",
        "platform": f"platform {unit[1]}",
    }[kind]
    texts = [change_text(c, c.path[n:]) for c in changes]
    return f"{subject}: " + "; ".join(texts[:4]) + _more(texts, 4)


def _platform_changes(base: Blueprints, head: Blueprints) -> list[SummaryItem]:
    b, h = base.platform, head.platform
    assert b is not None and h is not None
    out: list[SummaryItem] = []
    units: dict[Unit, tuple[int, list[Change]]] = {}
    for c in compare({"spec": b.spec}, {"spec": h.spec}):
        unit, n = _platform_unit(c.path)
        units.setdefault(unit, (n, []))[1].append(c)
    for unit, (n, cs) in units.items():
        removed = cs[0].op == "remove" and len(cs[0].path) <= n
        side, bp = (base, b) if removed else (head, h)
        cause = side.cause(bp, _index_path(_common(cs, n), bp.data))
        topic = {"tier-definition": "tier-definition"}.get(unit[0], unit[0])
        out.append(SummaryItem(topic, _platform_line(unit, cs, n, base, head), cause))
    return out


# --- loosened policies ----------------------------------------------------------------------------

_GUARDRAILS = {
    "requireLimits": "requests and limits are no longer required on every container",
    "forbidLatest": ":latest and untagged images are no longer refused",
    "forbidPrivileged": "privileged and host-namespace pods are no longer refused",
}


def policy_risks(base: Blueprints, head: Blueprints) -> list[PolicyRisk]:
    """Platform policies made looser: only the blueprints say these plainly (the enforcers vary)."""
    b, h = base.platform, head.platform
    if b is None or h is None:
        return []
    raw_old, raw_new = b.spec.get("policies"), h.spec.get("policies")
    old: dict[str, t.Any] = raw_old if isinstance(raw_old, dict) else {}
    new: dict[str, t.Any] = raw_new if isinstance(raw_new, dict) else {}
    out: list[PolicyRisk] = []

    def at(key: str) -> Cause:
        if key in new:
            return head.cause(h, ("spec", "policies", key))
        return (
            base.cause(b, ("spec", "policies", key), "removed") if key in old else head.cause(h, ("spec", "policies"))
        )

    o_regs, n_regs = old.get("allowedRegistries"), new.get("allowedRegistries")
    if isinstance(o_regs, list) and o_regs:
        if not isinstance(n_regs, list) or not n_regs:
            out.append(
                PolicyRisk(
                    "allowlist-widened",
                    "allowedRegistries removed: images may come from any registry",
                    at("allowedRegistries"),
                )
            )
        else:
            wider = [
                r for r in n_regs if not any(str(r).startswith(str(o).rstrip("/") + "/") or r == o for o in o_regs)
            ]
            if wider:
                out.append(
                    PolicyRisk(
                        "allowlist-widened",
                        "allowedRegistries + " + ", ".join(map(str, wider)) + ": tenants may pull images from there",
                        at("allowedRegistries"),
                    )
                )
    for key, what in _GUARDRAILS.items():
        if old.get(key, True) is not False and new.get(key, True) is False:
            out.append(PolicyRisk("guardrail-disabled", f"{key}: true → false: {what}", at(key)))
    out.extend(_secret_allowances(base, head, b, h))
    o_labels, n_labels = old.get("requiredLabels") or [], new.get("requiredLabels") or []
    dropped = (
        [x for x in o_labels if x not in n_labels] if isinstance(o_labels, list) and isinstance(n_labels, list) else []
    )
    if dropped:
        out.append(
            PolicyRisk(
                "guardrail-disabled",
                "requiredLabels − " + ", ".join(map(str, dropped)) + ": pods no longer need these labels",
                at("requiredLabels"),
            )
        )
    return out


def _secret_allowances(base: Blueprints, head: Blueprints, b: Blueprint, h: Blueprint) -> list[PolicyRisk]:
    """Values newly declared not secret (spec.secrets.allow): the detector lets them through from now on.
    The value is shown masked as the detector would show it; the reason in full."""
    old = allowances_from(b.spec.get("secrets")).values
    entries = (h.spec.get("secrets") or {}).get("allow") if isinstance(h.spec.get("secrets"), dict) else None
    out = []
    for i, entry in enumerate(entries if isinstance(entries, list) else ()):
        value, reason = (entry.get("value"), entry.get("reason")) if isinstance(entry, dict) else (None, None)
        if isinstance(value, str) and isinstance(reason, str) and old.get(value.strip()) != reason:
            hits = scan(value)
            what = f"a {hits[0].kind} ({hits[0].shown})" if hits else f"a value ({shown(value, prefix=False)})"
            out.append(
                PolicyRisk(
                    "secret-allowed",
                    f"secrets.allow + {what}: no longer refused as a secret, because: {reason}",
                    head.cause(h, ("spec", "secrets", "allow", i)),
                )
            )
    return out


def compare_blueprints(base: Blueprints, head: Blueprints) -> list[SummaryItem]:
    """Every blueprint change, platform first (each cluster's add-on versions that move, then the rest),
    then tenants by name."""
    out = [SummaryItem("addon", text, cause) for text, cause in addon_summary(base, head)]
    out += _platform_changes(base, head)
    for name in sorted(base.tenants.keys() | head.tenants.keys()):
        b, h = base.tenants.get(name), head.tenants.get(name)
        if b is None and h is not None:
            out.append(_tenant_added(head, h))
        elif h is None and b is not None:
            envs = [str(e.get("name")) for e in b.spec.get("environments") or [] if isinstance(e, dict)]
            out.append(
                SummaryItem(
                    "tenant",
                    f"tenant {name} removed (environments {', '.join(envs) or 'none'})",
                    base.cause(b, ("metadata", "name"), "removed"),
                    name,
                )
            )
        elif b is not None and h is not None:
            out.extend(_tenant_changes(base, head, b, h))
    return out


# --- without blueprints ---------------------------------------------------------------------------


def from_objects(objects: t.Sequence[ObjectDiff]) -> list[SummaryItem]:
    """What the rendered objects alone say: tenants that appear in or leave bundles."""
    per: dict[tuple[str, str], dict[str, list[ObjectDiff]]] = {}
    for o in objects:
        if o.tenant and o.key.kind == "Namespace" and o.status in ("added", "removed"):
            per.setdefault((o.tenant, o.status), {}).setdefault(o.key.bundle, []).append(o)
    out: list[SummaryItem] = []
    for (tenant, status), bundles in sorted(per.items()):
        namespaces = sorted(o.key.name for os_ in bundles.values() for o in os_)
        doc = next(iter(bundles.values()))[0].doc
        verb = "added to" if status == "added" else "removed from"
        out.append(
            SummaryItem(
                "tenant",
                f"tenant {tenant} {verb} {', '.join(sorted(bundles))} (namespaces {', '.join(namespaces)})",
                Cause(doc.file, doc.line, note="output"),
                tenant,
            )
        )
    return out
