"""How long one TAB takes: genplat's shell completion timed exactly as bash calls it.

    .venv/bin/python bench/completion_bench.py [--runs 15] [--project PATH]  (default: the example blueprints)

Each case is a fresh process started the way click's bash completion script starts it
(``_GENPLAT_COMPLETE=bash_complete COMP_WORDS=… COMP_CWORD=… genplat``), in the project folder. Prints
the median and the slowest of the runs per case, the names it completed, and whether the median is
under the 300 ms target (exit 1 when one is not).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0

CASES = [
    "genplat ",  # command names
    "genplat set-image ",  # tenants
    "genplat set-image globex ",  # that tenant's services
    "genplat render --env ",  # environments
    "genplat render --env prod --cluster ",  # that environment's clusters
    "genplat tenant new shop --tier ",  # tiers
    "genplat resource add globex db ",  # offerings
    "genplat resource remove initech ",  # that tenant's resources
    "genplat push ",  # bundles
]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tab(words: str, cwd: Path, genplat: str) -> tuple[float, float, list[str]]:
    """(wall ms, CPU ms, names completed) of one TAB."""
    parts = words.split(" ")
    env = {**os.environ, "_GENPLAT_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)}
    start, cpu = time.perf_counter(), _cpu()
    out = subprocess.run([genplat], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout
    elapsed, used = (time.perf_counter() - start) * 1000, (_cpu() - cpu) * 1000
    return elapsed, used, [line.split(",", 1)[1] for line in out.splitlines() if "," in line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--project", type=Path, default=REPO)
    args = parser.parse_args()
    genplat = str(Path(sys.executable).parent / "genplat")
    slow = 0
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall time grows with it; CPU time does not)"
    )
    print(f"{'TAB after':42} {'median':>9} {'max':>9} {'CPU':>8}  completed")
    for words in CASES:
        times, cpus = [], []
        names: list[str] = []
        for _ in range(args.runs):
            ms, used, names = tab(words, args.project, genplat)
            times.append(ms)
            cpus.append(used)
        median = statistics.median(times)
        slow += median > TARGET_MS
        shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        print(f"{words!r:42} {median:6.0f} ms {max(times):6.0f} ms {statistics.median(cpus):5.0f} ms  {shown}")
    print(f"target: median under {TARGET_MS:.0f} ms per TAB: {'met' if not slow else f'missed in {slow} case(s)'}")
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
