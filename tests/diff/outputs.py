"""Realistic rendered output folders for the diff tests, written with genplat's own emitter.

A :class:`Platform` describes bundles and tenants as plain data; :func:`write` renders it into
``out/<env>/<cluster>/`` bundles (platform/*.yaml, tenants/<tenant>.yaml with a ``# source:``
comment per document, kustomization.yaml) plus a lock file and a ``_gitops/`` folder the diff
must ignore. Each test case changes a copy of :func:`example` and writes both sides.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import typing as t
from pathlib import Path

from genplat.rendering.emit import dump_documents

TIERS = {
    "small": {
        "quota": {
            "requests.cpu": "2",
            "requests.memory": "4Gi",
            "limits.cpu": "4",
            "limits.memory": "8Gi",
            "pods": "20",
        },
        "max": {"cpu": "1", "memory": "1Gi"},
        "default": {"cpu": "500m", "memory": "512Mi"},
    },
    "medium": {
        "quota": {
            "requests.cpu": "4",
            "requests.memory": "8Gi",
            "limits.cpu": "8",
            "limits.memory": "16Gi",
            "pods": "50",
        },
        "max": {"cpu": "2", "memory": "2Gi"},
        "default": {"cpu": "500m", "memory": "512Mi"},
    },
    "large": {
        "quota": {
            "requests.cpu": "16",
            "requests.memory": "32Gi",
            "limits.cpu": "32",
            "limits.memory": "64Gi",
            "pods": "200",
        },
        "max": {"cpu": "4", "memory": "8Gi"},
        "default": {"cpu": "1", "memory": "1Gi"},
    },
}


@dataclasses.dataclass
class Service:
    name: str
    image: str
    traffic: list[dict[str, t.Any]]
    env: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Tenant:
    name: str
    tier: str
    admins: list[str]
    developers: list[str]
    services: list[Service] = dataclasses.field(default_factory=list)
    databases: list[str] = dataclasses.field(default_factory=list)
    allow_from: list[str] = dataclasses.field(default_factory=list)
    environments: list[str] = dataclasses.field(default_factory=lambda: ["dev", "prod"])


@dataclasses.dataclass
class Platform:
    bundles: dict[str, str]  # bundle → environment
    offerings: list[str]
    tenants: list[Tenant]


def example() -> Platform:
    return Platform(
        bundles={"dev/dev-eu": "dev", "prod/prod-eu": "prod"},
        offerings=["postgres", "vcluster"],
        tenants=[
            Tenant(
                "globex",
                "medium",
                ["hank@globex.example"],
                ["globex-devs"],
                services=[
                    Service(
                        "checkout",
                        "ghcr.io/acme/globex-checkout:1.5.0",
                        [
                            {"revisionName": "checkout-v1", "percent": 80, "tag": "stable"},
                            {"latestRevision": True, "percent": 20, "tag": "canary"},
                        ],
                        {"LOG_LEVEL": "warn", "STRIPE_API_KEY": "sk_live_do_not_print"},
                    )
                ],
                databases=["orders"],
                allow_from=["initech"],
            ),
            Tenant(
                "initech",
                "small",
                ["peter@initech.example"],
                ["initech-devs"],
                services=[Service("tps", "ghcr.io/acme/initech-tps:2.0.1", [{"latestRevision": True, "percent": 100}])],
            ),
            Tenant("umbrella", "large", ["alice@umbrella.example"], ["umbrella-devs"], environments=["prod"]),
        ],
    )


def clone(p: Platform) -> Platform:
    return copy.deepcopy(p)


def _labels(tenant: str, env: str) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "genplat", "genplat.dev/tenant": tenant, "genplat.dev/environment": env}


def _in(values: list[str]) -> dict[str, t.Any]:
    return {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": values}]}


def tenant_objects(t_: Tenant, env: str) -> list[tuple[str, dict[str, t.Any]]]:
    ns = f"{t_.name}-{env}"
    src = f"blueprints/tenants/{t_.name}.yaml"
    tier = TIERS[t_.tier]
    meta = lambda name: {"name": name, "namespace": ns, "labels": _labels(t_.name, env)}
    out: list[tuple[str, dict[str, t.Any]]] = [
        (
            f"{src}:6",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": ns,
                    "labels": {**_labels(t_.name, env), "pod-security.kubernetes.io/enforce": "restricted"},
                },
            },
        ),
        (
            f"{src}:7",
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": meta("tenant-quota"),
                "spec": {"hard": dict(tier["quota"])},
            },
        ),
        (
            f"{src}:7",
            {
                "apiVersion": "v1",
                "kind": "LimitRange",
                "metadata": meta("tenant-limits"),
                "spec": {
                    "limits": [
                        {
                            "type": "Container",
                            "max": dict(tier["max"]),
                            "default": dict(tier["default"]),
                            "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                        }
                    ]
                },
            },
        ),
        (
            f"{src}:1",
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": meta("workload"),
                "automountServiceAccountToken": False,
                "imagePullSecrets": [{"name": "acme-registry"}],
            },
        ),
    ]
    for role, subjects in (
        ("admin", [{"kind": "User", "name": u} for u in t_.admins]),
        ("edit", [{"kind": "Group", "name": g} for g in t_.developers]),
    ):
        out.append(
            (
                f"{src}:9",
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "RoleBinding",
                    "metadata": meta(f"tenant-{'admins' if role == 'admin' else 'developers'}"),
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", **s} for s in subjects],
                },
            )
        )
    out += [
        (
            "blueprints/platform.yaml:40",
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": meta("default-deny"),
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            },
        ),
        (
            "blueprints/platform.yaml:41",
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": meta("allow-dns"),
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"namespaceSelector": _in(["kube-system"])}],
                            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                        }
                    ],
                },
            },
        ),
        (
            "blueprints/platform.yaml:42",
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": meta("allow-same-namespace"),
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]},
            },
        ),
    ]
    if t_.allow_from:
        out.append(
            (
                f"{src}:30",
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": meta("allow-from-peers"),
                    "spec": {
                        "podSelector": {},
                        "policyTypes": ["Ingress"],
                        "ingress": [{"from": [{"namespaceSelector": _in([f"{p}-{env}" for p in t_.allow_from])}]}],
                    },
                },
            )
        )
    out.append(
        (
            f"{src}:1",
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": meta("acme-registry"),
                "spec": {
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
                    "refreshInterval": "1h",
                    "target": {"name": "acme-registry", "template": {"type": "kubernetes.io/dockerconfigjson"}},
                    "data": [{"secretKey": ".dockerconfigjson", "remoteRef": {"key": "platform/acme-registry"}}],
                },
            },
        )
    )
    for i, s in enumerate(t_.services):
        env_vars: list[dict[str, t.Any]] = []
        for k, v in s.env.items():
            if k.endswith("_KEY"):
                env_vars.append({"name": k, "valueFrom": {"secretKeyRef": {"name": f"{s.name}-secrets", "key": k}}})
                env_vars.append({"name": f"{k}_FALLBACK", "value": v})  # a literal that must be masked
            else:
                env_vars.append({"name": k, "value": v})
        out.append(
            (
                f"{src}:{20 + i * 10}",
                {
                    "apiVersion": "serving.knative.dev/v1",
                    "kind": "Service",
                    "metadata": meta(s.name),
                    "spec": {
                        "template": {
                            "metadata": {
                                "annotations": {
                                    "autoscaling.knative.dev/min-scale": "0",
                                    "autoscaling.knative.dev/max-scale": "10",
                                }
                            },
                            "spec": {
                                "serviceAccountName": "workload",
                                "containers": [
                                    {
                                        "name": "app",
                                        "image": s.image,
                                        "ports": [{"containerPort": 8080}],
                                        "env": env_vars,
                                        "resources": {
                                            "requests": {"cpu": "250m", "memory": "256Mi"},
                                            "limits": {"cpu": "1", "memory": "512Mi"},
                                        },
                                    }
                                ],
                            },
                        },
                        "traffic": copy.deepcopy(s.traffic),
                    },
                },
            )
        )
    for db in t_.databases:
        out.append(
            (
                f"{src}:40",
                {
                    "apiVersion": "platform.acme.example/v1alpha1",
                    "kind": "PostgreSQLInstance",
                    "metadata": meta(db),
                    "spec": {
                        "parameters": {"storageGB": 20, "version": "16"},
                        "compositionSelector": {"matchLabels": {"provider": "gcp"}},
                        "writeConnectionSecretToRef": {"name": f"{db}-db"},
                    },
                },
            )
        )
    return out


def platform_objects(p: Platform) -> dict[str, list[tuple[str, dict[str, t.Any]]]]:
    kyverno = [
        (
            "blueprints/platform.yaml:60",
            {
                "apiVersion": "kyverno.io/v1",
                "kind": "ClusterPolicy",
                "metadata": {"name": "restrict-image-registries"},
                "spec": {
                    "validationFailureAction": "Enforce",
                    "rules": [
                        {
                            "name": "allowed-registries",
                            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                            "validate": {
                                "message": "images must come from ghcr.io/acme",
                                "pattern": {"spec": {"containers": [{"image": "ghcr.io/acme/*"}]}},
                            },
                        }
                    ],
                },
            },
        )
    ]
    offerings: list[tuple[str, dict[str, t.Any]]] = []
    for i, name in enumerate(p.offerings):
        kind = {"postgres": "PostgreSQLInstance", "vcluster": "VCluster"}[name]
        offerings.append(
            (
                f"blueprints/platform.yaml:{80 + i * 20}",
                {
                    "apiVersion": "apiextensions.crossplane.io/v1",
                    "kind": "CompositeResourceDefinition",
                    "metadata": {"name": f"x{kind.lower()}s.platform.acme.example"},
                    "spec": {
                        "group": "platform.acme.example",
                        "names": {"kind": f"X{kind}", "plural": f"x{kind.lower()}s"},
                        "claimNames": {"kind": kind, "plural": f"{kind.lower()}s"},
                        "versions": [
                            {
                                "name": "v1alpha1",
                                "served": True,
                                "referenceable": True,
                                "schema": {"openAPIV3Schema": {"type": "object"}},
                            }
                        ],
                    },
                },
            )
        )
        offerings.append(
            (
                f"blueprints/platform.yaml:{85 + i * 20}",
                {
                    "apiVersion": "apiextensions.crossplane.io/v1",
                    "kind": "Composition",
                    "metadata": {"name": f"{name}-gcp", "labels": {"provider": "gcp"}},
                    "spec": {
                        "compositeTypeRef": {"apiVersion": "platform.acme.example/v1alpha1", "kind": f"X{kind}"},
                        "mode": "Pipeline",
                        "pipeline": [
                            {"step": "patch-and-transform", "functionRef": {"name": "function-patch-and-transform"}}
                        ],
                    },
                },
            )
        )
    return {"platform/kyverno.yaml": kyverno, "platform/offerings.yaml": offerings}


def files(p: Platform) -> dict[str, str]:
    """{path under out/: text} for the whole platform."""
    out: dict[str, str] = {}
    for bundle, env in p.bundles.items():
        bundle_files = {path: dump_documents(docs) for path, docs in platform_objects(p).items()}
        for t_ in p.tenants:
            if env in t_.environments:
                bundle_files[f"tenants/{t_.name}.yaml"] = dump_documents(tenant_objects(t_, env))
        bundle_files["kustomization.yaml"] = dump_documents(
            [
                (
                    None,
                    {
                        "apiVersion": "kustomize.config.k8s.io/v1beta1",
                        "kind": "Kustomization",
                        "resources": sorted(bundle_files),
                    },
                )
            ]
        )
        out.update({f"{bundle}/{k}": v for k, v in bundle_files.items()})
        out[f"_gitops/flux/{bundle}.yaml"] = f"# wiring for {bundle}, pinned by a digest that changes with content\n"
    out["genplat.lock.json"] = json.dumps({"bundles": sorted(p.bundles)}) + "\n"
    return out


def write(p: Platform | dict[str, str], root: Path) -> Path:
    content = files(p) if isinstance(p, Platform) else p
    for path, text in content.items():
        dest = root / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    return root
