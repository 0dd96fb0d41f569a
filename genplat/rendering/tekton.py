"""Tekton: a Pipeline per built service from the platform's template, its ServiceAccount, and push triggers.

In the tenant's build namespace ``<tenant>-<env>-build`` (see :mod:`genplat.rendering.tenancy`), on
clusters with the ``tekton`` capability:

* ``Pipeline <service>-build`` (tekton.dev/v1): params ``repo-url``, ``revision``, ``image`` plus the
  template's own (tenant values over template defaults), the template's workspaces, and its tasks with
  ``taskRef.resolver`` + ``params`` (``tekton.dev/v1`` has no ``taskRef.bundle``) in blueprint order.
* ``ServiceAccount build`` the runs use, with the platform's image pull secret.
* When the template enables triggers: ``TriggerBinding <service>-push`` (revision = the pushed commit),
  ``TriggerTemplate <service>-build`` (an inline PipelineRun), ``EventListener <service>-push`` whose CEL
  interceptor passes only pushes to the configured branch, whose sink container is sized with the
  tier's container defaults (Triggers reads ``kubernetesResource…containers[0].resources`` only), run
  as ``ServiceAccount build-triggers``
  (RoleBinding here, ClusterRoleBinding in the platform part: :func:`render_platform`).
* NetworkPolicies (under default-deny) for what builds and listeners need: TaskRun pods reach git hosts
  and registries (TCP 443 and 22), EventListener pods reach the API server (TCP 443 and 6443).

The image a run pushes is the service's image repository (tag and digest dropped) tagged with the
pipeline's ``revision``: the branch for manual runs (param default), the pushed commit SHA for triggered
runs.
"""

from __future__ import annotations

import re
import typing as t

from genplat.core.images import parse_image
from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext, platform_object, tenant_labels, tenant_object
from genplat.rendering.builds import built_services, triggers_enabled, workspace_binding
from genplat.resolver.model import Service, TenantTarget

PIPELINE_API = "tekton.dev/v1"
TRIGGERS_API = "triggers.tekton.dev/v1beta1"
CAPABILITY = "tekton"
BUILD_SERVICE_ACCOUNT = "build"
TRIGGERS_SERVICE_ACCOUNT = "build-triggers"
# Upstream Tekton Triggers ClusterRoles an EventListener's ServiceAccount needs.
EL_ROLE = "tekton-triggers-eventlistener-roles"
EL_CLUSTER_ROLE = "tekton-triggers-eventlistener-clusterroles"
NAME_LABEL = "app.kubernetes.io/name"
TEMPLATE_LABEL = "genplat.dev/pipeline-template"
# Restricted Pod Security for TaskRun pods (Tekton's own containers need the set-security-context flag).
POD_SECURITY_CONTEXT = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RBAC = "rbac.authorization.k8s.io"
# Labels Tekton Triggers v0.34 puts on every EventListener's objects and selects its pods by
# (pkg/reconciler/eventlistener/resources: DefaultStaticResourceLabels, GenerateLabels).
TRIGGERS_STATIC_LABELS = ("app.kubernetes.io/managed-by", "app.kubernetes.io/part-of", "eventlistener")
# The sink's size when the tier sets no container defaults.
LISTENER_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}


def image_repository(image: str) -> str:
    """``ghcr.io/acme/docs:2.3.1@sha256:…`` → ``ghcr.io/acme/docs`` (a port in the host is kept)."""
    return parse_image(image).name


def pipeline_name(svc: Service) -> str:
    return f"{svc.name}-build"


def build_labels(tenant: TenantTarget, svc: Service, template: dict[str, t.Any]) -> dict[str, str]:
    # Labels on a Pipeline propagate to its PipelineRuns, TaskRuns and pods: they carry the required pod labels.
    labels = tenant_labels(tenant)
    labels[NAME_LABEL] = pipeline_name(svc)
    labels[TEMPLATE_LABEL] = template["name"]
    return labels


def pipeline(tenant: TenantTarget, svc: Service, template: dict[str, t.Any]) -> RenderedObject:
    build = svc.build or {}
    revision = str(build.get("revision") or "main")
    params: list[dict[str, t.Any]] = [
        {
            "name": "repo-url",
            "type": "string",
            "description": "Git repository to build.",
            "default": build["repository"],
        },
        {"name": "revision", "type": "string", "description": "Branch, tag or commit to build.", "default": revision},
        {
            "name": "image",
            "type": "string",
            "description": "Image reference to push.",
            "default": f"{image_repository(svc.image)}:{_tag(revision)}",
        },
    ]
    values = build.get("params") or {}
    for p in template.get("params") or []:
        item: dict[str, t.Any] = {"name": p["name"], "type": "string"}
        if p.get("description"):
            item["description"] = p["description"]
        if p["name"] in values:
            item["default"] = str(values[p["name"]])
        elif "default" in p:
            item["default"] = str(p["default"])
        params.append(item)
    tasks = []
    for task in template["tasks"]:
        ref = task["taskRef"]
        item = {
            "name": task["name"],
            "taskRef": {
                "resolver": ref["resolver"],
                "params": [{"name": k, "value": str(v)} for k, v in (ref.get("params") or {}).items()],
            },
        }
        if task.get("params"):
            item["params"] = [{"name": k, "value": str(v)} for k, v in task["params"].items()]
        if task.get("workspaces"):
            item["workspaces"] = [{"name": k, "workspace": v} for k, v in task["workspaces"].items()]
        if task.get("runAfter"):
            item["runAfter"] = list(task["runAfter"])
        tasks.append(item)
    workspaces = []
    for w in template["workspaces"]:
        ws: dict[str, t.Any] = {"name": w["name"]}
        if w.get("description"):
            ws["description"] = w["description"]
        workspaces.append(ws)
    spec: dict[str, t.Any] = {}
    if template.get("description"):
        spec["description"] = template["description"]
    spec.update({"params": params, "workspaces": workspaces, "tasks": tasks})
    obj = tenant_object(tenant, PIPELINE_API, "Pipeline", pipeline_name(svc), svc.origins["build"], spec=spec)
    obj.obj["metadata"]["labels"] = build_labels(tenant, svc, template)
    return obj


def _tag(revision: str) -> str:
    """A revision as an image tag: [A-Za-z0-9_.-], at most 128 characters, not starting with '.' or '-'."""
    tag = re.sub(r"[^A-Za-z0-9_.-]+", "-", revision).lstrip(".-")[:128]
    return tag or "build"


def pipeline_run(
    ctx: BundleContext, tenant: TenantTarget, svc: Service, template: dict[str, t.Any]
) -> dict[str, t.Any]:
    build = svc.build or {}
    labels = build_labels(tenant, svc, template)
    return {
        "apiVersion": PIPELINE_API,
        "kind": "PipelineRun",
        "metadata": {"generateName": f"{pipeline_name(svc)}-", "labels": labels},
        "spec": {
            "pipelineRef": {"name": pipeline_name(svc)},
            "params": [
                {"name": "repo-url", "value": build["repository"]},
                {"name": "revision", "value": "$(tt.params.revision)"},
                {"name": "image", "value": f"{image_repository(svc.image)}:$(tt.params.revision)"},
            ],
            "workspaces": [workspace_binding(tenant, svc, w) for w in template["workspaces"]],
            "taskRunTemplate": {
                "serviceAccountName": BUILD_SERVICE_ACCOUNT,
                "podTemplate": {"securityContext": pod_security_context(template, ctx)},
            },
        },
    }


def pod_security_context(template: dict[str, t.Any], ctx: BundleContext) -> dict[str, t.Any]:
    """Restricted settings for TaskRun pods, unless the template runs at a weaker level: then builders
    that run as root (kaniko) must be allowed to, so only the seccomp profile is kept."""
    level = template.get("podSecurity", ctx.platform.pod_security["enforce"])
    if level == "restricted":
        return dict(POD_SECURITY_CONTEXT)
    return {"seccompProfile": {"type": "RuntimeDefault"}}


def cel_filter(branch: str) -> str:
    escaped = branch.replace("\\", "\\\\").replace("'", "\\'")
    return f"body.ref == 'refs/heads/{escaped}'"


def triggers(
    ctx: BundleContext, tenant: TenantTarget, svc: Service, template: dict[str, t.Any]
) -> list[RenderedObject]:
    origin = svc.origins["build"]
    branch = str((template.get("triggers") or {}).get("branch") or "main")
    binding = tenant_object(
        tenant,
        TRIGGERS_API,
        "TriggerBinding",
        f"{svc.name}-push",
        origin,
        spec={
            # GitHub, GitLab and Gitea push events all carry the new commit in "after".
            "params": [{"name": "revision", "value": "$(body.after)"}],
        },
    )
    tt = tenant_object(
        tenant,
        TRIGGERS_API,
        "TriggerTemplate",
        pipeline_name(svc),
        origin,
        spec={
            "params": [{"name": "revision", "description": "Commit to build."}],
            "resourcetemplates": [pipeline_run(ctx, tenant, svc, template)],
        },
    )
    el_labels = build_labels(tenant, svc, template)
    el_labels[NAME_LABEL] = f"{svc.name}-push"
    # Triggers selects the sink's pods by its static labels, and template labels win over them on the
    # pods (knative.dev/pkg kmeta.UnionMaps): setting one here would leave its Deployment unselectable.
    for key in TRIGGERS_STATIC_LABELS:
        el_labels.pop(key, None)
    listener = tenant_object(
        tenant,
        TRIGGERS_API,
        "EventListener",
        f"{svc.name}-push",
        origin,
        spec={
            "serviceAccountName": TRIGGERS_SERVICE_ACCOUNT,
            "triggers": [
                {
                    "name": "push",
                    "interceptors": [
                        {
                            "ref": {"name": "cel", "kind": "ClusterInterceptor"},
                            "params": [{"name": "filter", "value": cel_filter(branch)}],
                        }
                    ],
                    "bindings": [{"ref": binding.name}],
                    "template": {"ref": tt.name},
                }
            ],
            # The listener's pod needs the platform's required labels too, and its sink container explicit
            # resources: Triggers sizes it only from containers[0] here, and a LimitRange does not default
            # the Deployment it makes (admission checks its template).
            "resources": {
                "kubernetesResource": {
                    "spec": {
                        "template": {
                            "metadata": {"labels": el_labels},
                            "spec": {"containers": [{"resources": listener_resources(tenant)}]},
                        }
                    }
                }
            },
        },
    )
    return [binding, tt, listener]


def listener_resources(tenant: TenantTarget) -> dict[str, dict[str, str]]:
    """The EventListener sink's requests and limits: the tier's container defaults (its LimitRange's)."""
    c = tenant.tier.get("container") or {}
    requests = {**LISTENER_RESOURCES["requests"], **{k: str(v) for k, v in (c.get("defaultRequest") or {}).items()}}
    limits = {**LISTENER_RESOURCES["limits"], **{k: str(v) for k, v in (c.get("default") or {}).items()}}
    return {"requests": dict(sorted(requests.items())), "limits": dict(sorted(limits.items()))}


def _pod_selector(key: str) -> dict[str, t.Any]:
    return {"matchExpressions": [{"key": key, "operator": "Exists"}]}


def render_tenant(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    if not ctx.cluster.has(CAPABILITY) or tenant.build_namespace is None:
        return []
    built = built_services(tenant, ctx)
    if not built:
        return []
    # Everything below lives in the tenant's build namespace (see genplat.rendering.tenancy.build_namespace).
    tenant = tenant.for_builds()
    first = built[0][0].origins["build"]
    pull = ctx.platform.secrets.get("imagePullSecret")
    sa_body: dict[str, t.Any] = {"automountServiceAccountToken": False}
    if pull:
        sa_body["imagePullSecrets"] = [{"name": pull["name"]}]
    out = [tenant_object(tenant, "v1", "ServiceAccount", BUILD_SERVICE_ACCOUNT, first, **sa_body)]
    any_triggers = False
    for svc, template in built:
        out.append(pipeline(tenant, svc, template))
        if triggers_enabled(template):
            any_triggers = True
            out.extend(triggers(ctx, tenant, svc, template))
    if any_triggers:
        out.append(tenant_object(tenant, "v1", "ServiceAccount", TRIGGERS_SERVICE_ACCOUNT, first))
        out.append(
            tenant_object(
                tenant,
                f"{RBAC}/v1",
                "RoleBinding",
                TRIGGERS_SERVICE_ACCOUNT,
                first,
                roleRef={"apiGroup": RBAC, "kind": "ClusterRole", "name": EL_ROLE},
                subjects=[{"kind": "ServiceAccount", "name": TRIGGERS_SERVICE_ACCOUNT, "namespace": tenant.namespace}],
            )
        )
    if ctx.platform.policies.get("defaultDenyNetwork", True):
        out.append(
            tenant_object(
                tenant,
                "networking.k8s.io/v1",
                "NetworkPolicy",
                "allow-build-egress",
                first,
                spec={
                    "podSelector": _pod_selector("tekton.dev/taskRun"),
                    "policyTypes": ["Egress"],
                    "egress": [{"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 22}]}],
                },
            )
        )
        if any_triggers:
            out.append(
                tenant_object(
                    tenant,
                    "networking.k8s.io/v1",
                    "NetworkPolicy",
                    "allow-listener-egress",
                    first,
                    spec={
                        "podSelector": _pod_selector("eventlistener"),
                        "policyTypes": ["Egress"],
                        "egress": [{"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]}],
                    },
                )
            )
    return out


def render_platform(ctx: BundleContext) -> list[RenderedObject]:
    """One ClusterRoleBinding for every tenant EventListener on the cluster (tenants may not render it)."""
    if not ctx.cluster.has(CAPABILITY):
        return []
    subjects = []
    for tenant in ctx.tenants:
        if any(triggers_enabled(tpl) for _, tpl in built_services(tenant, ctx)):
            subjects.append(
                {
                    "kind": "ServiceAccount",
                    "name": TRIGGERS_SERVICE_ACCOUNT,
                    "namespace": tenant.build_namespace or tenant.namespace,
                }
            )
    if not subjects:
        return []
    origin = next(
        (
            ctx.platform.origin(("spec", "pipelines", i, "triggers"))
            for i, p in enumerate(ctx.platform.pipelines.values())
            if triggers_enabled(p)
        ),
        ctx.platform.origin(("spec", "pipelines")),
    )
    return [
        platform_object(
            ctx,
            f"{RBAC}/v1",
            "ClusterRoleBinding",
            "genplat-tekton-triggers",
            origin,
            "tekton.yaml",
            roleRef={"apiGroup": RBAC, "kind": "ClusterRole", "name": EL_CLUSTER_ROLE},
            subjects=sorted(subjects, key=lambda s: s["namespace"]),
        )
    ]
