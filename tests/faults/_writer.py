"""Child process of the kill tests: writes the old or the new tree of a large change with genplat's
real writer (``write`` OLD|NEW), or plays the part of the next run (``recover``).

The trees are made here, deterministically, so parent and child agree without passing them: about
5,000 files in bundles, with ``genplat.lock.json`` listing each file's sha256 as a build writes it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from genplat.output.lockfile import make_lockfile
from genplat.output.tree import recover_output, write_tree

FILES = 5000


def tree(version: str) -> dict[str, bytes]:
    """``old``: 5,000 files; ``new``: 4,000 of them rewritten, 1,000 removed, 1,004 added."""
    bundles: dict[str, dict[str, bytes]] = {}
    for i in range(FILES if version == "old" else FILES + 4):
        if version == "new" and i % 5 == 4 and i < FILES:
            continue  # removed by the change
        bundle = f"env{i % 4}/cluster{i % 3}"
        name = f"tenants/t{i:05d}.yaml" if i < FILES else f"tenants/added/n{i:05d}.yaml"
        body = f"# {version} {i}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t{i}\ndata:\n  v: '{version}'\n"
        bundles.setdefault(bundle, {})[name] = (body * (1 + i % 7)).encode()
    if version == "new":
        for j in range(1000):
            bundles.setdefault("env9/cluster9", {})[f"tenants/moved/m{j:04d}.yaml"] = f"moved {j}\n".encode()
    files = {f"{b}/{p}": d for b, fs in bundles.items() for p, d in fs.items()}
    files["genplat.lock.json"] = make_lockfile(bundles)
    return files


def main() -> None:
    action, out = sys.argv[1], Path(sys.argv[2])
    if action == "recover":
        recover_output(out)
        return
    files = tree(action)
    print("writing", flush=True)
    write_tree(out, files)
    print("done", flush=True)


if __name__ == "__main__":
    main()
