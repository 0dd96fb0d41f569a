"""Where pod specs, containers and images live inside workload objects."""

from __future__ import annotations

import typing as t

from genplat.core.images import parse_image
from genplat.core.objects import RenderedObject
from genplat.checks.guardrails._context import PathT

# Kinds whose pod spec sits at a fixed place. Anything else with spec.template.spec.containers (or a
# job template) is treated as a workload too, so Argo Rollouts, KEDA ScaledJobs and friends are covered.
_POD_SPEC_AT: dict[str, PathT] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Revision": ("spec",),  # Knative serving.knative.dev/v1
}
_GENERIC: tuple[PathT, ...] = (("spec", "template", "spec"), ("spec", "jobTemplate", "spec", "template", "spec"))
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
# Tekton Tasks run steps and sidecars as containers of the TaskRun's pod.
_TEKTON_LISTS = ("steps", "sidecars")


def _get(obj: t.Any, path: PathT) -> t.Any:
    for part in path:
        if isinstance(obj, dict) and isinstance(part, str):
            obj = obj.get(part)
        else:
            return None
    return obj


def pod_specs(ro: RenderedObject) -> t.Iterator[tuple[PathT, dict[str, t.Any]]]:
    obj = ro.obj
    at = _POD_SPEC_AT.get(ro.kind)
    if at is not None and not (ro.kind == "Revision" and not ro.api_version.startswith("serving.knative.dev/")):
        spec = _get(obj, at)
        if isinstance(spec, dict):
            yield at, spec
        return
    for path in _GENERIC:
        spec = _get(obj, path)
        if isinstance(spec, dict) and isinstance(spec.get("containers"), list):
            yield path, spec


def containers(ro: RenderedObject) -> t.Iterator[tuple[PathT, dict[str, t.Any], dict[str, t.Any]]]:
    """(path, container, pod-level securityContext) for every container the object would run."""
    for path, spec in pod_specs(ro):
        found = spec.get("securityContext")
        pod_sc: dict[str, t.Any] = found if isinstance(found, dict) else {}
        for key in _CONTAINER_LISTS:
            for i, c in enumerate(spec.get(key) or []):
                if isinstance(c, dict):
                    yield path + (key, i), c, pod_sc
    if ro.kind in ("Task", "ClusterTask") and ro.api_version.startswith("tekton.dev/"):
        task_spec = ro.obj.get("spec")
        if isinstance(task_spec, dict):
            for key in _TEKTON_LISTS:
                for i, c in enumerate(task_spec.get(key) or []):
                    if isinstance(c, dict):
                        yield ("spec", key, i), c, {}


def split_image(image: str) -> tuple[str, str, str | None, str | None]:
    """``image`` → (registry, repository, tag, digest), with Docker's defaults for short names."""
    ref = parse_image(image)
    return ref.registry, ref.repository, ref.tag, ref.digest
