"""Benchmark for ``genplat diff``: 1,000 tenants (≈ 20 objects each) with one tenant changed.

Writes two output folders with genplat's emitter into a temporary folder and times
``genplat.diff.diff`` (read both sides, compare, assess risks) and each report format. Also times
the worst case, where every file differs in bytes (re-indented) but not in meaning, so every
object is parsed and compared. Target (issue 7): one changed tenant of 1,000 in under 2 s.

    .venv/bin/python bench/diff_bench.py [--tenants 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genplat.diff import diff, format_json, format_markdown, format_text
from genplat.rendering.emit import dump_documents

BUNDLE = "prod/prod-eu"


def tenant(i: int, *, tag: str = "1.0.0") -> list[tuple[str, dict]]:
    ns = f"tenant-{i:05d}"
    src = f"blueprints/tenants/{ns}.yaml"
    meta = lambda n: {"name": n, "namespace": ns, "labels": {"genplat.dev/tenant": ns}}  # noqa: E731
    objs: list[dict] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"genplat.dev/tenant": ns}}},
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": meta("tenant-quota"),
            "spec": {"hard": {"requests.cpu": "4", "requests.memory": "8Gi", "limits.cpu": "8", "pods": "50"}},
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": meta("tenant-limits"),
            "spec": {"limits": [{"type": "Container", "max": {"cpu": "2", "memory": "2Gi"}}]},
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta("workload"),
            "imagePullSecrets": [{"name": "registry"}],
        },
    ]
    for role in ("admin", "edit", "view"):
        objs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": meta(f"tenant-{role}"),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"{ns}-{role}"}],
            }
        )
    for name in ("default-deny", "allow-dns", "allow-same-namespace", "allow-platform"):
        objs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": meta(name),
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{"from": [{"podSelector": {}}]}],
                },
            }
        )
    objs.append(
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": meta("registry"),
            "spec": {
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
                "data": [{"secretKey": "token", "remoteRef": {"key": f"{ns}/token"}}],
            },
        }
    )
    for s in range(8):
        objs.append(
            {
                "apiVersion": "serving.knative.dev/v1",
                "kind": "Service",
                "metadata": meta(f"svc-{s}"),
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "app",
                                    "image": f"ghcr.io/acme/{ns}-svc-{s}:{tag}",
                                    "ports": [{"containerPort": 8080}],
                                    "env": [{"name": "LOG_LEVEL", "value": "info"}],
                                    "resources": {"limits": {"cpu": "1", "memory": "512Mi"}},
                                }
                            ]
                        }
                    },
                    "traffic": [
                        {"revisionName": f"svc-{s}-v1", "percent": 80, "tag": "stable"},
                        {"latestRevision": True, "percent": 20, "tag": "canary"},
                    ],
                },
            }
        )
    return [(f"{src}:{k + 1}", o) for k, o in enumerate(objs)]


def write(root: Path, n: int, *, changed: int | None = None, reindent: bool = False) -> int:
    bundle = root / BUNDLE
    (bundle / "tenants").mkdir(parents=True)
    objects = 0
    names = []
    for i in range(n):
        docs = tenant(i, tag="1.1.0" if i == changed else "1.0.0")
        objects += len(docs)
        text = dump_documents(docs)
        if reindent:  # same meaning, different bytes: forces a full parse and compare
            text = text.replace("\n", "\n\n")
        (bundle / "tenants" / f"tenant-{i:05d}.yaml").write_text(text)
        names.append(f"tenants/tenant-{i:05d}.yaml")
    (bundle / "kustomization.yaml").write_text(dump_documents([(None, {"resources": names})]))
    return objects


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tenants", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.tenants
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        objects = write(root / "base", n)
        write(root / "head", n, changed=n // 2)
        write(root / "reindented", n, reindent=True)
        print(
            f"genplat diff benchmark: {n} tenants, {objects} objects per side, "
            f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs"
        )
        one, result = timed(lambda: diff(str(root / "base"), str(root / "head"), project=root), args.repeat)
        assert len(result.objects) == 8, result.objects  # type: ignore[attr-defined]
        print(
            f"  one tenant changed:        {one:6.3f} s   ({len(result.objects)} objects differ)  "  # type: ignore[attr-defined]
            f"target < 2 s: {'PASS' if one < 2 else 'FAIL'}"
        )
        for name, fmt in (("text", format_text), ("markdown", format_markdown), ("json", format_json)):
            t_fmt, _ = timed(lambda fmt=fmt: fmt(result), args.repeat)  # type: ignore[arg-type]
            print(f"    format {name:<9}         {t_fmt * 1000:6.1f} ms")
        full, res2 = timed(lambda: diff(str(root / "base"), str(root / "reindented"), project=root), args.repeat)
        assert not res2.objects  # type: ignore[attr-defined]
        print(
            f"  every file re-formatted:   {full:6.3f} s   ({res2.compared} objects parsed and compared "  # type: ignore[attr-defined]
            f"per side, {res2.compared / full:,.0f} objects/s)"
        )  # type: ignore[attr-defined]
        if one >= 2:
            sys.exit(1)


if __name__ == "__main__":
    main()
