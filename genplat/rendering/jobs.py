"""Render stage: run-to-completion workloads, ``workload: cronjob`` and ``workload: job``.

From the same blueprint fields as the other workloads (image, command, args, env, connection details,
secrets, volumes, resources — those left out taken from the tier's LimitRange defaults, as for a
Deployment, so admission policies judging the template see them), in the tenant's namespace:

* ``CronJob <service>`` (batch/v1): ``schedule.cron`` in ``schedule.timeZone``, ``concurrencyPolicy``
  from ``schedule.concurrency`` (default Forbid: a run never overlaps the previous one), the history
  limits, ``startingDeadlineSeconds`` and ``suspend``; its job template as below.
* ``Job <service>-<hash>`` (batch/v1): the hash is five base-32 characters of the job's spec, as for
  Knative revisions. A Job's pod template cannot change once created, and a GitOps controller that
  applies a changed template to the old name fails; a new name per change instead means a changed job
  runs again, once, and an unchanged one never reruns. No ``ttlSecondsAfterFinished``: a Job deleted
  after it finished would be recreated by the next sync, and run again.

Each run's pods: the ``workload`` ServiceAccount, restricted Pod Security settings at pod and container
level, the platform's required pod labels, ``restartPolicy`` from ``job.restartPolicy`` (default Never),
no ports or probes (nothing routes to them). ``job.backoffLimit``, ``activeDeadlineSeconds``,
``parallelism`` and ``completions`` go to the Job spec as written.
"""

from __future__ import annotations

import typing as t

from genplat.core.names import content_hash
from genplat.core.objects import RenderedObject
from genplat.rendering._base import BundleContext, tenant_object
from genplat.rendering.deployment import POD_SECURITY_CONTEXT, with_tier_defaults, workload_labels
from genplat.rendering.injected import platform_env as injected_env
from genplat.rendering.knative import HASH_CHARS, container, pod_labels
from genplat.rendering.tenancy import WORKLOAD_SERVICE_ACCOUNT
from genplat.rendering.volumes import pod_volumes
from genplat.resolver.model import Service, TenantTarget

WORKLOADS = ("cronjob", "job")
JOB_FIELDS = ("backoffLimit", "activeDeadlineSeconds", "parallelism", "completions")
DEFAULT_CONCURRENCY = "Forbid"
DEFAULT_RESTART = "Never"


def job_name(service: str, spec: dict[str, t.Any]) -> str:
    """``<service>-<hash of the job spec>``: at most 57 + 6 characters (Jobs label their pods with it)."""
    return f"{service[: 63 - HASH_CHARS - 1]}-{content_hash(spec, HASH_CHARS)}"


def job_spec(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> dict[str, t.Any]:
    c = container(with_tier_defaults(tenant, svc), platform_env=injected_env(ctx, tenant, svc))
    del c["ports"]  # nothing routes to a run's pods
    pod: dict[str, t.Any] = {
        "restartPolicy": svc.job.get("restartPolicy", DEFAULT_RESTART),
        "serviceAccountName": WORKLOAD_SERVICE_ACCOUNT,
        "securityContext": dict(POD_SECURITY_CONTEXT),
        "containers": [c],
    }
    if svc.volumes:
        pod["volumes"] = pod_volumes(svc)
    spec: dict[str, t.Any] = {k: svc.job[k] for k in JOB_FIELDS if k in svc.job}
    spec["template"] = {"metadata": {"labels": pod_labels(ctx, tenant, svc)}, "spec": pod}
    return spec


def cronjob(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> RenderedObject:
    s = svc.schedule
    spec: dict[str, t.Any] = {"schedule": s["cron"]}
    if s.get("timeZone"):
        spec["timeZone"] = s["timeZone"]
    spec["concurrencyPolicy"] = s.get("concurrency", DEFAULT_CONCURRENCY)
    history = s.get("history") or {}
    if "successful" in history:
        spec["successfulJobsHistoryLimit"] = history["successful"]
    if "failed" in history:
        spec["failedJobsHistoryLimit"] = history["failed"]
    if "startingDeadlineSeconds" in s:
        spec["startingDeadlineSeconds"] = s["startingDeadlineSeconds"]
    if s.get("suspend"):
        spec["suspend"] = True
    spec["jobTemplate"] = {"metadata": {"labels": workload_labels(tenant, svc)}, "spec": job_spec(ctx, tenant, svc)}
    obj = tenant_object(tenant, "batch/v1", "CronJob", svc.name, svc.origin, spec=spec)
    obj.obj["metadata"]["labels"] = workload_labels(tenant, svc)
    return obj


def job(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> RenderedObject:
    spec = job_spec(ctx, tenant, svc)
    obj = tenant_object(tenant, "batch/v1", "Job", job_name(svc.name, spec), svc.origin, spec=spec)
    obj.obj["metadata"]["labels"] = workload_labels(tenant, svc)
    return obj


def render(ctx: BundleContext, tenant: TenantTarget) -> list[RenderedObject]:
    out: list[RenderedObject] = []
    for svc in tenant.services:
        if svc.workload == "cronjob":
            out.append(cronjob(ctx, tenant, svc))
        elif svc.workload == "job":
            out.append(job(ctx, tenant, svc))
    return out
