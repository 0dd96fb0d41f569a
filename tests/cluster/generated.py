"""A generated, varied project: the examples' platform and tens of tenants drawn from a seeded generator.

The examples are few and uniform; this writes 36 tenants that vary what blueprints can vary — tiers and
per-environment tiers, environments and cluster subsets, several services with env, secrets, every
scaling metric, traffic splits with tags and pinned revisions, cluster-local visibility, builds, every
offering with parameters and overrides, event subscriptions, peers, labels and descriptions — all
within the platform's rules, so the project must validate, build and apply with zero refusals.
"""

from __future__ import annotations

import random
import shutil
import typing as t
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
TIERS = {
    "small": ("100m", "1", "128Mi", "1Gi", 5),
    "medium": ("250m", "2", "256Mi", "4Gi", 20),
    "large": ("500m", "8", "512Mi", "16Gi", 100),
}
DIGEST = "@sha256:" + "ab" * 32


def _service(rng: random.Random, tenant: str, i: int, tier: str) -> dict[str, t.Any]:
    req_cpu, max_cpu, req_mem, max_mem, max_replicas = TIERS[tier]
    name = rng.choice(["api", "web", "worker", "gateway", "billing", "search"]) + f"-{i}"
    svc: dict[str, t.Any] = {
        "name": name,
        "image": f"ghcr.io/acme/{tenant}-{name}:1.{i}.0{DIGEST}",
        "port": rng.choice([8080, 3000, 9000, 8443, 5000]),
        "env": {f"FEATURE_{k}": rng.choice(["on", "off", 3, True]) for k in range(rng.randint(0, 3))},
        "resources": {"requests": {"cpu": req_cpu, "memory": req_mem}, "limits": {"cpu": max_cpu, "memory": max_mem}},
    }
    metric = rng.choice(["concurrency", "rps", "cpu", "memory"])
    low = 0 if metric in ("concurrency", "rps") and rng.random() < 0.5 else 1
    svc["scaling"] = {
        "min": low,
        "max": rng.randint(max(low, 1), max_replicas),
        "metric": metric,
        "target": rng.choice([10, 50, 70, 100]) if metric in ("concurrency", "rps") else rng.choice([60, 80]),
    }
    if rng.random() < 0.5:
        svc["secrets"] = [
            {"env": "DATABASE_PASSWORD", "key": f"{tenant}/{name}-db", "property": "password"},
            {"env": "DATABASE_USER", "key": f"{tenant}/{name}-db", "property": "username"},
        ][: rng.randint(1, 2)]
    if rng.random() < 0.3:
        svc["traffic"] = [
            {"revision": f"{name}-v1", "percent": 90, "tag": "stable"},
            {"latestRevision": True, "percent": 10, "tag": "canary"},
        ]
    if rng.random() < 0.25:
        svc["visibility"] = "cluster-local"
    return svc


def tenant_doc(rng: random.Random, n: int, names: list[str]) -> dict[str, t.Any]:
    name = names[n]
    tier = rng.choice(list(TIERS))
    services = [_service(rng, name, i, "small") for i in range(rng.randint(1, 3))]  # fit every tier
    envs: list[dict[str, t.Any]] = [{"name": "dev"}]
    if rng.random() < 0.8:
        prod: dict[str, t.Any] = {"name": "prod"}
        if rng.random() < 0.3:
            prod["clusters"] = [rng.choice(["prod-eu", "prod-us"])]
        if rng.random() < 0.3:
            prod["tier"] = rng.choice(list(TIERS))
        envs.append(prod)
    if rng.random() < 0.5:
        envs[0]["tier"] = "small"
        envs[0]["services"] = {
            services[0]["name"]: {
                "scaling": {"min": 0 if services[0]["scaling"]["metric"] in ("concurrency", "rps") else 1, "max": 2}
            }
        }
    spec: dict[str, t.Any] = {
        "description": f"Generated tenant {n} ({tier})",
        "tier": tier,
        "access": {"admins": {"groups": [f"{name}-admins"]}, "developers": {"users": [f"dev@{name}.example"]}},
        "environments": envs,
        "services": services,
    }
    on_crossplane_only = all(e.get("clusters", ["x"]) != ["prod-us"] for e in envs)
    if (
        rng.random() < 0.4
        and on_crossplane_only
        and all(e["name"] != "prod" or e.get("clusters") == ["prod-eu"] for e in envs)
    ):
        offering = rng.choice(["postgres", "dedicated-cluster", "vcluster"])
        params = {
            "postgres": {"version": "16", "storageGB": rng.choice([10, 50, 100])},
            "dedicated-cluster": {"nodeCount": rng.randint(1, 5)},
            "vcluster": {"isolated": rng.random() < 0.5},
        }[offering]
        spec["resources"] = [{"name": f"{name}-{offering}"[:40], "offering": offering, "parameters": params}]
    if rng.random() < 0.4:
        spec["events"] = [
            {"name": f"ev-{k}", "filter": {"type": f"com.{name}.thing.{k}"}, "subscriber": services[0]["name"]}
            for k in range(rng.randint(1, 2))
        ]
    peers = [p for p in rng.sample(names, k=min(3, len(names))) if p != name]
    if peers:
        spec["network"] = {"allowFrom": peers[: rng.randint(1, len(peers))]}
    doc: dict[str, t.Any] = {
        "apiVersion": "genplat.dev/v1alpha1",
        "kind": "Tenant",
        "metadata": {
            "name": name,
            "labels": {"acme.example/cost-center": f"cc-{n % 7}", "acme.example/team": f"Team_{n}.gen"},
        },
        "spec": spec,
    }
    return doc


def write_project(root: Path, *, tenants: int = 36, seed: int = 12) -> Path:
    """The examples' platform plus ``tenants`` generated tenants (the examples' own tenants kept too)."""
    rng = random.Random(seed)
    shutil.copytree(REPO / "blueprints", root)
    names = [f"gen{n:02d}-{rng.choice(['alpha', 'beta', 'corp', 'labs', 'ops'])}" for n in range(tenants)]
    for n in range(tenants):
        doc = tenant_doc(rng, n, names)
        (root / "tenants" / f"{names[n]}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return root
