"""Objects per second: genplat's YAML emitter against PyYAML's CSafeDumper (libyaml) and ruamel.yaml.

Run: ``.venv/bin/python bench/emit_bench.py [seconds-per-case]``. Each case emits a ≈ 38-line
Deployment-like object repeatedly (a fresh name per object, so the emitter's string cache sees the
same mix of repeated and new strings as a real build) and prints objects/s.
"""

from __future__ import annotations

import io
import platform
import sys
import time
import typing as t

import yaml

from genplat.rendering.emit import dump_object


def deployment(i: int) -> dict[str, t.Any]:
    name = f"tenant-{i}-web"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": f"tenant-{i}",
            "labels": {"app.kubernetes.io/name": name, "genplat.dev/tenant": f"tenant-{i}", "tier": "gold"},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name}},
                "spec": {
                    "serviceAccountName": "default",
                    "containers": [
                        {
                            "name": "app",
                            "image": "registry.example.com/team/web:1.4.2",
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                            "env": [{"name": "MODE", "value": "on"}, {"name": "LEVEL", "value": "3"}],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": "500m", "memory": "256Mi"},
                            },
                            "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
                        }
                    ],
                },
            },
        },
    }


def rate(fn: t.Callable[[dict[str, t.Any]], str], seconds: float) -> tuple[float, int]:
    objs = [deployment(i) for i in range(2000)]
    n = 0
    start = time.perf_counter()
    while True:
        for o in objs:
            fn(o)
        n += len(objs)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed, len(fn(objs[0]).splitlines())


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0

    def csafe(o: dict[str, t.Any]) -> str:
        return yaml.dump(o, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False, width=1 << 30)

    cases: dict[str, t.Callable[[dict[str, t.Any]], str]] = {
        "genplat.rendering.emit": dump_object,
        "PyYAML CSafeDumper": csafe,
    }
    try:
        from ruamel.yaml import YAML

        ry = YAML(typ="safe", pure=True)
        ry.default_flow_style = False

        def ruamel(o: dict[str, t.Any]) -> str:
            buf = io.StringIO()
            ry.dump(o, buf)
            return buf.getvalue()

        cases["ruamel.yaml (safe, pure)"] = ruamel
    except ImportError:  # pragma: no cover - ruamel is a dependency, but the bench should not need it
        pass

    print(f"python {platform.python_version()} on {platform.machine()}, {seconds:.1f} s per case")
    results = {}
    for label, fn in cases.items():
        per_s, lines = rate(fn, seconds)
        results[label] = per_s
        print(f"{label:28s} {per_s:10,.0f} objects/s  ({lines} lines per object)")
    base = results["PyYAML CSafeDumper"]
    print(f"genplat.rendering.emit / CSafeDumper: {results['genplat.rendering.emit'] / base:.1f}x")


if __name__ == "__main__":
    main()
