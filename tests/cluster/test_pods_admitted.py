"""Every workload template genplat renders becomes a Pod its namespace admits (Pod Security included).

The bundle is applied first (namespaces with their Pod Security labels, service accounts, LimitRanges,
quotas), then each derived Pod (workloads.py: as Knative and Tekton build them) goes to the server as a
dry-run create, the way those controllers create Pods: no refusal. Then the same Pod goes to a scratch
namespace that enforces *and warns* at its namespace's enforce level: no warning either, so the Pod meets
that level outright. (A build namespace enforces its pipeline's level, baseline for kaniko, and keeps
warning at the platform's restricted level on purpose, so weaker build pods stay visible: those
warnings, and only those, are expected in the real namespace.)
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from .bundles import apply_bundle, kustomize
from .workloads import derived_pods, knative_revision_pod

pytestmark = pytest.mark.cluster

OUT = Path(__file__).resolve().parents[2] / "out"
BUNDLES = sorted(p.parent.relative_to(OUT).as_posix() for p in OUT.glob("[!_]*/*/kustomization.yaml"))


def _scratch(cp: t.Any, level: str, version: str, service_account: str) -> str:
    name = f"psa-{level}"
    labels = {
        f"pod-security.kubernetes.io/{m}{s}": v
        for m in ("enforce", "warn", "audit")
        for s, v in (("", level), ("-version", version))
    }
    cp.apply(
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}},
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": service_account, "namespace": name}},
        ]
    )
    return name


def admit(cp: t.Any, pods: list[tuple[str, dict[str, t.Any]]]) -> list[str]:
    problems = []
    for origin, pod in pods:
        ns = cp.get("v1", "Namespace", pod["metadata"]["namespace"])
        labels = ns["metadata"]["labels"] if ns else {}
        enforce, warn = labels.get("pod-security.kubernetes.io/enforce"), labels.get("pod-security.kubernetes.io/warn")
        version = labels.get("pod-security.kubernetes.io/enforce-version", "latest")
        if not enforce:
            problems.append(f"{origin}: namespace {pod['metadata']['namespace']} has no Pod Security level")
            continue
        (r,) = cp.apply([pod], dry_run=True, check=False, server_side=False, order=False)
        if r.error:
            problems.append(f"{origin}: REFUSED {r.error}")
        stricter_warn = f'would violate PodSecurity "{warn}:' if warn and warn != enforce else None
        problems += [
            f"{origin}: WARNING {w}" for w in r.warnings if not (stricter_warn and w.startswith(stricter_warn))
        ]
        scratch = {
            **pod,
            "metadata": {
                **pod["metadata"],
                "namespace": _scratch(cp, enforce, version, pod["spec"].get("serviceAccountName", "default")),
            },
        }
        (r,) = cp.apply([scratch], dry_run=True, check=False, server_side=False, order=False)
        if r.error:
            problems.append(f"{origin}: REFUSED at {enforce}: {r.error}")
        problems += [f"{origin}: WARNING at {enforce}: {w}" for w in r.warnings]
    return problems


@pytest.mark.parametrize("bundle", BUNDLES)
def test_pods_of_every_workload_are_admitted(control_plane: t.Any, bundle: str) -> None:
    docs = kustomize(OUT / bundle)
    apply_bundle(control_plane, docs)
    pods = derived_pods(docs)
    sources = {origin.split(" ", 2)[0] + " " + origin.split(" ", 2)[1] for origin, _ in pods}
    assert any(s.startswith("Knative Service") for s in sources), sources
    if bundle == "dev/dev-eu":  # the one cluster with tekton builds
        assert any(o.startswith("TriggerTemplate") for o, _ in pods)
    assert admit(control_plane, pods) == []


def test_a_pod_breaking_pod_security_is_caught(control_plane: t.Any) -> None:
    """The admission check can fail: a revision whose container drops its security context is refused
    in a restricted namespace."""
    docs = kustomize(OUT / BUNDLES[0])
    apply_bundle(control_plane, docs)
    ksvc = next(d for d in docs if d["apiVersion"] == "serving.knative.dev/v1" and d["kind"] == "Service")
    pod = knative_revision_pod(ksvc)
    del pod["spec"]["containers"][0]["securityContext"]
    problems = admit(control_plane, [("broken", pod)])
    assert problems and 'violates PodSecurity "restricted' in problems[0], problems
