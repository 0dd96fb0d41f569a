"""Where tenant workloads keep their containers, pod settings and pod labels, for every kind admitted.

One walk, two spellings: the Python functions below serve genplat's build gate, and :mod:`._cel`
spells the same walk as CEL variables for the admission policies. Keep them in step (the corpus tests
run both on the same objects).

* **Pod specs**: a Pod's ``spec``; ``spec.template.spec`` of Deployments, StatefulSets, DaemonSets,
  ReplicaSets, ReplicationControllers, Jobs and Knative Services/Configurations; a CronJob's
  ``spec.jobTemplate.spec.template.spec``; a PodTemplate's ``template.spec``; a Knative Revision's
  ``spec``; an EventListener's ``spec.resources.kubernetesResource.spec.template.spec`` (Tekton
  Triggers takes the sink container's resources from its ``containers[0]``). Containers are
  ``containers``, ``initContainers`` and ``ephemeralContainers``.
* **Tekton task specs**: a Task's ``spec``, a TaskRun's ``spec.taskSpec``, the ``taskSpec`` of every
  task and finally task of a Pipeline (or a PipelineRun's ``spec.pipelineSpec``), a StepAction's
  ``spec`` (one step). Their ``steps``, ``sidecars`` and ``stepTemplate`` become the pod's
  containers; they are named as in the pod Tekton makes: ``step-<name>``, ``sidecar-<name>``.
* **Tekton pod templates** (``hostNetwork``): a TaskRun's ``spec.podTemplate``, a PipelineRun's
  ``spec.taskRunTemplate.podTemplate`` (v1) or ``spec.podTemplate`` (v1beta1).
* **Pod labels**: a Pod's, Revision's, TaskRun's and PipelineRun's own labels (Tekton copies them to
  its pods); the pod template's labels of the others; an EventListener's labels together with its
  ``kubernetesResource`` template's (Triggers puts both on the sink's pods).
"""

from __future__ import annotations

import dataclasses
import typing as t

PathT = tuple[str | int, ...]

_CONTROLLERS = {
    "Deployment": "apps/",
    "StatefulSet": "apps/",
    "DaemonSet": "apps/",
    "ReplicaSet": "apps/",
    "Job": "batch/",
    "ReplicationController": "v1",
}
_POD_LISTS = ("containers", "initContainers", "ephemeralContainers")
TEMPLATE_SPEC: PathT = ("spec", "template", "spec")
EL_TEMPLATE: PathT = ("spec", "resources", "kubernetesResource", "spec", "template")


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    """A kind the admission policies match: API group, resource (plural), kind, and the capability that
    brings it (None: core Kubernetes)."""

    group: str
    resource: str
    kind: str
    capability: str | None = None
    version: str = "v1"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


PODS = (
    Target("", "pods", "Pod"),
    Target("", "podtemplates", "PodTemplate"),
    Target("", "replicationcontrollers", "ReplicationController"),
    Target("apps", "deployments", "Deployment"),
    Target("apps", "statefulsets", "StatefulSet"),
    Target("apps", "daemonsets", "DaemonSet"),
    Target("apps", "replicasets", "ReplicaSet"),
    Target("batch", "jobs", "Job"),
    Target("batch", "cronjobs", "CronJob"),
)
KNATIVE = (
    Target("serving.knative.dev", "services", "Service", "knative-serving"),
    Target("serving.knative.dev", "configurations", "Configuration", "knative-serving"),
    Target("serving.knative.dev", "revisions", "Revision", "knative-serving"),
)
TEKTON_DEFINITIONS = (
    Target("tekton.dev", "tasks", "Task", "tekton"),
    Target("tekton.dev", "pipelines", "Pipeline", "tekton"),
    Target("tekton.dev", "stepactions", "StepAction", "tekton", "v1beta1"),
)
TEKTON_RUNS = (
    Target("tekton.dev", "taskruns", "TaskRun", "tekton"),
    Target("tekton.dev", "pipelineruns", "PipelineRun", "tekton"),
)
TRIGGERS = (Target("triggers.tekton.dev", "eventlisteners", "EventListener", "tekton", "v1beta1"),)


ALL_TARGETS = PODS + KNATIVE + TEKTON_DEFINITIONS + TEKTON_RUNS + TRIGGERS
_TARGET_KINDS = {(tg.group, tg.kind) for tg in ALL_TARGETS}


def is_target(obj: dict[str, t.Any]) -> bool:
    """Whether the admission policies match the object's kind (at some rule)."""
    return (_group(obj), obj.get("kind")) in _TARGET_KINDS


def _get(obj: t.Any, path: PathT) -> t.Any:
    for part in path:
        if isinstance(obj, dict) and isinstance(part, str):
            obj = obj.get(part)
        elif isinstance(obj, list) and isinstance(part, int) and 0 <= part < len(obj):
            obj = obj[part]
        else:
            return None
    return obj


def _group(obj: dict[str, t.Any]) -> str:
    api = obj.get("apiVersion")
    return api.rpartition("/")[0] if isinstance(api, str) else ""


def pod_spec_path(obj: dict[str, t.Any]) -> PathT | None:
    """Where the object's pod spec is, for the kinds the policies match (None: it has none)."""
    kind, group = obj.get("kind"), _group(obj)
    if group == "" and kind == "Pod":
        return ("spec",)
    if group == "" and kind == "PodTemplate":
        return ("template", "spec")
    if group == "batch" and kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    if isinstance(kind, str) and kind in _CONTROLLERS and (group + "/" if group else "v1") == _CONTROLLERS[kind]:
        return TEMPLATE_SPEC
    if group == "serving.knative.dev" and kind in ("Service", "Configuration"):
        return TEMPLATE_SPEC
    if group == "serving.knative.dev" and kind == "Revision":
        return ("spec",)
    if group == "triggers.tekton.dev" and kind == "EventListener":
        return EL_TEMPLATE + ("spec",)
    return None


def task_specs(obj: dict[str, t.Any]) -> list[tuple[PathT, dict[str, t.Any]]]:
    """(path, task spec) of the Tekton kinds; a StepAction counts as a task spec of one step."""
    if _group(obj) != "tekton.dev":
        return []
    kind = obj.get("kind")
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    if kind in ("Task", "ClusterTask"):
        return [(("spec",), spec)]
    if kind == "TaskRun":
        ts = spec.get("taskSpec")
        return [(("spec", "taskSpec"), ts)] if isinstance(ts, dict) else []
    if kind in ("Pipeline", "PipelineRun"):
        base: PathT = ("spec",) if kind == "Pipeline" else ("spec", "pipelineSpec")
        pipeline = _get(obj, base)
        out = []
        for key in ("tasks", "finally"):
            for i, task in enumerate(pipeline.get(key) or [] if isinstance(pipeline, dict) else []):
                if isinstance(task, dict) and isinstance(task.get("taskSpec"), dict):
                    out.append((base + (key, i, "taskSpec"), task["taskSpec"]))
        return out
    return []


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One container the object would run: where it is, its spec, its name in the pod, which list."""

    path: PathT
    container: dict[str, t.Any]
    name: str
    list: str  # containers, initContainers, ephemeralContainers, steps, sidecars, stepTemplate
    in_pod_spec: bool  # False: a Tekton step, sidecar or step template

    @property
    def image(self) -> str:
        image = self.container.get("image")
        return image if isinstance(image, str) else ""


def entries(obj: dict[str, t.Any]) -> list[Entry]:
    out: list[Entry] = []
    at = pod_spec_path(obj)
    spec = _get(obj, at) if at is not None else None
    if at is not None and isinstance(spec, dict):
        for key in _POD_LISTS:
            for i, c in enumerate(spec.get(key) or []):
                if isinstance(c, dict):
                    name = c.get("name")
                    out.append(Entry(at + (key, i), c, name if isinstance(name, str) else "", key, True))
    if _group(obj) == "tekton.dev" and obj.get("kind") == "StepAction" and isinstance(obj.get("spec"), dict):
        out.append(Entry(("spec",), obj["spec"], "step-", "steps", False))
    for path, ts in task_specs(obj):
        for key, prefix in (("steps", "step-"), ("sidecars", "sidecar-")):
            for i, c in enumerate(ts.get(key) or []):
                if isinstance(c, dict):
                    name = c.get("name")
                    out.append(Entry(path + (key, i), c, prefix + (name if isinstance(name, str) else ""), key, False))
        if isinstance(ts.get("stepTemplate"), dict):
            out.append(Entry(path + ("stepTemplate",), ts["stepTemplate"], "", "stepTemplate", False))
    return out


# Kinds the admission policies do not list but the gate still walks: anything with a pod template at
# ``spec.template.spec`` (Argo Rollouts, …) is read as a Deployment, anything with a job template at
# ``spec.jobTemplate.spec.template.spec`` (KEDA ScaledJobs, …) as a CronJob.
_STAND_INS: tuple[tuple[PathT, str, str], ...] = (
    (TEMPLATE_SPEC, "apps/v1", "Deployment"),
    (("spec", "jobTemplate", "spec", "template", "spec"), "batch/v1", "CronJob"),
)


def as_model(obj: dict[str, t.Any]) -> dict[str, t.Any] | None:
    """The object as this walk reads it: itself, a stand-in of a known kind, or None (it runs no pods)."""
    if is_target(obj):
        return obj
    for path, api, kind in _STAND_INS:
        node = _get(obj, path)
        if isinstance(node, dict) and isinstance(node.get("containers"), list):
            return {**obj, "apiVersion": api, "kind": kind}
    return None


def pod_security_context(obj: dict[str, t.Any]) -> dict[str, t.Any]:
    """The pod-level ``securityContext`` that applies to the object's pod containers ({} if none)."""
    at = pod_spec_path(obj)
    found = _get(obj, at + ("securityContext",)) if at is not None else None
    return found if isinstance(found, dict) else {}


def pod_like_specs(obj: dict[str, t.Any]) -> list[tuple[PathT, dict[str, t.Any]]]:
    """Specs that may ask for host namespaces: the pod spec and Tekton's pod templates."""
    out = []
    at = pod_spec_path(obj)
    spec = _get(obj, at) if at is not None else None
    if at is not None and isinstance(spec, dict):
        out.append((at, spec))
    if _group(obj) == "tekton.dev":
        for path in (("spec", "podTemplate"), ("spec", "taskRunTemplate", "podTemplate")):
            found = _get(obj, path)
            if obj.get("kind") in ("TaskRun", "PipelineRun") and isinstance(found, dict):
                out.append((path, found))
    return out


def pod_label_sets(obj: dict[str, t.Any]) -> list[tuple[PathT, dict[str, t.Any]]] | None:
    """(path, labels) whose union the object's pods carry; None: the kind has no pods of its own."""
    kind, group = obj.get("kind"), _group(obj)

    def labels(path: PathT) -> tuple[PathT, dict[str, t.Any]]:
        found = _get(obj, path)
        return path, found if isinstance(found, dict) else {}

    if (group, kind) in (
        ("", "Pod"),
        ("serving.knative.dev", "Revision"),
        ("tekton.dev", "TaskRun"),
        ("tekton.dev", "PipelineRun"),
    ):
        return [labels(("metadata", "labels"))]
    if group == "triggers.tekton.dev" and kind == "EventListener":
        return [labels(("metadata", "labels")), labels(EL_TEMPLATE + ("metadata", "labels"))]
    at = pod_spec_path(obj)
    if at is None:
        return None
    return [labels(at[:-1] + ("metadata", "labels"))]
