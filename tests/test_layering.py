"""The package tree is the pipeline, and the imports say so (as click's tests/test_imports.py keeps its own).

Every genplat module belongs to a stage: its top-level package (``genplat.rendering.knative`` → ``rendering``).
Stages are ordered as the compile runs; a module may import its own stage and earlier ones only. A
private module (``_name``) is imported only from inside its own package. There are no import cycles,
counting imports inside functions too (they are cycles all the same, only deferred), and an import of
genplat inside a function carries a comment saying why it is deferred.

The checker reads source files only, so tests can plant a violation in a copy of the tree.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "genplat"

# The order of the compile: load → validate → resolve → render → check → write → package → publish →
# delivery (reading back what the clusters run),
# with the shared core first and the front ends (diff, authoring, the CLI) last. ``pipeline`` directs
# the stages; the package root only re-exports, lazily.
STAGES = [
    "core",
    "schemas",
    "loader",
    "policy",
    "validation",
    "resolver",
    "rendering",
    "checks",
    "output",
    "packaging",
    "publish",
    "addons",
    "delivery",
    "pipeline",
    "diff",
    "authoring",
    "cli",
    "",
]
RANK = {name: i for i, name in enumerate(STAGES)} | {"api": STAGES.index("pipeline")}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _is_module(root: Path, dotted: str) -> bool:
    path = root.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(root: Path, path: Path, module: str) -> list[tuple[str, int, bool, bool]]:
    """(imported module, line, inside a function, commented) for every import of genplat in ``path``."""
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[str, int, bool, bool]] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                targets: list[str] = []
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                else:
                    base = child.module or ""
                    if child.level:
                        up = package.split(".")
                        up = up[: len(up) - (child.level - 1)]
                        base = ".".join(up + ([child.module] if child.module else []))
                    # ``from package import module`` names the module; ``from module import name`` the module.
                    targets = [
                        f"{base}.{a.name}" if _is_module(root, f"{base}.{a.name}") else base for a in child.names
                    ]
                # A comment on the import, or above the block of imports it belongs to, says why.
                above = child.lineno - 2
                while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
                    above -= 1
                text = "\n".join(lines[max(above, 0) : child.end_lineno or child.lineno])
                for target in targets:
                    if target == "genplat" or target.startswith("genplat."):
                        found.append((target, child.lineno, nested, "#" in text))
            visit(child, inner)

    visit(tree, False)
    return found


def violations(root: Path = PACKAGE) -> list[str]:
    """Every layering rule broken under ``root`` (a ``genplat`` folder), as readable lines."""
    files = {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    out: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        for target, line, nested, commented in sorted(set(_imports(root, path, module))):
            # ``from genplat.x import name`` names a module or a member: keep the longest module it means.
            while target not in files and "." in target:
                target = target.rsplit(".", 1)[0]
            if target not in files or target == module:
                continue
            where = f"{path.relative_to(root.parent)}:{line}"
            mine, theirs = _stage(module), _stage(target)
            if mine not in RANK:
                out.append(f"{where}: {module} belongs to no stage: add {mine!r} to STAGES in its place")
            if mine != theirs and RANK.get(mine, 0) < RANK.get(theirs, 0):
                out.append(f"{where}: {module} ({mine or 'genplat'}) imports a later stage: {target} ({theirs})")
            owner = ".".join(target.split(".")[:-1])
            private = [i for i, part in enumerate(target.split(".")) if part.startswith("_") and part != "__init__"]
            if private:
                allowed = ".".join(target.split(".")[: private[0]])
                if not (module == allowed or module.startswith(allowed + ".")):
                    out.append(f"{where}: {module} imports {target}, private to {allowed or owner}")
            if nested and not commented and mine != "":
                out.append(f"{where}: {module} imports {target} inside a function without a comment saying why")
            graph[module].add(target)
    out.extend(f"import cycle: {' → '.join(cycle)}" for cycle in _cycles(graph))
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return [c + [c[0]] for c in components]


def test_the_tree_follows_the_pipeline() -> None:
    found = violations()
    assert not found, "\n".join(found)


@pytest.fixture()
def tree_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "genplat"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.yaml"))
    assert violations(copy) == []
    return copy


def _plant(root: Path, module: str, line: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + "\n" + line + "\n")


def test_a_planted_backward_import_fails(tree_copy: Path) -> None:
    _plant(tree_copy, "rendering/knative", "from genplat.publish.registry import RegistryClient")
    found = violations(tree_copy)
    assert len(found) == 1 and "imports a later stage: genplat.publish.registry (publish)" in found[0], found


def test_a_planted_private_import_fails(tree_copy: Path) -> None:
    _plant(tree_copy, "cli/verify", "from genplat.publish.sign._keys import load_public_key")
    found = violations(tree_copy)
    assert len(found) == 1 and "private to genplat.publish.sign" in found[0], found


def test_a_planted_cycle_fails(tree_copy: Path) -> None:
    _plant(tree_copy, "core/quantity", "from genplat.core.names import KEBAB")
    _plant(tree_copy, "core/names", "from genplat.core.quantity import parse_quantity")
    found = violations(tree_copy)
    assert any(
        f.startswith("import cycle:") and "genplat.core.names" in f and "genplat.core.quantity" in f for f in found
    ), found


def test_an_unexplained_deferred_import_fails(tree_copy: Path) -> None:
    _plant(tree_copy, "rendering/knative", "def _late() -> None:\n    from genplat.core.quantity import parse_quantity")
    found = violations(tree_copy)
    assert len(found) == 1 and "inside a function without a comment" in found[0], found


def test_the_cli_loads_no_heavy_library() -> None:
    """``genplat --help`` imports no HTTP, template or schema library (python -X importtime tells)."""
    heavy = {
        "requests",
        "jinja2",
        "jsonschema",
        "jsonschema_rs",
        "urllib3",
        "ruamel",
        "cryptography",
        "nacl",
        "detect_secrets",
    }
    for code in (
        "import genplat.cli",
        "import genplat",
        "from genplat.cli import cli; cli.main(['--help'], standalone_mode=False)",
    ):
        run = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
        )
        loaded = {line.split("|")[-1].strip().split(".")[0] for line in run.stderr.splitlines() if "|" in line}
        assert "genplat" in loaded, run.stderr[-500:]
        assert not loaded & heavy, (code, sorted(loaded & heavy))
