"""Kyverno ClusterPolicies from the platform's policy baseline, enforced in tenant namespaces only."""

from __future__ import annotations

import typing as t

from .._objects import RenderedObject
from ._base import TENANT_LABEL, BundleContext, platform_object

FILE = "kyverno.yaml"
PURPOSE_LABEL = "genplat.dev/purpose"


def _rule(name: str, message: str, pattern: dict[str, t.Any] | None = None, deny: dict[str, t.Any] | None = None,
          foreach: list[dict[str, t.Any]] | None = None, *, workloads_only: bool = False) -> dict[str, t.Any]:
    validate: dict[str, t.Any] = {"failureAction": "Enforce", "message": message}
    if pattern is not None:
        validate["pattern"] = pattern
    if foreach is not None:
        validate["foreach"] = foreach
    selector: list[dict[str, t.Any]] = [{"key": TENANT_LABEL, "operator": "Exists"}]
    if workloads_only:
        # Build namespaces run the builder images the platform's pipeline templates name (kaniko,
        # git-clone from the Tekton catalog), not tenant images, and pods Tekton's controller labels
        # itself (the affinity assistant): registry and label lists are for workloads.
        selector.append({"key": PURPOSE_LABEL, "operator": "NotIn", "values": ["build"]})
    return {
        "name": name,
        "match": {"any": [{"resources": {
            "kinds": ["Pod"],
            "namespaceSelector": {"matchExpressions": selector},
        }}]},
        "validate": validate,
    }


def _policy(ctx: BundleContext, name: str, title: str, path: t.Sequence[str | int], rules: list[dict[str, t.Any]]) -> RenderedObject:
    obj = platform_object(ctx, "kyverno.io/v1", "ClusterPolicy", name, ctx.platform.origin(path), FILE,
                          spec={"background": True, "rules": rules})
    obj.obj["metadata"]["annotations"] = {"policies.kyverno.io/title": title}
    return obj


def render(ctx: BundleContext) -> list[RenderedObject]:
    if not ctx.cluster.has("kyverno"):
        return []
    p = ctx.platform.policies
    base = ("spec", "policies")
    out = []
    containers = ["containers", "initContainers"]
    if p.get("requireLimits", True):
        out.append(_policy(ctx, "genplat-require-requests-limits", "Require requests and limits", (*base, "requireLimits") if "requireLimits" in p else base, [
            _rule("requests-and-limits", "CPU and memory requests and limits are required.", pattern={"spec": {"containers": [
                {"resources": {"requests": {"cpu": "?*", "memory": "?*"}, "limits": {"cpu": "?*", "memory": "?*"}}}]}}),
        ]))
    registries = p.get("allowedRegistries") or []
    if registries:
        allowed = " | ".join(f"{r.rstrip('/')}/*" for r in registries)
        out.append(_policy(ctx, "genplat-allowed-registries", "Allowed image registries", (*base, "allowedRegistries"), [
            _rule(f"allowed-registries-{c.lower()}", f"Images must come from: {', '.join(registries)}.",
                  pattern={"spec": {f"=({c})": [{"image": allowed}]}}, workloads_only=True) for c in containers
        ]))
    if p.get("forbidLatest", True):
        out.append(_policy(ctx, "genplat-disallow-latest-tag", "Disallow :latest and untagged images", (*base, "forbidLatest") if "forbidLatest" in p else base, [
            _rule("require-image-tag", "Images need a tag or digest.", pattern={"spec": {"containers": [{"image": "*:* | *@sha256:*"}]}}),
            _rule("disallow-latest", "The :latest tag is not allowed.", pattern={"spec": {"containers": [{"image": "!*:latest"}]}}),
        ]))
    if p.get("forbidPrivileged", True):
        out.append(_policy(ctx, "genplat-disallow-privileged", "Disallow privileged and host-namespace pods", (*base, "forbidPrivileged") if "forbidPrivileged" in p else base, [
            _rule("host-namespaces", "Host namespaces are not allowed.",
                  pattern={"spec": {"=(hostNetwork)": False, "=(hostPID)": False, "=(hostIPC)": False}}),
            _rule("privileged-containers", "Privileged containers are not allowed.",
                  pattern={"spec": {"containers": [{"=(securityContext)": {"=(privileged)": False}}]}}),
        ]))
    labels = p.get("requiredLabels") or []
    if labels:
        out.append(_policy(ctx, "genplat-require-labels", "Require labels", (*base, "requiredLabels"), [
            _rule("required-labels", f"Pods need the labels: {', '.join(labels)}.",
                  pattern={"metadata": {"labels": {k: "?*" for k in labels}}}, workloads_only=True),
        ]))
    return out
