"""The Pods controllers make from genplat's workload templates, as those controllers build them.

Nothing reconciles on the test control plane, so these functions do what the controllers would, from
their source at the pinned releases (knative.dev/serving v0.47 ``pkg/reconciler/revision/resources``:
deploy.go, queue.go; tektoncd/pipeline v1.6 ``pkg/pod/pod.go``), keeping what admission judges: the
containers (Knative's queue-proxy and Tekton's init containers included), their security contexts,
ports, env, resources, volumes, the service account and the pod security context. Tekton runs the
catalog Tasks the platform's pipelines reference through the bundles resolver (not reachable offline):
their steps are written here from tektoncd/catalog's git-clone 0.9, kaniko 0.7 and maven 0.3 (the last
through the hub resolver).
"""

from __future__ import annotations

import copy
import typing as t

QUEUE_IMAGE = "gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:" + "0" * 64
QUEUE_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
_QP = "queue.sidecar.serving.knative.dev/"


def knative_revision_pod(ksvc: dict[str, t.Any]) -> dict[str, t.Any]:
    """The Pod of a Knative Service's revision (its Deployment's template), from ``spec.template``."""
    template = copy.deepcopy(ksvc["spec"]["template"])
    meta, spec = template.get("metadata", {}), template["spec"]
    name = ksvc["metadata"]["name"]
    revision = meta.get("name") or f"{name}-00001"
    annotations = meta.get("annotations", {})
    user = spec["containers"][0]
    port = (user.get("ports") or [{"containerPort": 8080}])[0]["containerPort"]
    user["ports"] = [{"name": "user-port", "containerPort": port, "protocol": "TCP"}]
    user["env"] = [
        *user.get("env", []),
        {"name": "PORT", "value": str(port)},
        {"name": "K_REVISION", "value": revision},
        {"name": "K_CONFIGURATION", "value": name},
        {"name": "K_SERVICE", "value": name},
    ]
    user["terminationMessagePolicy"] = "FallbackToLogsOnError"
    user["lifecycle"] = {"preStop": {"httpGet": {"path": "/wait-for-drain", "port": 8022}}}
    resources: dict[str, dict[str, str]] = {}
    for kind, field in (("request", "requests"), ("limit", "limits")):
        for res in ("cpu", "memory"):
            if f"{_QP}{res}-resource-{kind}" in annotations:
                resources.setdefault(field, {})[res] = annotations[f"{_QP}{res}-resource-{kind}"]
    queue = {
        "name": "queue-proxy",
        "image": QUEUE_IMAGE,
        "resources": resources or {"requests": {"cpu": "25m"}},
        "ports": [
            {"name": "http-queueadm", "containerPort": 8022},
            {"name": "http-autometric", "containerPort": 9090},
            {"name": "http-usermetric", "containerPort": 9091},
            {"name": "queue-port", "containerPort": 8012},
            {"name": "https-port", "containerPort": 8112},
        ],
        "env": [
            {"name": "SERVING_NAMESPACE", "value": ksvc["metadata"]["namespace"]},
            {"name": "USER_PORT", "value": str(port)},
        ],
        "readinessProbe": {"httpGet": {"port": 8012, "httpHeaders": [{"name": "K-Network-Probe", "value": "queue"}]}},
        "securityContext": copy.deepcopy(QUEUE_SECURITY),
    }
    spec["containers"] = [user, *spec["containers"][1:], queue]
    spec["enableServiceLinks"] = False
    spec["terminationGracePeriodSeconds"] = 300
    labels = {
        **meta.get("labels", {}),
        "serving.knative.dev/service": name,
        "serving.knative.dev/configuration": name,
        "serving.knative.dev/revision": revision,
        "app": revision,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"{revision}-deployment-0", "namespace": ksvc["metadata"]["namespace"], "labels": labels},
        "spec": spec,
    }


# tektoncd/catalog steps (image, securityContext, uses a script) of the Tasks the pipelines resolve.
CATALOG_STEPS: dict[str, list[dict[str, t.Any]]] = {
    "git-clone": [
        {
            "name": "clone",
            "image": "gcr.io/tekton-releases/github.com/tektoncd/pipeline/cmd/git-init:v0.40.2",
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65532},
            "script": True,
        }
    ],
    "kaniko": [
        {
            "name": "build-and-push",
            "securityContext": {"runAsUser": 0},
            "script": False,
            "image": "gcr.io/kaniko-project/executor:v1.5.1@sha256:c6166717f7fe0b7da44908c986137ecfeab21f31ec3992f6e128fff8a94be8a5",
        },
        {
            "name": "write-url",
            "script": True,
            "image": "docker.io/library/bash:5.1.4@sha256:c523c636b722339f41b6a431b44588ab2f762c5de5ec3bd7964420ff982fb1d9",
        },
    ],
}
CATALOG_STEPS["maven"] = [
    {"name": "mvn-settings", "image": "registry.access.redhat.com/ubi8/ubi-minimal:8.2", "script": True},
    {
        "name": "mvn-goals",
        "script": False,
        "image": "gcr.io/cloud-builders/mvn@sha256:57523fc43394d6d9d2414ee8d1c85ed7a13460cbb268c3cd16d28cfb3859e641",
    },
]
ENTRYPOINT_IMAGE = "ghcr.io/tektoncd/pipeline/entrypoint-bff0a22da108bc2f16c818c97641a296@sha256:" + "1" * 64
SHELL_IMAGE = "cgr.dev/chainguard/busybox@sha256:" + "2" * 64
_INTERNAL = [
    "tekton-internal-workspace",
    "tekton-internal-home",
    "tekton-internal-results",
    "tekton-internal-steps",
    "tekton-internal-artifacts",
    "tekton-internal-bin",
    "tekton-internal-scripts",
]


def _task_name(task: dict[str, t.Any]) -> str:
    ref = task.get("taskRef", {})
    params = {p["name"]: p["value"] for p in ref.get("params", [])}
    return str(params.get("name") or ref.get("name"))


def tekton_task_pods(
    pipeline_run: dict[str, t.Any], pipeline: dict[str, t.Any], namespace: str
) -> list[dict[str, t.Any]]:
    """One Pod per pipeline task, as Tekton's pod builder makes it for the TaskRun of that task."""
    run_spec = pipeline_run["spec"]
    trt = run_spec.get("taskRunTemplate", {})
    pod_template = trt.get("podTemplate", {})
    run_name = pipeline_run["metadata"].get("generateName", "run-") + "x1y2z"
    bindings = {w["name"]: w for w in run_spec.get("workspaces", [])}
    pods = []
    for task in pipeline["spec"]["tasks"]:
        steps = CATALOG_STEPS[_task_name(task)]
        volumes: list[dict[str, t.Any]] = [{"name": v, "emptyDir": {}} for v in _INTERNAL]
        volumes.append(
            {
                "name": "tekton-internal-downward",
                "downwardAPI": {
                    "items": [{"path": "ready", "fieldRef": {"fieldPath": "metadata.annotations['tekton.dev/ready']"}}]
                },
            }
        )
        volumes.append({"name": "tekton-creds-init-home-0", "emptyDir": {"medium": "Memory"}})
        mounts = []
        for i, ws in enumerate(task.get("workspaces", [])):
            binding = bindings[ws["workspace"]]
            vol: dict[str, t.Any] = {"name": f"ws-{i}"}
            if "secret" in binding:
                vol["secret"] = binding["secret"]
            elif "volumeClaimTemplate" in binding:
                vol["persistentVolumeClaim"] = {"claimName": f"pvc-{run_name}"}
            else:
                vol["emptyDir"] = {}
            volumes.append(vol)
            mounts.append({"name": f"ws-{i}", "mountPath": f"/workspace/{ws['name']}"})
        internal_mounts = [{"name": v, "mountPath": f"/tekton/{v.split('-')[-1]}"} for v in _INTERNAL]
        init = [
            {
                "name": "prepare",
                "image": ENTRYPOINT_IMAGE,
                "workingDir": "/",
                "command": [
                    "/ko-app/entrypoint",
                    "init",
                    "/ko-app/entrypoint",
                    "/tekton/bin/entrypoint",
                    *[f"step-{s['name']}" for s in steps],
                ],
                "volumeMounts": [
                    {"name": "tekton-internal-bin", "mountPath": "/tekton/bin"},
                    {"name": "tekton-internal-steps", "mountPath": "/tekton/steps"},
                ],
            }
        ]
        if any(s["script"] for s in steps):
            init.append(
                {
                    "name": "place-scripts",
                    "image": SHELL_IMAGE,
                    "command": ["sh"],
                    "args": ["-c", "true"],
                    "volumeMounts": [
                        {"name": "tekton-internal-scripts", "mountPath": "/tekton/scripts"},
                        {"name": "tekton-internal-bin", "mountPath": "/tekton/bin"},
                    ],
                }
            )
        containers = []
        for s in steps:
            c: dict[str, t.Any] = {
                "name": f"step-{s['name']}",
                "image": s["image"],
                "command": ["/tekton/bin/entrypoint"],
                "args": ["-post_file", f"/tekton/run/{s['name']}/out", "-entrypoint", "/bin/sh"],
                "volumeMounts": [
                    *internal_mounts,
                    *mounts,
                    {"name": "tekton-internal-downward", "mountPath": "/tekton/downward"},
                    {"name": "tekton-creds-init-home-0", "mountPath": "/tekton/creds"},
                ],
                "terminationMessagePath": "/tekton/termination",
                "terminationMessagePolicy": "File",
            }
            if "securityContext" in s:
                c["securityContext"] = s["securityContext"]
            containers.append(c)
        spec: dict[str, t.Any] = {
            "restartPolicy": "Never",
            "initContainers": init,
            "containers": containers,
            "volumes": volumes,
            "activeDeadlineSeconds": 5400,
        }
        if trt.get("serviceAccountName"):
            spec["serviceAccountName"] = trt["serviceAccountName"]
        for key in (
            "securityContext",
            "nodeSelector",
            "tolerations",
            "imagePullSecrets",
            "enableServiceLinks",
            "automountServiceAccountToken",
            "hostNetwork",
            "runtimeClassName",
            "priorityClassName",
        ):
            if key in pod_template:
                spec[key] = pod_template[key]
        labels = {
            **pipeline_run["metadata"].get("labels", {}),
            "app.kubernetes.io/managed-by": "tekton-pipelines",
            "tekton.dev/pipelineTask": task["name"],
            "tekton.dev/taskRun": f"{run_name}-{task['name']}",
        }
        pods.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"{run_name}-{task['name']}-pod", "namespace": namespace, "labels": labels},
                "spec": spec,
            }
        )
    return pods


def derived_pods(docs: list[dict[str, t.Any]]) -> list[tuple[str, dict[str, t.Any]]]:
    """(what it comes from, Pod) for every workload template of a bundle."""
    out: list[tuple[str, dict[str, t.Any]]] = []
    pipelines = {
        (d["metadata"].get("namespace"), d["metadata"]["name"]): d
        for d in docs
        if d["apiVersion"].startswith("tekton.dev/") and d["kind"] == "Pipeline"
    }
    for d in docs:
        ns = d["metadata"].get("namespace")
        if d["apiVersion"] == "serving.knative.dev/v1" and d["kind"] == "Service":
            out.append((f"Knative Service {ns}/{d['metadata']['name']}", knative_revision_pod(d)))
        elif d["kind"] == "TriggerTemplate":
            for rt in d["spec"].get("resourcetemplates", []):
                if rt.get("kind") == "PipelineRun":
                    pipe = pipelines[(ns, rt["spec"]["pipelineRef"]["name"])]
                    for pod in tekton_task_pods(rt, pipe, str(ns)):
                        out.append(
                            (
                                f"TriggerTemplate {ns}/{d['metadata']['name']} task {pod['metadata']['labels']['tekton.dev/pipelineTask']}",
                                pod,
                            )
                        )
        elif (
            d["apiVersion"] == "apps/v1" and d["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
        ) or (d["apiVersion"] == "batch/v1" and d["kind"] in ("Job", "CronJob")):
            # A CronJob's Jobs carry its job template; the Job controller makes Pods from the template.
            tpl = d["spec"]["jobTemplate"]["spec"]["template"] if d["kind"] == "CronJob" else d["spec"]["template"]
            out.append(
                (
                    f"{d['kind']} {ns}/{d['metadata']['name']}",
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {
                            "name": f"{d['metadata']['name']}-0",
                            "namespace": ns,
                            "labels": tpl.get("metadata", {}).get("labels", {}),
                        },
                        "spec": tpl["spec"],
                    },
                )
            )
    return out
