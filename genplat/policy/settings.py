"""The platform settings the admission rules read (``spec.policies`` of the platform blueprint)."""

from __future__ import annotations

import dataclasses
import typing as t

# policies.kyverno.policyKind: ValidatingPolicy (policies.kyverno.io/v1, Kyverno >= 1.17) by default;
# ClusterPolicy (kyverno.io/v1 with validate.cel, Kyverno 1.11 to 1.16) for older Kyverno.
KYVERNO_KINDS = ("ValidatingPolicy", "ClusterPolicy")
NAMESPACE_SCOPES = ("all", "workload", "build")


@dataclasses.dataclass(frozen=True, slots=True)
class PlatformImage:
    """An image the platform's own controllers or pipeline templates put into tenant pods.

    ``image`` is a repository (any tag or digest of it matches, nothing below or beside it);
    ``containers`` the container names it may run as (a trailing ``*`` matches a prefix);
    ``namespaces`` where: ``workload``, ``build`` (tenant build namespaces) or ``all``.
    """

    name: str
    image: str
    containers: tuple[str, ...]
    namespaces: str = "all"

    def allows(self, ref: str, container: str, *, build: bool, normalize: t.Callable[[str], str]) -> bool:
        """Whether an image (``ref``: its repository with Docker's defaults) may run as ``container``."""
        if (self.namespaces == "workload" and build) or (self.namespaces == "build" and not build):
            return False
        if ref != normalize(self.image):
            return False
        return any(container.startswith(p[:-1]) if p.endswith("*") else container == p for p in self.containers)


@dataclasses.dataclass(frozen=True, slots=True)
class PolicySettings:
    allowed_registries: tuple[str, ...] = ()
    platform_images: tuple[PlatformImage, ...] = ()
    required_labels: tuple[str, ...] = ()
    require_limits: bool = True
    forbid_latest: bool = True
    forbid_privileged: bool = True
    kyverno_kind: str = "ValidatingPolicy"


def settings_from(policies: t.Mapping[str, t.Any]) -> PolicySettings:
    """Settings from the platform blueprint's ``spec.policies`` (already schema-valid)."""
    images = tuple(
        PlatformImage(
            str(p["name"]),
            str(p["image"]).rstrip("/"),
            tuple(str(c) for c in p.get("containers") or ()),
            str(p.get("namespaces") or "all"),
        )
        for p in policies.get("platformImages") or ()
    )
    return PolicySettings(
        allowed_registries=tuple(str(r).rstrip("/") for r in policies.get("allowedRegistries") or ()),
        platform_images=images,
        required_labels=tuple(str(k) for k in policies.get("requiredLabels") or ()),
        require_limits=policies.get("requireLimits", True) is not False,
        forbid_latest=policies.get("forbidLatest", True) is not False,
        forbid_privileged=policies.get("forbidPrivileged", True) is not False,
        kyverno_kind=str((policies.get("kyverno") or {}).get("policyKind") or "ValidatingPolicy"),
    )
