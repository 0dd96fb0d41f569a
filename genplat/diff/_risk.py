"""Risk flags: changes a reviewer must not miss, listed before everything else.

Every rule is one function in this module, registered with :func:`rule`; the registry's order is the
order reports list the flags in. A rule reads rendered objects only, so it runs on every pair of sides
(folders, OCI bundles, git revisions); attribution then points each flag at the blueprint value behind
it when the sides have blueprints. Adding a rule is adding one function::

    @rule("addon-upgrade", "Add-on upgraded")
    def addon_upgrade(d: ObjectDiff, ctx: RuleContext) -> list[str]:
        \"\"\"What it flags, in one sentence (docs/diff.md lists the rules).\"\"\"
        return [...]  # one message per flag on ``d.key``; none: no flag

An object that leaves its bundle's cluster (removed, renamed, or moved to another bundle: Kubernetes
deletes the old object) is described by exactly one *deletion* rule (``deletes=True``): the first
of them, in order, that returns a message; ``object-deleted`` comes last. A deletion rule is also
called for objects that stay, to judge their changes. Objects removed together with their namespace
are covered by the one ``namespace-removed`` flag.

The blueprint-level flags (``allowlist-widened`` and ``guardrail-disabled`` read from
``spec.policies`` when both sides have blueprints, :func:`genplat.diff._summary.policy_risks`) share
these rules' ids; the engine keeps them only where no object flag says the same. ``secret-allowed``
(``spec.secrets.allow``) is blueprint-level only.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing as t

from genplat.core.quantity import parse_quantity
from genplat.diff import _admission, _netpol, _rbac
from genplat.diff._addons import ADDON_KINDS, ADDON_LABEL, VERSION_ANNOTATION
from genplat.diff._compare import canonical
from genplat.diff._model import Document, ObjectDiff, ObjectKey, Risk, spec_of


class Context(t.Protocol):
    def base_registries(self) -> set[str]: ...

    def namespace_added(self, bundle: str, namespace: str) -> bool: ...

    def addon_upgrade(self, bundle: str, name: str, old: str, new: str) -> list[str]: ...


Check = t.Callable[[ObjectDiff, "RuleContext"], t.Iterable[str]]


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    check: Check
    deletes: bool  # describes the objects that leave the bundle (see the module docstring)
    doc: str


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, title: str, *, deletes: bool = False) -> t.Callable[[Check], Check]:
    """Register a rule: ``check(d, ctx)`` returns one message per flag on ``d``."""

    def register(check: Check) -> Check:
        assert rule_id not in REGISTRY, f"risk rule {rule_id} registered twice"
        REGISTRY[rule_id] = Rule(rule_id, title, check, deletes, inspect.cleandoc(check.__doc__ or ""))
        return check

    return register


class RuleContext:
    """What rules may ask beyond the one object: the base side's registries, new namespaces, and
    which objects go with a removed namespace."""

    def __init__(self, diffs: list[ObjectDiff], ctx: Context) -> None:
        self._ctx = ctx
        # Namespaces removed (and not kept), with how many objects were removed from them.
        self.gone_namespaces: dict[tuple[str, str], int] = {
            (d.base.key.bundle, d.base.key.name): 0
            for d in diffs
            if d.base is not None and d.status == "removed" and _is_namespace(d.base.key) and not kept(d.base.obj)
        }
        for d in diffs:
            if d.base is not None and d.status == "removed":
                where = (d.base.key.bundle, d.base.key.namespace)
                if where in self.gone_namespaces:
                    self.gone_namespaces[where] += 1
        # Namespaces (that stay) whose default-deny NetworkPolicy is removed, with how many other
        # NetworkPolicies were removed from them: default-deny-removed covers those (network isolation
        # turned off removes the allow policies too; they allowed nothing the pods lack now).
        self.open_namespaces: dict[tuple[str, str], int] = {
            (d.key.bundle, d.key.namespace): 0
            for d in diffs
            if d.status == "removed" and _is_netpol(d.key) and _netpol.default_deny(_old(d))
        }
        for d in diffs:
            where = (d.key.bundle, d.key.namespace)
            if d.status == "removed" and _is_netpol(d.key) and where in self.open_namespaces:
                self.open_namespaces[where] += 0 if _netpol.default_deny(_old(d)) else 1

    def base_registries(self) -> set[str]:
        return self._ctx.base_registries()

    def namespace_added(self, bundle: str, namespace: str) -> bool:
        return self._ctx.namespace_added(bundle, namespace)

    def addon_upgrade(self, bundle: str, name: str, old: str, new: str) -> list[str]:
        return self._ctx.addon_upgrade(bundle, name, old, new)

    def covered(self, d: ObjectDiff) -> bool:
        """Removed together with its namespace, or a NetworkPolicy (or a Cilium or Calico policy) removed
        with its namespace's default-deny: the namespace's flag covers it."""
        if d.status != "removed" or d.base is None:
            return False
        where = (d.key.bundle, d.key.namespace)
        if where in self.gone_namespaces:
            return True
        if where not in self.open_namespaces:
            return False
        # The CNI's own allow policies (egress to host names) go with the namespace's default-deny too.
        return (_is_netpol(d.key) and not _netpol.default_deny(_old(d))) or _is_cni_policy(d.key)


def leaves(d: ObjectDiff) -> bool:
    """Whether the base object leaves its bundle's cluster (is deleted there)."""
    if d.base is None:
        return False
    if d.status in ("removed", "renamed"):
        return True
    return d.status == "moved" and d.head is not None and d.head.key.bundle != d.base.key.bundle


def _ref(doc: Document) -> str:
    k = doc.key
    return f"{k.kind} {k.namespace}/{k.name}" if k.namespace else f"{k.kind} {k.name}"


def gone(d: ObjectDiff, consequence: str = "") -> str:
    """How an object left, then ``consequence`` ("; …"): ``deleted; …``, ``renamed to …: …``."""
    if d.status == "renamed" and d.head is not None:
        return f"renamed to {_ref(d.head)}: the old object is deleted and a new one created{consequence}"
    if d.status == "moved" and d.head is not None:
        return f"moved to bundle {d.head.key.bundle}: deleted from this bundle's cluster{consequence}"
    return f"deleted{consequence}"


def assess(diffs: t.Iterable[ObjectDiff], ctx: Context) -> list[Risk]:
    diffs = list(diffs)
    run = RuleContext(diffs, ctx)
    deletion = [r for r in REGISTRY.values() if r.deletes and r.id != "object-deleted"] + [REGISTRY["object-deleted"]]
    out: list[Risk] = []
    for d in diffs:
        if run.covered(d):
            continue
        leaving = leaves(d)
        if leaving:
            assert d.base is not None
            for r in deletion:
                messages = list(r.check(d, run))
                if messages:
                    out.extend(Risk(r.id, d.base.key, m) for m in messages)
                    break
        for r in REGISTRY.values():
            if not (r.deletes and leaving):
                out.extend(Risk(r.id, d.key, m) for m in r.check(d, run))
    out.sort(key=risk_order)
    return out


_NO_KEY = ObjectKey("", "", "", "", "")


def risk_order(r: Risk) -> tuple[t.Any, ...]:
    """Rule order, blueprint-level flags before object flags, then object and message."""
    return (list(REGISTRY).index(r.rule), r.key is not None, r.key or _NO_KEY, r.message)


def _is_namespace(key: ObjectKey) -> bool:
    return key.kind == "Namespace" and key.group == ""


def _is_netpol(key: ObjectKey) -> bool:
    return key.kind == "NetworkPolicy" and key.group == "networking.k8s.io"


def _is_cni_policy(key: ObjectKey) -> bool:
    """Cilium's and Calico's namespaced policy kinds (genplat renders them as egress allow-lists)."""
    return (key.group, key.kind) in (("cilium.io", "CiliumNetworkPolicy"), ("projectcalico.org", "NetworkPolicy"))


# Annotations that make the GitOps controller keep an object it no longer finds in the bundle.
PROTECTING = {"kustomize.toolkit.fluxcd.io/prune": "disabled", "kapp.k14s.io/delete-strategy": "orphan"}


def kept(obj: dict[str, t.Any]) -> str | None:
    """``key: value`` of the annotation that keeps ``obj`` in the cluster when it leaves the bundle."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(ann, dict):
        for key, value in PROTECTING.items():
            if ann.get(key) == value:
                return f"{key}: {value}"
    return None


def _old(d: ObjectDiff) -> dict[str, t.Any] | None:
    return d.base.obj if d.base is not None else None


def _new(d: ObjectDiff) -> dict[str, t.Any] | None:
    return d.head.obj if d.head is not None else None


# --- objects that leave -----------------------------------------------------------------------------


@rule("kept-on-removal", "Kept object removed", deletes=True)
def kept_on_removal(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """An object the GitOps controller keeps when it leaves the bundle (Flux
    ``kustomize.toolkit.fluxcd.io/prune: disabled``, kapp ``kapp.k14s.io/delete-strategy: orphan``:
    tenant namespaces, offerings' composite resources) is removed, renamed or moved away: it stays in
    the cluster, orphaned, with its data."""
    if not leaves(d) or d.base is None or not (annotation := kept(d.base.obj)):
        return []
    how = {"renamed": f"renamed to {_ref(d.head)}" if d.head else "renamed", "moved": f"moved to bundle {d.key.bundle}"}
    return [
        f"{how.get(d.status, 'removed')}, but kept ({annotation}): the controller leaves it, and the data it holds, in the cluster, "
        "orphaned; restore its blueprint if this was a mistake, or delete it by hand"
    ]


@rule("namespace-removed", "Namespace removed", deletes=True)
def namespace_removed(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """A Namespace is deleted, and with it everything inside it (one flag covers the objects
    removed with it)."""
    if not leaves(d) or d.base is None or not _is_namespace(d.base.key):
        return []
    k = d.base.key
    if d.status == "removed" and (k.bundle, k.name) in ctx.gone_namespaces:
        n = ctx.gone_namespaces[(k.bundle, k.name)]
        inside = f" with the {n} object{'s' if n != 1 else ''} removed from it" if n else ""
        return [f"deleted{inside}; anything else in the namespace goes too"]
    return [gone(d, "; everything in the namespace is deleted with it")]


def _xrd_consequence(obj: dict[str, t.Any]) -> str:
    """What deleting an XRD takes with it, naming the kinds: Crossplane v2 XRDs define no claim."""
    kinds = []
    for field, role in (("names", ""), ("claimNames", " (claim)")):
        names = spec_of(obj).get(field)
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


@rule("crd-removed", "CRD removed", deletes=True)
def crd_removed(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """A CustomResourceDefinition, or a Crossplane CompositeResourceDefinition (it defines an
    offering's XR CRD, and before Crossplane v2 its claim CRD), is deleted."""
    if not leaves(d) or d.base is None:
        return []
    k = d.base.key
    if k.kind == "CustomResourceDefinition" and k.group == "apiextensions.k8s.io":
        return [gone(d, "; every custom resource of this type is deleted with it")]
    if k.kind == "CompositeResourceDefinition" and k.group == "apiextensions.crossplane.io":
        return [gone(d, _xrd_consequence(d.base.obj))]
    return []


# Guardrail objects other than admission policies (allowlist-widened and guardrail-disabled say those).
PROTECTED = {
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
}


@rule("protected-removed", "Guardrail object removed", deletes=True)
def protected_removed(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """A guardrail object other than an admission policy is deleted while its namespace stays: an
    admission webhook configuration, a ResourceQuota or a LimitRange."""
    if not leaves(d) or d.base is None or (d.base.key.group, d.base.key.kind) not in PROTECTED:
        return []
    return [gone(d, "; the restriction it enforced no longer applies")]


@rule("default-deny-removed", "Default-deny removed", deletes=True)
def default_deny_removed(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """A deny-all NetworkPolicy (every pod, policy types, no rules) is deleted while its namespace
    stays; the namespace's other NetworkPolicies removed with it are covered by this flag."""
    if not leaves(d) or d.base is None or not _is_netpol(d.base.key) or not _netpol.default_deny(_old(d)):
        return []
    if d.status == "removed" and ctx.open_namespaces.get((d.key.bundle, d.key.namespace)):
        return [
            "deleted, and the namespace's other NetworkPolicies with it; pods no remaining policy selects "
            "accept and send any traffic"
        ]
    return [gone(d, "; traffic the other policies do not allow is no longer denied")]


@rule("object-deleted", "Object deleted", deletes=True)
def object_deleted(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """Any other object is deleted; a rename or a move to another bundle counts, since Kubernetes
    deletes the old object."""
    return [gone(d)] if leaves(d) else []


# --- admission policies -----------------------------------------------------------------------------


@rule("allowlist-widened", "Registry allowlist widened", deletes=True)
def allowlist_widened(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """genplat's registry policy allows images from a registry no old entry covers, or a new
    platform image (its ``genplat.dev/allowed-registries`` and ``genplat.dev/platform-images``
    annotations), or is deleted; with blueprints also ``spec.policies.allowedRegistries`` itself."""
    old, new = _old(d), _new(d)
    if not _admission.is_policy(d.key) or not _admission.guards_registries(old):
        return []
    if leaves(d):
        assert old is not None
        return [gone(d, _admission.deleted(d.key, old))]
    return _admission.wider_allowlist(old, new) if old is not None and new is not None else []


@rule("guardrail-disabled", "Policy turned off", deletes=True)
def guardrail_disabled(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """An admission policy (Kyverno ValidatingPolicy, ClusterPolicy or Policy; ValidatingAdmissionPolicy
    or its binding) is deleted, stops denying (``Deny`` dropped, ``Enforce`` → ``Audit``), fails open
    (``failurePolicy: Ignore``), loses validations, rules or matched resources, or no longer requires a
    label (``genplat.dev/required-labels``); with blueprints also ``requireLimits``, ``forbidLatest`` or
    ``forbidPrivileged`` turned off and ``requiredLabels`` dropped."""
    old, new = _old(d), _new(d)
    if old is None or not _admission.is_policy(d.key):
        return []
    if leaves(d):
        return [gone(d, _admission.deleted(d.key, old))]
    return _admission.loosened(d.key, old, new) if new is not None else []


@rule("secret-allowed", "Value declared not secret")
def secret_allowed(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """With blueprints: ``spec.secrets.allow`` declares a value not secret, or gives a new reason, so the
    secret detector lets it into blueprints and output from now on (the value is shown masked). Rendered
    objects do not say so (the value looks like any other), so this rule flags no object."""
    return []


# --- Pod Security, RBAC, network ------------------------------------------------------------------

PSA_LEVELS = {"privileged": 0, "baseline": 1, "restricted": 2}
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"


def _psa_level(obj: dict[str, t.Any]) -> str:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return str(labels.get(PSA_ENFORCE) or "privileged")  # no label: nothing is enforced


@rule("pod-security-lowered", "Pod Security lowered")
def pod_security_lowered(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """A Namespace's ``pod-security.kubernetes.io/enforce`` level is lowered (``restricted`` >
    ``baseline`` > ``privileged``; no label is ``privileged``)."""
    old, new = _old(d), _new(d)
    if not _is_namespace(d.key) or old is None or new is None:
        return []
    before, after = _psa_level(old), _psa_level(new)
    if PSA_LEVELS.get(after, 0) < PSA_LEVELS.get(before, 0):
        return [f"enforced level {before} → {after}: pods the {before} profile refuses are admitted"]
    return []


@rule("rbac-widened", "RBAC widened")
def rbac_widened(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """A (Cluster)RoleBinding that is new, gains subjects or points at a broader role; a (Cluster)Role
    granting what its old rules did not, a new role with wildcards, an ``aggregationRule`` change.
    Not the standard tenant grants (a RoleBinding in a tenant's file to ClusterRole admin, edit or
    view for users, groups that are not ``system:``, or the namespace's own service accounts)."""
    if d.key.group != _rbac.GROUP:
        return []
    old, new = _old(d), _new(d)
    if d.tenant and _rbac.standard_grant(d.key.kind, d.key.namespace, old, new):
        return []
    return _rbac.widened(d.key.kind, old, new)


PEER_POLICIES = ("allow-from-peers", "allow-to-peers")


def _network(d: ObjectDiff, ctx: RuleContext, *, peers: bool) -> list[str]:
    if not _is_netpol(d.key) or (d.key.name in PEER_POLICIES) != peers:
        return []
    old, new = _old(d), _new(d)
    if new is None and _netpol.default_deny(old):
        return []  # default-deny-removed says it
    return _netpol.loosened(old, new, new is not None and ctx.namespace_added(d.key.bundle, d.key.namespace))


@rule("network-peers-added", "Network peers added")
def network_peers_added(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """genplat's peer policies (``allow-from-peers``, ``allow-to-peers``) let another tenant's
    namespace in or out: a rule no old rule covers, or a new peer policy in an existing namespace."""
    return _network(d, ctx, peers=True)


@rule("network-policy-loosened", "Network policy loosened")
def network_policy_loosened(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """Any other NetworkPolicy deleted; an ingress/egress rule no old rule covers (new or broader
    peers, fewer port limits); ``policyTypes`` dropped; ``spec.podSelector`` changed; a new allow
    policy in a namespace that already existed."""
    return _network(d, ctx, peers=False)


# --- quota ------------------------------------------------------------------------------------------


def _bounds(kind: str, obj: dict[str, t.Any]) -> dict[str, t.Any]:
    spec = spec_of(obj)
    if kind == "ResourceQuota":
        hard = spec.get("hard")
        return {f"hard[{k}]": v for k, v in hard.items()} if isinstance(hard, dict) else {}
    out = {}
    for item in spec.get("limits") or []:
        if isinstance(item, dict) and isinstance(item.get("max"), dict):
            out.update({f"{item.get('type', '?')} max[{k}]": v for k, v in item["max"].items()})
    return out


def _quota_changes(kind: str, old: dict[str, t.Any], new: dict[str, t.Any]) -> dict[str, list[str]]:
    """The limits that changed, by direction: raised, lowered, dropped (no longer limited), added."""
    before, after = _bounds(kind, old), _bounds(kind, new)
    out: dict[str, list[str]] = {"raised": [], "lowered": [], "no longer limited": [], "newly limited": []}
    for name, value in before.items():
        if name not in after:
            out["no longer limited"].append(f"{name} (was {value})")
            continue
        a, b = parse_quantity(value), parse_quantity(after[name])
        if a is None or b is None:
            if canonical(value) != canonical(after[name]):
                out["raised"].append(f"{name} {value} → {after[name]} (not comparable as quantities)")
        elif b != a:
            out["raised" if b > a else "lowered"].append(f"{name} {value} → {after[name]}")
    out["newly limited"] = [f"{name} {value}" for name, value in after.items() if name not in before]
    return out


@rule("quota-changed", "Quota changed")
def quota_changed(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """A ResourceQuota ``hard`` value or a LimitRange ``max`` raised, lowered, dropped or added; the
    message says which, direction first (``raised: hard[pods] 60 → 200``; a lowered quota can stop
    running workloads from being recreated). Quantities are compared exactly (``500m < 1 < 1k < 1Ki``,
    ``1Gi > 1G``, ``2e3``)."""
    old, new = _old(d), _new(d)
    if d.key.group != "" or d.key.kind not in ("ResourceQuota", "LimitRange") or old is None or new is None:
        return []
    parts = [f"{how}: {', '.join(items)}" for how, items in _quota_changes(d.key.kind, old, new).items() if items]
    return ["; ".join(parts)] if parts else []  # one flag per object, however many limits changed


# --- images -----------------------------------------------------------------------------------------


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


@rule("image-registry-changed", "Image from a new registry")
def image_registry_changed(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """An image comes from a registry the object did not use before (for a new object: that no
    image of the base side used); ``nginx`` counts as ``docker.io``."""
    new = _new(d)
    new_images = images(new) if new is not None else []
    if not new_images:
        return []
    old_images = images(_old(d)) if d.base is not None else []
    known = {registry(i) for i in old_images} if old_images else ctx.base_registries()
    out = []
    for image in new_images:
        reg = registry(image)
        if reg not in known:
            was = f" (was {', '.join(sorted({registry(i) for i in old_images}))})" if old_images else ""
            out.append(f"image {image} comes from registry {reg}{was}")
    return out


@rule("addon-upgrade", "Add-on version changed")
def addon_upgrade(d: ObjectDiff, ctx: RuleContext) -> list[str]:
    """A cluster's add-on moves to another version (its install object in the add-ons layer): from the two
    sides' locked CRDs, the API versions no longer served, the fields removed that the cluster's objects
    set, and the objects that stop validating."""
    old, new = _old(d), _new(d)
    if old is None or new is None or d.key.kind not in ADDON_KINDS:
        return []
    name = ((new.get("metadata") or {}).get("labels") or {}).get(ADDON_LABEL)
    before = ((old.get("metadata") or {}).get("annotations") or {}).get(VERSION_ANNOTATION)
    after = ((new.get("metadata") or {}).get("annotations") or {}).get(VERSION_ANNOTATION)
    if not name or not before or not after or before == after:
        return []
    findings = ctx.addon_upgrade(d.key.bundle, str(name), str(before), str(after))
    return [f"cluster {d.key.bundle}: {name} {before} → {after}: " + "; ".join(findings)]


RULES: dict[str, str] = {r.id: r.title for r in REGISTRY.values()}
