"""The admission rules: for each, the kinds it matches, its CEL and its Python check, side by side.

A rule renders as one policy per :class:`Variant` (one, unless its settings differ between workload
and build namespaces). Every policy matches tenant namespaces only (``genplat.dev/tenant``); genplat's
gate runs the Python check on every rendered object the rule's gate module selects.
"""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.core.images import parse_image
from genplat.policy.cel import quote
from genplat.policy.settings import PolicySettings
from genplat.policy.workloads import (
    KNATIVE,
    PODS,
    TEKTON_DEFINITIONS,
    TEKTON_RUNS,
    TRIGGERS,
    PathT,
    Target,
    entries,
    pod_label_sets,
    pod_like_specs,
)

Finding = tuple[PathT, str]  # (path in the object, what is wrong)

# Rule ids that validation judges on blueprint values too (preflight), so validate fails where build would.
IMAGE_REGISTRY = "guardrail/image-registry"
IMAGE_TAG = "guardrail/image-tag"

# The inputs of a rule, recorded as annotations of every policy rendered from it, so that a diff of two
# outputs (folders, OCI bundles: no blueprints) can tell exactly whether a policy allows more without
# reading its CEL. Each value is a set: sorted, ", "-separated, present (even empty) whenever the rule
# has that input. What the platform lets in grows (registries, platform images by name) or what it
# requires shrinks (labels): the policy is looser.
ALLOWED_REGISTRIES = "genplat.dev/allowed-registries"
PLATFORM_IMAGES = "genplat.dev/platform-images"
REQUIRED_LABELS = "genplat.dev/required-labels"


def input_value(items: t.Iterable[str]) -> str:
    """An input annotation's value: the set, sorted and joined (the same bytes for the same set)."""
    return ", ".join(sorted(set(items)))


def input_items(value: str) -> frozenset[str]:
    """The set an input annotation holds."""
    return frozenset(x.strip() for x in value.split(",") if x.strip())


@dataclasses.dataclass(frozen=True, slots=True)
class Variant:
    """One policy of a rule: ``scope`` ``tenant`` (all tenant namespaces), ``workload`` or ``build``."""

    scope: str
    expression: str
    variables: tuple[str, ...]
    message: str
    # The rule inputs this policy enforces, as annotations (ALLOWED_REGISTRIES …): key → value.
    inputs: tuple[tuple[str, str], ...] = ()

    @property
    def suffix(self) -> str:
        return "" if self.scope == "tenant" else f"-{self.scope}"


@dataclasses.dataclass(frozen=True, slots=True)
class AdmissionRule:
    id: str
    title: str
    targets: tuple[Target, ...]
    ephemeral: bool  # also match pods/ephemeralcontainers (kubectl debug)
    enabled: t.Callable[[PolicySettings], bool]
    variants: t.Callable[[PolicySettings], list[Variant]]
    check: t.Callable[[dict[str, t.Any], PolicySettings, bool], list[Finding]]

    @property
    def policy_name(self) -> str:
        return "genplat-" + self.id.split("/", 1)[1]


def full_ref(image: str) -> str:
    """``nginx:1`` → ``docker.io/library/nginx``: the repository with Docker's defaults."""
    ref = parse_image(image)
    return f"{ref.registry}/{ref.repository}"


def _name_cel(pattern: str) -> str:
    return f"e.name.startsWith({quote(pattern[:-1])})" if pattern.endswith("*") else f"e.name == {quote(pattern)}"


# --- guardrail/image-registry -------------------------------------------------------------------


def _registry_scopes(s: PolicySettings) -> list[str]:
    return ["workload", "build"] if any(p.namespaces != "all" for p in s.platform_images) else ["tenant"]


def _registry_message(s: PolicySettings) -> str:
    return (
        f"guardrail/image-registry: images must come from {', '.join(s.allowed_registries)}"
        " (or be a platform image in the container it is declared for, policies.platformImages)"
    )


def _registry_variants(s: PolicySettings) -> list[Variant]:
    out = []
    for scope in _registry_scopes(s):
        terms = [f"e.ref == {quote(r)} || e.ref.startsWith({quote(r + '/')})" for r in s.allowed_registries]
        images = []
        for p in s.platform_images:
            if p.namespaces in ("all", scope) or scope == "tenant":
                names = " || ".join(_name_cel(c) for c in p.containers) or "false"
                terms.append(f"(e.ref == {quote(full_ref(p.image))} && ({names}))")
                images.append(p.name)
        expr = "variables.images.all(g, g.all(e,\n  " + " ||\n  ".join(terms) + "))"
        inputs = ((ALLOWED_REGISTRIES, input_value(s.allowed_registries)), (PLATFORM_IMAGES, input_value(images)))
        out.append(Variant(scope, expr, ("images",), _registry_message(s), inputs))
    return out


def from_allowed_registry(image: str, registries: t.Iterable[str]) -> bool:
    """Whether ``image`` comes from one of ``registries`` (Docker's defaults applied to short names)."""
    ref = full_ref(image)
    return any(ref == r.rstrip("/") or ref.startswith(r.rstrip("/") + "/") for r in registries)


def _registry_check(obj: dict[str, t.Any], s: PolicySettings, build: bool) -> list[Finding]:
    out = []
    for e in entries(obj):
        if not e.image:
            continue
        ref = full_ref(e.image)
        if any(ref == r or ref.startswith(r + "/") for r in s.allowed_registries):
            continue
        if any(p.allows(ref, e.name, build=build, normalize=full_ref) for p in s.platform_images):
            continue
        out.append((e.path + ("image",), f"image {e.image!r} is not from an allowed registry"))
    return out


# --- guardrail/image-tag ------------------------------------------------------------------------


def unpinned(image: str) -> str | None:
    """What is wrong with how ``image`` is pinned, or None: a digest, or a tag other than ``latest``.
    A trailing ``:`` is no tag either, as the policies' CEL reads it."""
    ref = parse_image(image)
    if ref.digest is not None or ref.tag not in (None, "", "latest"):
        return None
    return "uses the 'latest' tag" if ref.tag == "latest" else "has no tag"


def _tag_check(obj: dict[str, t.Any], s: PolicySettings, build: bool) -> list[Finding]:
    out = []
    for e in entries(obj):
        problem = unpinned(e.image) if e.image else None
        if problem:
            out.append((e.path + ("image",), f"image {e.image!r} {problem}"))
    return out


# --- guardrail/privileged -----------------------------------------------------------------------


def _privileged_check(obj: dict[str, t.Any], s: PolicySettings, build: bool) -> list[Finding]:
    out = []
    for e in entries(obj):
        sc = e.container.get("securityContext")
        if isinstance(sc, dict) and sc.get("privileged") is True:
            out.append((e.path + ("securityContext", "privileged"), f"container {e.name or e.list!r} runs privileged"))
    return out


# --- guardrail/host-namespaces ------------------------------------------------------------------

HOST_FIELDS = ("hostNetwork", "hostPID", "hostIPC")


def _host_check(obj: dict[str, t.Any], s: PolicySettings, build: bool) -> list[Finding]:
    return [
        (path + (f,), f"pod uses {f}") for path, spec in pod_like_specs(obj) for f in HOST_FIELDS if spec.get(f) is True
    ]


def _host_expr() -> str:
    return "variables.podSpecs.all(s, " + " && ".join(f"s.?{f}.orValue(false) != true" for f in HOST_FIELDS) + ")"


# --- guardrail/container-resources --------------------------------------------------------------

RESOURCE_KEYS = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))


def _resources_check(obj: dict[str, t.Any], s: PolicySettings, build: bool) -> list[Finding]:
    out = []
    pod = [e for e in entries(obj) if e.in_pod_spec]
    for e in pod:
        if e.list == "ephemeralContainers":  # they cannot have resources
            continue
        res = e.container.get("resources")
        res = res if isinstance(res, dict) else {}
        missing = [f"{a}.{b}" for a, b in RESOURCE_KEYS if not (isinstance(res.get(a), dict) and b in res[a])]
        if missing:
            out.append((e.path + ("resources",), f"container {e.name!r} lacks {', '.join(missing)}"))
    if obj.get("kind") == "EventListener" and not pod:
        out.append(
            (
                ("spec", "resources"),
                "the EventListener's sink container has no resources "
                "(spec.resources.kubernetesResource.spec.template.spec.containers[0].resources)",
            )
        )
    return out


def _resources_expr() -> str:
    has = " && ".join(f"e.c.?resources.?{a}.?{b}.hasValue()" for a, b in RESOURCE_KEYS)
    return (
        f"variables.podContainers.filter(e, e.list != 'ephemeralContainers').all(e, {has}) && "
        "(!object.apiVersion.startsWith('triggers.tekton.dev/') || size(variables.podContainers) > 0)"
    )


# --- guardrail/pod-labels -----------------------------------------------------------------------


def _labels_check(obj: dict[str, t.Any], s: PolicySettings, build: bool) -> list[Finding]:
    sets = pod_label_sets(obj)
    if sets is None:
        return []
    # A label is there when it has a value, as Kyverno's require-labels sample demands (``?*``).
    missing = [k for k in s.required_labels if not any(labels.get(k) not in (None, "") for _, labels in sets)]
    return (
        [(sets[-1][0], f"pod template lacks required label(s) with a value: {', '.join(missing)}")] if missing else []
    )


def _labels_expr(s: PolicySettings) -> str:
    keys = ", ".join(quote(k) for k in s.required_labels)
    return f"[{keys}].all(k, variables.labelSets.exists(m, k in m && m[k] != ''))"


# Rules that Pod Security Admission also enforces, at the level that does (tenant workload namespaces run
# at the platform's level, restricted in the examples; build namespaces at their pipeline template's).
POD_SECURITY = {
    "guardrail/privileged": "baseline",
    "guardrail/host-namespaces": "baseline",
    "guardrail/root-user": "restricted",
}

_CONTAINERS = PODS + KNATIVE + TEKTON_DEFINITIONS + TEKTON_RUNS + TRIGGERS
_PODS = PODS + KNATIVE + TEKTON_RUNS + TRIGGERS

RULES: dict[str, AdmissionRule] = {
    r.id: r
    for r in (
        AdmissionRule(
            IMAGE_REGISTRY,
            "Allowed image registries",
            _CONTAINERS,
            True,
            lambda s: bool(s.allowed_registries),
            _registry_variants,
            _registry_check,
        ),
        AdmissionRule(
            IMAGE_TAG,
            "Pinned images: no :latest, no untagged image",
            _CONTAINERS,
            True,
            lambda s: s.forbid_latest,
            lambda s: [
                Variant(
                    "tenant",
                    "variables.images.all(g, g.all(e, e.digest || (e.tag != '' && e.tag != 'latest')))",
                    ("images",),
                    "guardrail/image-tag: every image needs a version tag or a digest "
                    "(':latest' and untagged images are refused)",
                )
            ],
            _tag_check,
        ),
        AdmissionRule(
            "guardrail/privileged",
            "No privileged containers",
            _CONTAINERS,
            True,
            lambda s: s.forbid_privileged,
            lambda s: [
                Variant(
                    "tenant",
                    "variables.groups.all(g, g.all(e, e.c.?securityContext.?privileged.orValue(false) != true))",
                    ("groups",),
                    "guardrail/privileged: privileged containers are not allowed",
                )
            ],
            _privileged_check,
        ),
        AdmissionRule(
            "guardrail/host-namespaces",
            "No host network, PID or IPC namespace",
            _PODS,
            False,
            lambda s: s.forbid_privileged,
            lambda s: [
                Variant(
                    "tenant",
                    _host_expr(),
                    ("podSpecs",),
                    "guardrail/host-namespaces: pods may not use hostNetwork, hostPID or hostIPC",
                )
            ],
            _host_check,
        ),
        AdmissionRule(
            "guardrail/container-resources",
            "CPU and memory requests and limits",
            PODS + KNATIVE + TRIGGERS,
            False,
            lambda s: s.require_limits,
            lambda s: [
                Variant(
                    "tenant",
                    _resources_expr(),
                    ("podContainers",),
                    "guardrail/container-resources: every container needs CPU and memory requests and limits",
                )
            ],
            _resources_check,
        ),
        AdmissionRule(
            "guardrail/pod-labels",
            "Required pod labels",
            _PODS,
            False,
            lambda s: bool(s.required_labels),
            lambda s: [
                Variant(
                    "tenant",
                    _labels_expr(s),
                    ("labelSets",),
                    f"guardrail/pod-labels: pods need the labels {', '.join(s.required_labels)}, each with a value",
                    ((REQUIRED_LABELS, input_value(s.required_labels)),),
                )
            ],
            _labels_check,
        ),
    )
}
