"""The objects the platform's controllers make from rendered ones, modelled on their source.

Admission sees these too, so the guardrails must admit them. Each function names the upstream code it
follows (module versions as pinned in tools/upstream.toml):

* Knative Serving v0.47 ``pkg/reconciler/revision/resources/deploy.go`` (``MakeDeployment``,
  ``makePodSpec``, ``BuildUserContainers``) and ``queue.go`` (``makeQueueContainer``,
  ``queueSecurityContext``): a Deployment per revision whose pod runs the user container, with its image
  resolved to a digest, and the ``queue-proxy`` container sized by the ``queue.sidecar`` annotations.
* Tekton Triggers v0.34 ``pkg/reconciler/eventlistener/resources/deployment.go`` and ``container.go``:
  the EventListener's Deployment, sink container ``event-listener`` sized from
  ``kubernetesResource…containers[0].resources``, pod labels = the listener's + its template's.
  Triggers also creates the PipelineRun of the TriggerTemplate, with ``$(tt.params.*)`` filled in.
* Tekton Pipelines v1.6 ``pkg/pod/pod.go`` (``prepare`` init container with the entrypoint image),
  ``pkg/pod/script.go`` (``place-scripts`` with the shell image when a step has a script) and
  ``pkg/reconciler/pipelinerun/affinity_assistant.go`` (a StatefulSet per PipelineRun with a
  volumeClaimTemplate workspace; container ``affinity-assistant``, nop image, 50m/100Mi). TaskRun pods
  carry the run's labels; their steps are the catalog tasks the platform's template names (git-clone
  and kaniko: steps ``clone``, ``build-and-push``, ``write-url``).

* Kubernetes v1.35's CronJob and Job controllers: a CronJob's Job from its job template, the Job's Pods
  from its pod template.

Pods are shown as admission's validating phase sees them: after the LimitRanger plugin filled in the
namespace LimitRange's defaults for containers without resources (it runs in the mutating phase).
"""

from __future__ import annotations

import copy
import hashlib
import typing as t

Obj = dict[str, t.Any]

# Upstream defaults, as released (the platform declares the same repositories in policies.platformImages).
QUEUE_IMAGE = "gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:" + "5" * 64
# Tekton releases its images with ko to ghcr.io as <repository>/<command>-<md5 of its import path>.
ENTRYPOINT_IMAGE = "ghcr.io/tektoncd/pipeline/entrypoint-bff0a22da108bc2f16c818c97641a296:v1.6.0@sha256:" + "e" * 64
NOP_IMAGE = "ghcr.io/tektoncd/pipeline/nop-8eac7c133edad5df719dc37b36b62482:v1.6.0@sha256:" + "0" * 64
# config/controller.yaml of Tekton Pipelines v1.6.0 (-shell-image).
SHELL_IMAGE = "cgr.dev/chainguard/busybox@sha256:19f02276bf8dbdd62f069b922f10c65262cc34b710eea26ff928129a736be791"
SINK_IMAGE = "ghcr.io/tektoncd/triggers/eventlistenersink-7ad1faa98cddbcb0c24990303b220bb8:v0.34.0@sha256:" + "7" * 64
# The Tekton catalog tasks the platform's pipeline templates resolve (git-clone, kaniko, maven).
CATALOG_STEPS = {
    "git-clone": [
        {"name": "clone", "image": "gcr.io/tekton-releases/github.com/tektoncd/pipeline/cmd/git-init:v0.40.2"}
    ],
    "kaniko": [
        {
            "name": "build-and-push",
            "image": "gcr.io/kaniko-project/executor:v1.5.1@sha256:"
            "c6166717f7fe0b7da44908c986137ecfeab21f31ec3992f6e128fff8a94be8a5",
        },
        {
            "name": "write-url",
            "image": "docker.io/library/bash:5.1.4@sha256:"
            "c523c636b722339f41b6a431b44588ab2f762c5de5ec3bd7964420ff982fb1d9",
            "script": "echo url",
        },
    ],
    "maven": [
        {"name": "mvn-settings", "image": "registry.access.redhat.com/ubi8/ubi-minimal:8.2", "script": "cat settings"},
        {
            "name": "mvn-goals",
            "image": "gcr.io/cloud-builders/mvn@sha256:"
            "57523fc43394d6d9d2414ee8d1c85ed7a13460cbb268c3cd16d28cfb3859e641",
        },
    ],
}
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _meta(name: str, namespace: str, labels: t.Mapping[str, str]) -> Obj:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def limit_defaults(pod_spec: Obj, limit_range: Obj | None) -> Obj:
    """What the LimitRanger admission plugin makes of a pod spec: defaults for missing requests/limits."""
    spec = copy.deepcopy(pod_spec)
    if limit_range is None:
        return spec
    item = limit_range["spec"]["limits"][0]
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            res = c.setdefault("resources", {})
            for part, default in (
                ("limits", item.get("default") or {}),
                ("requests", item.get("defaultRequest") or {}),
            ):
                have = res.setdefault(part, {})
                for k, v in default.items():
                    have.setdefault(k, v)
    return spec


def pod_of(controller: Obj, name: str, limit_range: Obj | None) -> Obj:
    template = controller["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, controller["metadata"]["namespace"], template["metadata"].get("labels") or {}),
        "spec": limit_defaults(template["spec"], limit_range),
    }


# --- Knative Serving ------------------------------------------------------------------------------


def knative(service: Obj, limit_range: Obj | None) -> list[Obj]:
    template = service["spec"]["template"]
    revision = template["metadata"]["name"]
    ns = service["metadata"]["namespace"]
    labels = dict(template["metadata"].get("labels") or {})
    labels.update(
        {
            "serving.knative.dev/service": service["metadata"]["name"],
            "serving.knative.dev/configuration": service["metadata"]["name"],
            "serving.knative.dev/revision": revision,
            "app": revision,
        }
    )
    ann = template["metadata"].get("annotations") or {}
    spec = copy.deepcopy(template["spec"])
    for c in spec["containers"]:
        repo = c["image"].split("@")[0]
        if repo.rfind(":") > repo.rfind("/"):
            repo = repo[: repo.rfind(":")]
        c["image"] = f"{repo}@sha256:{_digest(c['image'])}"  # resolved by the revision reconciler
        c["ports"] = [{"name": "user-port", "containerPort": c.get("ports", [{}])[0].get("containerPort", 8080)}]
        c.setdefault("env", []).append({"name": "PORT", "value": str(c["ports"][0]["containerPort"])})
    q = "queue.sidecar.serving.knative.dev/"
    spec["containers"].append(
        {
            "name": "queue-proxy",
            "image": QUEUE_IMAGE,
            "ports": [{"name": "http-queueadm", "containerPort": 8022}, {"name": "http", "containerPort": 8012}],
            "resources": {
                "requests": {
                    "cpu": ann.get(q + "cpu-resource-request", "25m"),
                    "memory": ann.get(q + "memory-resource-request", "50Mi"),
                },
                "limits": {
                    "cpu": ann.get(q + "cpu-resource-limit", "1"),
                    "memory": ann.get(q + "memory-resource-limit", "200Mi"),
                },
            },
            "securityContext": {**RESTRICTED, "readOnlyRootFilesystem": True},
        }
    )
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(f"{revision}-deployment", ns, labels),
        "spec": {
            "selector": {"matchLabels": {"serving.knative.dev/revision": revision}},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }
    rs = copy.deepcopy(deployment)
    rs["kind"], rs["metadata"]["name"] = "ReplicaSet", f"{revision}-deployment-6d4f8b"
    return [deployment, rs, pod_of(deployment, f"{revision}-deployment-6d4f8b-x2k9z", limit_range)]


# --- Tekton Triggers ------------------------------------------------------------------------------


def event_listener(el: Obj) -> list[Obj]:
    ns, name = el["metadata"]["namespace"], el["metadata"]["name"]
    k8s = (el["spec"].get("resources") or {}).get("kubernetesResource") or {}
    template = k8s.get("spec", {}).get("template", {})
    static = {
        "app.kubernetes.io/managed-by": "EventListener",
        "app.kubernetes.io/part-of": "Triggers",
        "eventlistener": name,
    }
    pod_labels = {
        **(el["metadata"].get("labels") or {}),
        **static,
        **(template.get("metadata", {}).get("labels") or {}),
    }
    container: Obj = {
        "name": "event-listener",
        "image": SINK_IMAGE,
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "securityContext": RESTRICTED,
    }
    containers = template.get("spec", {}).get("containers") or []
    if containers:
        container["resources"] = copy.deepcopy(containers[0].get("resources") or {})
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(f"el-{name}", ns, {**(el["metadata"].get("labels") or {}), **static}),
        "spec": {
            "selector": {"matchLabels": static},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "serviceAccountName": el["spec"]["serviceAccountName"],
                    "containers": [container],
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                },
            },
        },
    }
    return [deployment, pod_of(deployment, f"el-{name}-7c9d5-q8w2r", None)]


def pipeline_run(trigger_template: Obj, revision: str = "0123456789abcdef0123456789abcdef01234567") -> Obj:
    (run,) = copy.deepcopy(trigger_template["spec"]["resourcetemplates"])
    run["metadata"]["namespace"] = trigger_template["metadata"]["namespace"]
    run["metadata"]["name"] = run["metadata"].pop("generateName") + "h7x2k"

    def fill(node: t.Any) -> t.Any:
        if isinstance(node, str):
            return node.replace("$(tt.params.revision)", revision)
        if isinstance(node, list):
            return [fill(x) for x in node]
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        return node

    return t.cast(Obj, fill(run))


# --- Tekton Pipelines -----------------------------------------------------------------------------


def pipeline_run_children(run: Obj, pipeline: Obj, limit_range: Obj | None) -> list[Obj]:
    """TaskRuns and their pods, and the affinity assistant, for one PipelineRun of ``pipeline``."""
    ns, run_name = run["metadata"]["namespace"], run["metadata"]["name"]
    labels = {
        **(pipeline["metadata"].get("labels") or {}),
        **(run["metadata"].get("labels") or {}),
        "tekton.dev/pipeline": pipeline["metadata"]["name"],
        "tekton.dev/pipelineRun": run_name,
    }
    pod_template = run["spec"].get("taskRunTemplate", {}).get("podTemplate") or {}
    out: list[Obj] = []
    for task in pipeline["spec"]["tasks"]:
        catalog = next(p["value"] for p in task["taskRef"]["params"] if p["name"] == "name")
        steps = CATALOG_STEPS[catalog]
        tr_name = f"{run_name}-{task['name']}"
        tr_labels = {**labels, "tekton.dev/pipelineTask": task["name"]}
        out.append(
            {
                "apiVersion": "tekton.dev/v1",
                "kind": "TaskRun",
                "metadata": _meta(tr_name, ns, tr_labels),
                "spec": {
                    "serviceAccountName": run["spec"]["taskRunTemplate"]["serviceAccountName"],
                    "podTemplate": copy.deepcopy(pod_template),
                    "taskRef": copy.deepcopy(task["taskRef"]),
                },
            }
        )
        init = [
            {"name": "prepare", "image": ENTRYPOINT_IMAGE, "command": ["/ko-app/entrypoint", "init"], "workingDir": "/"}
        ]
        if any("script" in s for s in steps):
            init.append({"name": "place-scripts", "image": SHELL_IMAGE, "command": ["sh"], "args": ["-c", ""]})
        containers = [
            {"name": f"step-{s['name']}", "image": s["image"], "command": ["/tekton/bin/entrypoint"]} for s in steps
        ]
        pod_labels = {**tr_labels, "tekton.dev/taskRun": tr_name, "app.kubernetes.io/managed-by": "tekton-pipelines"}
        spec = {
            "serviceAccountName": run["spec"]["taskRunTemplate"]["serviceAccountName"],
            "restartPolicy": "Never",
            "securityContext": copy.deepcopy(pod_template.get("securityContext") or {}),
            "initContainers": init,
            "containers": containers,
        }
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": _meta(f"{tr_name}-pod", ns, pod_labels),
                "spec": limit_defaults(spec, limit_range),
            }
        )
    if any("volumeClaimTemplate" in w for w in run["spec"].get("workspaces") or []):
        name = "affinity-assistant-" + _digest(run_name)[:10]
        aa_labels = {
            **(run["metadata"].get("labels") or {}),
            "tekton.dev/pipelineRun": run_name,
            "app.kubernetes.io/instance": name,
            "app.kubernetes.io/component": "affinity-assistant",
        }
        sts = {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": _meta(name, ns, aa_labels),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": aa_labels},
                "template": {
                    "metadata": {"labels": aa_labels},
                    "spec": {
                        "securityContext": copy.deepcopy(pod_template.get("securityContext") or {}),
                        "containers": [
                            {
                                "name": "affinity-assistant",
                                "image": NOP_IMAGE,
                                "args": ["tekton_run_indefinitely"],
                                "resources": {
                                    "limits": {"cpu": "50m", "memory": "100Mi"},
                                    "requests": {"cpu": "50m", "memory": "100Mi"},
                                },
                            }
                        ],
                    },
                },
            },
        }
        out += [sts, pod_of(sts, f"{name}-0", limit_range)]
    return out


# --- batch: CronJob → Job → Pod ------------------------------------------------------------------


def jobs(obj: Obj, limit_range: Obj | None) -> list[Obj]:
    """kubernetes v1.35 ``pkg/controller/cronjob/utils.go`` (``getJobFromTemplate2``): a Job named
    ``<cronjob>-<scheduled minutes>`` with the job template's labels and spec; the Job controller then
    makes Pods from the template, labelled with the job's name."""
    ns = obj["metadata"]["namespace"]
    if obj["kind"] == "CronJob":
        template = obj["spec"]["jobTemplate"]
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _meta(f"{obj['metadata']['name']}-29000000", ns, template["metadata"].get("labels") or {}),
            "spec": copy.deepcopy(template["spec"]),
        }
        return [job, *jobs(job, limit_range)]
    pod = pod_of(obj, f"{obj['metadata']['name']}-x1y2z", limit_range)
    pod["metadata"]["labels"].update(
        {"batch.kubernetes.io/job-name": obj["metadata"]["name"], "job-name": obj["metadata"]["name"]}
    )
    return [pod]


def derive(objects: t.Sequence[Obj]) -> list[Obj]:
    """Everything the controllers make from one bundle's rendered objects."""
    limit_ranges = {o["metadata"]["namespace"]: o for o in objects if o["kind"] == "LimitRange"}
    pipelines = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects if o["kind"] == "Pipeline"}
    out: list[Obj] = []
    for o in objects:
        ns = o["metadata"].get("namespace")
        if o["kind"] == "Service" and o["apiVersion"].startswith("serving.knative.dev/"):
            out += knative(o, limit_ranges.get(ns))
        elif o["kind"] in ("CronJob", "Job") and o["apiVersion"] == "batch/v1":
            out += jobs(o, limit_ranges.get(ns))
        elif o["kind"] == "EventListener":
            out += event_listener(o)
        elif o["kind"] == "TriggerTemplate":
            run = pipeline_run(o)
            out.append(run)
            out += pipeline_run_children(run, pipelines[(ns, run["spec"]["pipelineRef"]["name"])], limit_ranges.get(ns))
    return out
