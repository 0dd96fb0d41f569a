"""`make bench`: time genplat build on synthetic platforms of N tenants, phase by phase.

For each N it generates a project (the example platform plus N tenants that use every feature),
then runs, each in a fresh process so peak memory is the build's own:
  clean          (empty out/)
  rebuild        (nothing changed: stops at the input fingerprint)
  rebuild-full   (nothing changed, `--full`: renders, checks and compares everything)
  check          (`--check` on up-to-date output)
  check-full     (`--check --full`, what CI does on a fresh clone)
Results go to bench/results/latest.md (and are printed); copy the figures into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = (
    "fingerprint",
    "load",
    "validate",
    "resolve",
    "addons",
    "compositions",
    "render",
    "check",
    "emit",
    "package",
    "write",
)
DIGEST = "c7761e58969f7edd498186641b2021e8477e1bcd230de4cf3435242da4a40d14"


def tenant_yaml(i: int, n: int) -> str:
    name = f"t{i:05d}"
    peer = f"t{(i + 1) % n:05d}"
    canary = i % 3 == 0
    traffic = (
        (
            "      traffic:\n"
            "        - {revision: api-v1, percent: 80, tag: stable}\n"
            "        - {latestRevision: true, percent: 20, tag: canary}\n"
        )
        if canary
        else ""
    )
    resources = (
        (f"  resources:\n    - {{name: db, offering: postgres, parameters: {{storageGB: {20 + i % 100}}}}}\n")
        if i % 4 == 0
        else ""
    )
    events = "  events:\n    - {name: orders, filter: {type: com.example.order}, subscriber: api}\n"
    build = (
        (
            "      build: {pipeline: container-build, repository: https://git.example/app, revision: main,\n"
            f"              pushSecret: {{key: {name}/registry-push}}}}\n"
        )
        if i % 10 == 0
        else ""
    )
    allow = f"  network:\n    allowFrom: [{peer}]\n" if n > 1 else ""
    return f"""apiVersion: genplat.dev/v1alpha1
kind: Tenant
metadata:
  name: {name}
spec:
  tier: {("small", "medium", "large")[i % 3]}
  access:
    admins: {{groups: [{name}-admins]}}
    developers: {{groups: [{name}-devs], users: [dev{i}@example.com]}}
  environments:
    - name: {("dev", "prod")[i % 2]}
      clusters: [{("dev-eu", "prod-eu")[i % 2]}]
  services:
    - name: api
      image: ghcr.io/acme/app{i % 50}:1.{i % 10}.0@sha256:{DIGEST}
      port: 8080
      env: {{LOG_LEVEL: info, TENANT: {name}}}
      secrets:
        - {{env: DB_PASSWORD, key: {name}/db, property: password}}
        - {{env: DB_USER, key: {name}/db, property: username}}
      scaling: {{min: {i % 2}, max: 3, target: 50}}
      resources:
        requests: {{cpu: 100m, memory: 128Mi}}
        limits: {{cpu: 500m, memory: 256Mi}}
{traffic}{build}    - name: worker
      image: ghcr.io/acme/worker{i % 20}:2.{i % 7}.1@sha256:{DIGEST}
      env: {{QUEUE: {name}-jobs}}
      secrets:
        - {{env: QUEUE_TOKEN, key: {name}/queue, property: token}}
      scaling: {{min: 0, max: 2}}
      resources:
        requests: {{cpu: 50m, memory: 64Mi}}
        limits: {{cpu: 200m, memory: 128Mi}}
      visibility: cluster-local
{resources}{events}{allow}"""


def make_project(n: int, dest: Path) -> None:
    bp = dest / "blueprints"
    (bp / "tenants").mkdir(parents=True)
    shutil.copy(ROOT / "blueprints" / "platform.yaml", bp / "platform.yaml")
    # The examples' add-on lock and vendored CRDs: every cluster is checked against its locked add-ons.
    shutil.copy(ROOT / "blueprints" / "addons.lock.json", bp / "addons.lock.json")
    shutil.copytree(ROOT / "blueprints" / "addons", bp / "addons")
    for i in range(n):
        (bp / "tenants" / f"t{i:05d}.yaml").write_text(tenant_yaml(i, n))


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from genplat.pipeline import BuildOptions, build
t0 = time.perf_counter()
mode = sys.argv[2]
crds = tuple(Path(p) for p in sys.argv[3:])
r = build(BuildOptions(project=Path(sys.argv[1]), check_only=mode.startswith("check"), incremental=not mode.endswith("full"),
                       crds=crds))
wall = time.perf_counter() - t0
assert r.ok, [str(d) for d in r.diagnostics[:5]]
print(json.dumps({"wall": wall, "timings": r.timings, "objects": r.objects, "files": len(r.files),
                  "written": len(r.written), "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def run(project: Path, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(project), mode], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    args = ap.parse_args()
    lines = [
        "# genplat build benchmark",
        "",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}",
        "",
        "Phase times are CPU seconds summed over worker processes where workers ran; wall is the whole build.",
        "Peak MB: the build process / its largest worker (each worker shares the parent's pages copy-on-write).",
        "",
        "| N | run | wall s | objects | objects/s | peak MB | " + " | ".join(PHASES) + " |",
        "|---|---|---|---|---|---|" + "---|" * len(PHASES),
    ]
    for n in [int(x) for x in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="genplat-bench-") as tmp:
            project = Path(tmp)
            make_project(n, project)
            for mode in ("clean", "rebuild", "rebuild-full", "check", "check-full"):
                r = run(project, mode)
                ph = r["timings"]
                total = sum(ph.values()) or 1
                cells = " | ".join(f"{ph.get(p, 0):.2f}s ({ph.get(p, 0) / total * 100:.0f}%)" for p in PHASES)
                lines.append(
                    f"| {n} | {mode} | {r['wall']:.2f} | {r['objects']} | {r['objects'] / r['wall'] if r['objects'] else 0:.0f} | {r['maxrss_mb']:.0f} / {r['children_mb']:.0f} | {cells} |"
                )
                print(lines[-1], flush=True)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
