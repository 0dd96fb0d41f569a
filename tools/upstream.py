#!/usr/bin/env python3
"""Fetch the pinned upstream CRDs and build the pinned Go test tools (tools/upstream.toml).

Standard library only: the Makefile runs it before any virtualenv exists, and tests import it.

    python3 tools/upstream.py crds          # download every CRD module; print one CRD file per line
    python3 tools/upstream.py crd-flags [NAME…]  # the default set's files (and NAMEs') as `--crds FILE` arguments
                                            # (nothing without Go)
    python3 tools/upstream.py build [NAME…] # build missing tools into the cache (all by default)
    python3 tools/upstream.py path NAME     # the cached binary of NAME, or exit 1
    python3 tools/upstream.py wheelhouse    # the folder of locked runtime wheels (tests install the wheel offline)
    python upstream.py moved LOCK           # packages this interpreter has at other versions than LOCK pins

Tools are built once per machine into ``$GENPLAT_TOOLS_CACHE`` (default
``${XDG_CACHE_HOME:-~/.cache}/genplat-tools``), one folder per tool, version and recipe hash, so a
second clone builds nothing and ``make clean`` in a clone never forces a rebuild. A build takes a lock
per tool: a second caller waits for the first instead of building again on a two-core machine.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import typing as t
from functools import cache, lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SPEC = HERE / "upstream.toml"


class UpstreamError(Exception):
    """A fetch or build that failed; the message says which and why."""


@lru_cache(maxsize=1)
def spec() -> dict[str, t.Any]:
    with SPEC.open("rb") as fh:
        return tomllib.load(fh)


def cache_root() -> Path:
    explicit = os.environ.get("GENPLAT_TOOLS_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "genplat-tools"


def have_go() -> bool:
    return shutil.which("go") is not None


def _go_env(nosumdb: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    # Never let `go` fetch another toolchain (not reachable here), and resolve modules without a main
    # module's go.sum getting in the way.
    env["GOTOOLCHAIN"] = "local"
    env["GOFLAGS"] = "-mod=mod"
    if nosumdb:
        env["GONOSUMDB"] = ",".join(filter(None, [env.get("GONOSUMDB", ""), nosumdb]))
    return env


# ---- CRDs -----------------------------------------------------------------------------------------


def _download(module: str, version: str, nosumdb: str | None = None) -> Path:
    """``go mod download`` one module version; its (read-only) folder in the module cache."""
    ref = f"{module}@{version}"
    with tempfile.TemporaryDirectory() as scratch:
        proc = subprocess.run(
            ["go", "mod", "download", "-json", ref],
            cwd=scratch,
            env=_go_env(nosumdb),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    try:
        info = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise UpstreamError(f"go mod download {ref} failed: {proc.stderr.strip()}") from None
    if info.get("Error") or not info.get("Dir"):
        raise UpstreamError(f"go mod download {ref} failed: {info.get('Error') or proc.stderr.strip()}")
    return Path(info["Dir"])


@cache
def module_dir(project: str) -> Path:
    """The module-cache folder of a CRD project's pinned module (downloaded on first use)."""
    entry = spec()["crds"].get(project)
    if entry is None:
        raise UpstreamError(f"unknown CRD project {project!r} (see tools/upstream.toml)")
    if "local" in entry:
        return REPO / entry["local"]
    if not have_go():
        raise UpstreamError("go not found: the upstream CRDs are fetched as Go modules")
    return _download(entry["module"], entry["version"], entry.get("nosumdb"))


def crd_projects(*, every: bool = False) -> list[str]:
    """CRD project names, sorted: the default set, or with ``every`` also the entries marked
    ``default = false`` (other releases of the same CRDs, CRDs only some tests install)."""
    return sorted(name for name, entry in spec()["crds"].items() if every or entry.get("default", True))


def crd_files(project: str | None = None, *, every: bool = False) -> list[Path]:
    """The pinned CRD files of one project, or of the default set (``every``: of all entries), in a
    stable order."""
    projects = [project] if project else crd_projects(every=every)
    files: list[Path] = []
    for name in projects:
        root = module_dir(name)
        found: list[Path] = []
        for pattern in spec()["crds"][name]["paths"]:
            found.extend(sorted(root.glob(pattern)))
        if not found:
            raise UpstreamError(f"{name}: no CRD files match {spec()['crds'][name]['paths']} in {root}")
        files.extend(found)
    return files


def crd_file(project: str, name: str) -> Path:
    """One CRD file of a project by its file name (``cert-manager.io_certificates.yaml``)."""
    for path in crd_files(project):
        if path.name == name:
            return path
    raise UpstreamError(f"{project}: no CRD file named {name}")


# ---- tools ----------------------------------------------------------------------------------------


def _recipe(name: str) -> dict[str, t.Any]:
    recipe = spec()["tools"].get(name)
    if recipe is None:
        raise UpstreamError(f"unknown tool {name!r} (see tools/upstream.toml)")
    return dict(recipe)


def _recipe_key(name: str, recipe: dict[str, t.Any]) -> str:
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode())
    source = recipe.get("source")
    if source:
        for path in sorted((REPO / source).rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def tool_dir(name: str) -> Path:
    recipe = _recipe(name)
    return cache_root() / name / f"{recipe['version']}-{_recipe_key(name, recipe)}"


def tool_path(name: str) -> Path | None:
    """The cached binary of ``name`` when it has been built, else None."""
    path = tool_dir(name) / name
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _go_mod(name: str, recipe: dict[str, t.Any]) -> str:
    lines = [f"module genplat.local/tools/{name}", "", f"go {recipe.get('go', '1.26')}", ""]
    if recipe.get("godebug"):
        lines += [f"godebug {recipe['godebug']}", ""]
    lines += ["require ("] + [f"\t{r}" for r in recipe.get("require", [])] + [")", ""]
    replaces = list(recipe.get("replace", []))
    staging = recipe.get("staging")
    if staging:
        replaces += [f"k8s.io/{m} => k8s.io/{m} {staging['version']}" for m in staging["modules"]]
    if replaces:
        lines += ["replace ("] + [f"\t{r}" for r in replaces] + [")", ""]
    return "\n".join(lines)


def build(name: str, *, log: t.TextIO = sys.stderr) -> Path:
    """Build ``name`` into the cache unless it is there; returns the binary's path."""
    recipe = _recipe(name)
    target = tool_dir(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = tool_path(name)
        if done:
            return done
        if not have_go():
            raise UpstreamError(f"go not found: cannot build {name} {recipe['version']}")
        print(f"building {name} {recipe['version']} (once per machine, into {target})", file=log, flush=True)
        env = _go_env(recipe.get("nosumdb"))
        if recipe.get("buildvcs") is False:
            env["GOFLAGS"] += " -buildvcs=false"
        with tempfile.TemporaryDirectory(prefix=f"genplat-tool-{name}-") as scratch:
            work = Path(scratch)
            binary = work / "bin" / name
            steps: list[list[str]] = []
            if recipe.get("module"):
                # The module's own main package, built from a writable copy of its zip (its own go.mod
                # and go.sum), minus the replaces in `dropreplace` (e.g. `…/api => ./api`, a folder
                # module zips lack; the required version then comes from the proxy).
                mod = work / "module"
                shutil.copytree(_download(recipe["module"], recipe["version"], recipe.get("nosumdb")), mod)
                for path in [mod, *mod.rglob("*")]:
                    path.chmod(path.stat().st_mode | 0o200)
                steps += [["go", "mod", "edit", f"-dropreplace={old}"] for old in recipe.get("dropreplace", [])]
                package = recipe.get("package", ".")
                cwd = mod
            else:
                (work / "go.mod").write_text(_go_mod(name, recipe))
                if recipe.get("source"):
                    for src in sorted((REPO / recipe["source"]).glob("*.go")):
                        shutil.copy(src, work / src.name)
                    package = "."
                else:
                    package = recipe["package"]
                    (work / "tools.go").write_text(f'//go:build tools\n\npackage tools\n\nimport _ "{package}"\n')
                steps.append(["go", "mod", "tidy"])
                cwd = work
            ldflags = " ".join(recipe.get("ldflags", []))
            steps.append(
                ["go", "build", "-trimpath", *(["-ldflags", ldflags] if ldflags else []), "-o", str(binary), package]
            )
            for step in steps:
                proc = subprocess.run(step, cwd=cwd, env=env, capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    tail = "\n".join(proc.stderr.strip().splitlines()[-20:])
                    raise UpstreamError(f"building {name} {recipe['version']}: `{' '.join(step)}` failed:\n{tail}")
            staged = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
            shutil.move(str(binary), staged / name)
            (staged / "go.mod").write_text((cwd / "go.mod").read_text())
            if (cwd / "go.sum").exists():
                shutil.copy(cwd / "go.sum", staged / "go.sum")
            os.replace(staged, target)
        return target / name


def wheelhouse() -> Path:
    """Where `make test-deps` downloads the locked runtime wheels, so a test can install genplat's own
    wheel into a fresh virtualenv without the network."""
    return cache_root() / "wheels"


def moved(lock: Path) -> list[str]:
    """``name locked → installed`` for each package the running interpreter has at another version than
    the lock file pins (what `make test-latest` names when the newest versions break the suite)."""
    import re
    from importlib import metadata

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pinned = {
        norm(name): version for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", lock.read_text(), re.M)
    }
    out = []
    for dist in metadata.distributions():
        name = norm(dist.metadata["Name"] or "")
        if name in pinned and pinned[name] != dist.version:
            out.append(f"{name} {pinned[name]} → {dist.version}")
    return sorted(set(out))


# ---- CLI ------------------------------------------------------------------------------------------


def _required() -> bool:
    return os.environ.get("GENPLAT_REQUIRE_TOOLS") == "1"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "crds":
            for path in crd_files(every=True):
                print(path)
        elif cmd == "crd-flags":
            if not have_go():
                print(
                    "go not found: custom resources are not checked against the upstream CRDs "
                    "(install Go to fetch them)",
                    file=sys.stderr,
                )
                return 0
            files = crd_files() + [f for name in args for f in crd_files(name)]
            print(" ".join(f"--crds {p}" for p in files))
        elif cmd == "build":
            if not have_go() and not _required():
                print(
                    "go not found: skipping the Go test tools (tests that need them skip; "
                    "GENPLAT_REQUIRE_TOOLS=1 makes them fail)",
                    file=sys.stderr,
                )
                return 0
            for name in args or list(spec()["tools"]):
                build(name)
        elif cmd == "moved":
            changed = moved(Path(args[0]))
            print("\n".join(changed) if changed else "(none: every locked package is at its locked version)")
        elif cmd == "wheelhouse":
            print(wheelhouse())
        elif cmd == "path":
            if len(args) != 1:
                print("usage: upstream.py path NAME", file=sys.stderr)
                return 2
            found = tool_path(args[0])
            if found is None:
                print(f"{args[0]} is not built: run `python3 tools/upstream.py build {args[0]}`", file=sys.stderr)
                return 1
            print(found)
        else:
            print(f"unknown command {cmd!r}; see --help", file=sys.stderr)
            return 2
    except UpstreamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
