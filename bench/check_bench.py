"""Throughput of genplat's output checks (schemas + guardrails) on realistic rendered objects.

    .venv/bin/python bench/check_bench.py [--objects 50000] [--crds PATH …]  (default: the pinned upstream CRDs)

Prints objects/s for: schema validation alone (jsonschema-rs, compiled once per kind), the guardrail
gate alone, both together as ``genplat build`` runs them, and, for comparison, the pure-Python
``jsonschema`` package on a small sample; plus CRD loading cold (YAML) and warm (content-hash cache).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
import typing as t
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from genplat import Origin, RenderedObject  # noqa: E402
from genplat.checks import Checker, GuardrailContext  # noqa: E402
from genplat.checks.guardrails import run_guardrails  # noqa: E402


def objects_for(tenant: str) -> list[dict[str, t.Any]]:
    ns = f"{tenant}-dev"
    labels = {"app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": tenant}
    container = {
        "name": "api",
        "image": f"ghcr.io/acme/{tenant}-api:1.4.2",
        "ports": [{"containerPort": 8080, "name": "http"}],
        "env": [
            {"name": "MODE", "value": "prod"},
            {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
        },
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "quota", "namespace": ns},
            "spec": {"hard": {"requests.cpu": "4"}},
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "limits", "namespace": ns},
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "namespace": ns, "labels": labels},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "api", "namespace": ns, "labels": labels},
            "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": "http"}]},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "api", "namespace": ns},
            "data": {"LOG": "info"},
        },
        {
            "apiVersion": "serving.knative.dev/v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"image": f"ghcr.io/acme/{tenant}-web:2.0.1"}]},
                }
            },
        },
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "db", "namespace": ns},
            "spec": {
                "refreshInterval": "1h",
                "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
                "data": [{"secretKey": "url", "remoteRef": {"key": f"{tenant}/db"}}],
            },
        },
        {
            "apiVersion": "tekton.dev/v1",
            "kind": "Pipeline",
            "metadata": {"name": "ci", "namespace": ns},
            "spec": {
                "tasks": [
                    {
                        "name": "build",
                        "taskRef": {"resolver": "bundles", "params": [{"name": "name", "value": "kaniko"}]},
                    }
                ]
            },
        },
    ]


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f} objects/s  ({n:,} in {seconds:.3f} s)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=50_000)
    ap.add_argument("--crds", action="append", help="CRD file or folder (repeatable)")
    ap.add_argument("--kubernetes-version", default="1.33")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "tools"))
    import upstream  # tools/upstream.py: the pinned upstream CRDs

    crd_paths = [Path(p) for p in args.crds] if args.crds else upstream.crd_files()

    with tempfile.TemporaryDirectory() as cache:
        os.environ["GENPLAT_CACHE_DIR"] = cache
        t0 = time.perf_counter()
        Checker(kubernetes_version=args.kubernetes_version, crd_paths=crd_paths)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        checker = Checker(kubernetes_version=args.kubernetes_version, crd_paths=crd_paths)
        warm = time.perf_counter() - t0
    print(
        f"CRD load, cold (YAML + convert):     {cold * 1000:8.1f} ms  ({len(checker.index.crds.versions)} served versions)"
    )
    print(f"CRD load, warm (content-hash cache): {warm * 1000:8.1f} ms")

    tenants = max(1, args.objects // len(objects_for("t")))
    ros = [
        RenderedObject(
            o, Origin(f"blueprints/tenants/t{i}.yaml", 3), bundle="dev/eu", file=f"tenants/t{i}.yaml", tenant=f"t{i}"
        )
        for i in range(tenants)
        for o in objects_for(f"t{i}")
    ]
    ctx = GuardrailContext(
        allowed_registries=("ghcr.io/acme",), tenant_namespaces={f"t{i}": {f"t{i}-dev"} for i in range(tenants)}
    )
    n = len(ros)

    checker.check(ros[:20], include_setup=False)  # compile the validators used (once per kind per process)
    t0 = time.perf_counter()
    for ro in ros:
        checker.index.validate(ro.obj)
    print(f"schemas (jsonschema-rs):           {rate(n, time.perf_counter() - t0)}")
    t0 = time.perf_counter()
    run_guardrails(ros, ctx)
    print(f"guardrails:                        {rate(n, time.perf_counter() - t0)}")
    t0 = time.perf_counter()
    diags = checker.check(ros, guardrails=ctx, include_setup=False)
    print(f"schemas + guardrails (as build):   {rate(n, time.perf_counter() - t0)}  findings: {len(diags)}")

    import jsonschema  # the pure-Python validator, for comparison only
    from referencing import Registry, Resource

    registry = Registry().with_resource(
        "https://kubernetes.io/api/_definitions.json", Resource.from_contents(checker.index.kubernetes.definitions)
    )
    sample = [copy.deepcopy(ro.obj) for ro in ros[:2000] if ro.kind == "Deployment"][:200]
    v = jsonschema.Draft202012Validator(checker.index.kubernetes.schema("apps/v1", "Deployment"), registry=registry)
    t0 = time.perf_counter()
    for obj in sample:
        v.is_valid(obj)
    print(f"jsonschema (pure Python), Deployments: {rate(len(sample), time.perf_counter() - t0)}")
    rs = checker.index.entry("apps/v1", "Deployment")
    assert rs is not None
    t0 = time.perf_counter()
    for _ in range(50):
        for obj in sample:
            rs.validator.is_valid(obj)
    print(f"jsonschema-rs, same Deployments:       {rate(len(sample) * 50, time.perf_counter() - t0)}")


if __name__ == "__main__":
    main()
