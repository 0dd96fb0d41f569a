"""The real crossplane CLI (v2.1.0) and function-patch-and-transform (v0.10.7), for tests.

``pt_function`` (session scope) runs the function on a free loopback port (``--insecure``, as
``crossplane render`` talks to a development runtime). :func:`render` runs ``crossplane render`` on one
XR with its Composition, the Function (annotated to use that runtime) and the XRD;
:func:`beta_validate` runs ``crossplane beta validate`` offline: its ``--cache-dir`` already holds the
Crossplane CRDs under the folder it would otherwise download
(``xpkg.crossplane.io/crossplane/crossplane@v2.1.0/``).

Both binaries come from the tool cache (tools/upstream.toml); tests that use them are marked ``tools``.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import subprocess
import time
import typing as t
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from genplat.loader.project import load_project
from genplat.rendering import crossplane
from genplat.rendering._base import BundleContext
from genplat.rendering.composed import ComposedXR, compose_tenant
from genplat.resolver.model import resolve
from tests.registry import free_port
from tests.upstream_parts import crd_files, tool

RUNTIME_ANNOTATIONS = "render.crossplane.io/runtime"
TARGET_ANNOTATION = "render.crossplane.io/runtime-development-target"
CROSSPLANE_IMAGE = "xpkg.crossplane.io/crossplane/crossplane@v2.1.0"
# The providers whose CRDs the examples compose (tools/upstream.toml).
PROVIDERS = ("provider-upjet-gcp", "provider-upjet-aws", "provider-helm", "provider-kubernetes")
DEADLINE = 120


# The Function a platform without `crossplane.function` relies on (installed by other means).
DEFAULT_FUNCTION = {
    "apiVersion": crossplane.FUNCTION_API,
    "kind": "Function",
    "metadata": {"name": crossplane.DEFAULT_FUNCTION},
    "spec": {"package": "xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.10.7"},
}


@dataclasses.dataclass
class Order:
    """A tenant order composed by genplat, with what ``crossplane render`` needs for the same order."""

    item: ComposedXR
    composition: dict[str, t.Any]
    xrd: dict[str, t.Any]
    function: dict[str, t.Any]

    @property
    def label(self) -> str:
        return f"{self.item.tenant.cluster.bundle}/{self.item.tenant.name}/{self.item.resource.name}"


def orders(blueprints: Path) -> list[Order]:
    """Every order of a project (on clusters with Crossplane), composed by genplat."""
    project = load_project(blueprints)
    assert not [d for d in project.diagnostics if d.is_error], project.diagnostics
    platform, bundles = resolve(project)
    out = []
    for targets in bundles.values():
        if not targets or not targets[0].cluster.has(crossplane.CAPABILITY):
            continue
        ctx = BundleContext(platform, targets[0].cluster, list(targets))
        objects = {(o.kind, o.name): o.obj for o in crossplane.render_platform(ctx)}
        function = next((obj for (kind, _), obj in objects.items() if kind == "Function"), DEFAULT_FUNCTION)
        for target in targets:
            for item in compose_tenant(ctx, target):
                comp = objects[("Composition", item.composition_name)]
                xrd = next(
                    obj
                    for (kind, _), obj in objects.items()
                    if kind == "CompositeResourceDefinition"
                    and obj["metadata"]["labels"][crossplane.OFFERING_LABEL] == item.offering["name"]
                )
                out.append(Order(item, comp, xrd, function))
    return out


def provider_crd_files() -> list[Path]:
    return [f for p in PROVIDERS for f in crd_files(p)]


def provider_crd_flags() -> list[str]:
    return [arg for f in provider_crd_files() for arg in ("--crds", str(f))]


@pytest.fixture(scope="session")
def pt_function(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[str]:
    """``127.0.0.1:PORT`` of a running function-patch-and-transform."""
    binary = tool("function-patch-and-transform")
    port = free_port()
    log = tmp_path_factory.mktemp("pt-function") / "function.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([binary, "--insecure", f"--address=127.0.0.1:{port}"], stdout=sink, stderr=sink)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = log.read_text("utf-8", "replace")
                    raise RuntimeError(f"function-patch-and-transform did not listen on {port}: {err}") from None
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def development_function(function: dict[str, t.Any], address: str) -> dict[str, t.Any]:
    """The Function object with the annotations that make ``crossplane render`` use a running function."""
    out = dict(function, metadata=dict(function["metadata"]))
    out["metadata"]["annotations"] = {
        **(function["metadata"].get("annotations") or {}),
        RUNTIME_ANNOTATIONS: "Development",
        TARGET_ANNOTATION: address,
    }
    return out


def _write(path: Path, docs: t.Sequence[dict[str, t.Any]]) -> Path:
    path.write_text(yaml.safe_dump_all(list(docs), sort_keys=False), "utf-8")
    return path


@dataclasses.dataclass
class Rendered:
    composite: dict[str, t.Any]
    composed: list[dict[str, t.Any]]
    results: list[dict[str, t.Any]]


def render(
    tmp: Path,
    *,
    xr: dict[str, t.Any],
    composition: dict[str, t.Any],
    function: dict[str, t.Any],
    xrd: dict[str, t.Any],
    address: str,
) -> Rendered:
    """``crossplane render XR COMPOSITION FUNCTIONS --xrd XRD --include-full-xr``, parsed."""
    tmp.mkdir(parents=True, exist_ok=True)
    args = [
        tool("crossplane"),
        "render",
        str(_write(tmp / "xr.yaml", [xr])),
        str(_write(tmp / "composition.yaml", [composition])),
        str(_write(tmp / "functions.yaml", [development_function(function, address)])),
        "--xrd",
        str(_write(tmp / "xrd.yaml", [xrd])),
        "--include-full-xr",
    ]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=DEADLINE, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"crossplane render failed ({proc.returncode}): {proc.stderr}")
    # YAML 1.2, as Go writes it: 3e+21 is a number (PyYAML's YAML 1.1 reads it as a string).
    docs = [d for d in YAML(typ="safe", pure=True).load_all(proc.stdout) if d]
    (tmp / "rendered.yaml").write_text(proc.stdout, "utf-8")
    composite = next(d for d in docs if d["kind"] == xr["kind"] and d["apiVersion"] == xr["apiVersion"])
    composed = [d for d in docs if d is not composite and not d["apiVersion"].startswith("render.crossplane.io/")]
    results = [d for d in docs if d["apiVersion"].startswith("render.crossplane.io/")]
    return Rendered(composite, composed, results)


@dataclasses.dataclass
class Validated:
    code: int
    output: str

    @property
    def refusals(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith(("[x]", "[!]"))]


def beta_validate(
    tmp: Path, *, extensions: t.Sequence[Path | dict[str, t.Any]], resources: t.Sequence[dict[str, t.Any]]
) -> Validated:
    """``crossplane beta validate EXTENSIONS RESOURCES --error-on-missing-schemas``, offline."""
    tmp.mkdir(parents=True, exist_ok=True)
    cache = tmp / "cache" / CROSSPLANE_IMAGE
    cache.mkdir(parents=True, exist_ok=True)
    for f in crd_files("crossplane"):
        shutil.copyfile(f, cache / f.name)
    ext = tmp / "extensions"
    ext.mkdir(exist_ok=True)
    for i, e in enumerate(extensions):
        if isinstance(e, Path):
            shutil.copyfile(e, ext / f"{i:03d}-{e.name}")
        else:
            _write(ext / f"{i:03d}-object.yaml", [e])
    res = _write(tmp / "resources.yaml", resources)
    proc = subprocess.run(
        [
            tool("crossplane"),
            "beta",
            "validate",
            str(ext),
            str(res),
            "--cache-dir",
            str(tmp / "cache"),
            "--error-on-missing-schemas",
        ],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    (tmp / "output.txt").write_text(proc.stdout + proc.stderr, "utf-8")  # for whoever reads a failure
    return Validated(proc.returncode, proc.stdout + proc.stderr)
