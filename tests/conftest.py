"""Shared fixtures. Keep this small: area-specific helpers live next to their tests.

``control_plane`` (session scope) is a real Kubernetes API: pinned etcd + kube-apiserver (tools/upstream.toml)
started on free loopback ports with a CA made for the session, token auth (an admin in ``system:masters``),
``--authorization-mode=RBAC`` and the default admission plugins (PodSecurity included); every pinned
upstream CRD (``upstream_parts.crd_files()``) is installed and Established before the first test gets it.
It starts once per session (about 5 s + 40 s for the CRDs) and stops at the end; ``flux`` (session scope)
runs Flux's real controllers against it (tests/flux.py). Any test that asks for either is marked
``cluster`` (``pytest -m cluster`` / ``-m "not cluster"``). Missing binaries skip, or fail under
``GENPLAT_REQUIRE_TOOLS=1``. The client (tests/control_plane.py says more)::

    results = control_plane.apply(docs)                 # server-side apply, fieldValidation=Strict;
                                                        # raises ApplyFailed on any refusal or warning
    results = control_plane.apply(docs, dry_run=True, check=False)   # inspect r.error / r.warnings
    for obj, warnings in results: ...
    control_plane.diff(docs)                            # [] when a re-apply changes nothing
    control_plane.get("v1", "Namespace", "acme"); control_plane.delete(...)
    control_plane.install_crds(docs)                    # e.g. CRDs derived from XRDs
    control_plane.url, .token, .ca_file, .kubeconfig    # for kubectl or another client

Nothing reconciles (no controller-manager, scheduler or kubelet); namespaces cannot be deleted for good, so
tests use names of their own.
"""

from __future__ import annotations

import dataclasses
import os
import typing as t
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings as _hypothesis_settings

# No per-example deadline anywhere: the machines that run this suite are shared and busy, and speed is
# measured by the benchmarks (make bench), not by timed tests.
_hypothesis_settings.register_profile("genplat", deadline=None)
_hypothesis_settings.load_profile("genplat")

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "blueprints"
# Warnings the pinned upstream CRDs draw from the API server when installed (their authors' business; the
# server ignores the field in question). tests/cluster/test_control_plane.py keeps the list exact.
KNOWN_CRD_WARNINGS = {
    # Cilium v1.20.2 types toFQDNs names with the JSON Schema format idn-hostname, which Kubernetes does not know.
    "ciliumnetworkpolicies.cilium.io": 'unrecognized format "idn-hostname"',
}


@dataclasses.dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_genplat(*args: str, env: t.Mapping[str, str | None] | None = None) -> CliResult:
    """Run ``genplat`` in-process through its real entry point (``genplat.cli.main``).

    ``main`` is where errors become exit codes, so going through it (not ``cli`` itself) tests the
    codes users see. Click's test isolation captures stdout and stderr apart.
    """
    from genplat.cli import main

    runner = CliRunner()
    with runner.isolation(env=env) as streams:
        out, err = streams[0], streams[1]
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        else:  # pragma: no cover - main always exits
            code = 0
        return CliResult(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))


# The real registry's fixtures (tests/registry.py), for every folder that pushes or pulls. Registry
# credentials never come from the machine running the tests: DOCKER_CONFIG points at an empty folder.
from tests.registry import _isolated_docker_config, fresh_registry, out_dir, registry, tls_registry  # noqa: E402, F401


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start a real server are marked by the fixture they use, so `make test-fast` leaves them out."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "control_plane" in fixtures:
            item.add_marker(pytest.mark.cluster)
        if "pt_function" in fixtures:
            item.add_marker(pytest.mark.tools)
        if {"registry", "fresh_registry", "tls_registry"} & set(fixtures):
            item.add_marker(pytest.mark.registry)


@pytest.fixture(scope="session", autouse=True)
def _addon_sources(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[None]:
    """Every test runs with a private add-on cache and the Go module proxy mirrored to a loopback server
    over the pinned module zips (tests/addon_servers.py): a build of the examples, whose lock names
    proxy.golang.org, fills its cache from loopback, and no test reaches the network."""
    from tests.addon_servers import start_go_proxy

    server = start_go_proxy()
    saved = {k: os.environ.get(k) for k in ("GENPLAT_MIRRORS", "GENPLAT_CACHE_DIR")}
    os.environ["GENPLAT_MIRRORS"] = f"proxy.golang.org={server.url}"
    os.environ["GENPLAT_CACHE_DIR"] = str(tmp_path_factory.mktemp("genplat-cache"))
    try:
        yield
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[t.Any]:
    """The session's real kube-apiserver with the pinned upstream CRDs (see the module docstring)."""
    from tests.control_plane import ControlPlane, load_yaml
    from tests.upstream_parts import crd_files, tool

    etcd, apiserver = tool("etcd"), tool("kube-apiserver")
    files = crd_files()
    cp = ControlPlane.start(tmp_path_factory.mktemp("control-plane"), etcd=etcd, kube_apiserver=apiserver)
    try:
        cp.install_crds(
            [doc for f in files for doc in load_yaml(f.read_text("utf-8"))], known_warnings=KNOWN_CRD_WARNINGS
        )
        yield cp
    finally:
        cp.stop()


@pytest.fixture
def genplat_cli() -> t.Callable[..., CliResult]:
    """``genplat_cli("validate", "blueprints", env={...})`` → CliResult(code, stdout, stderr)."""
    return run_genplat


@pytest.fixture
def examples_dir() -> Path:
    """The example blueprints of the repository (read-only: copy them before changing anything)."""
    return EXAMPLES


# The real crossplane CLI's function runtime (tests/crossplane_cli.py), for the composition tests.
from tests.crossplane_cli import pt_function  # noqa: E402, F401


@pytest.fixture(scope="session")
def flux(control_plane: t.Any, tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[t.Any]:
    """Flux's source-, kustomize- and helm-controller (pinned) running against ``control_plane``
    (tests/flux.py), with helm-controller's CRDs installed; stopped at the end of the session."""
    from tests.flux import CONTROLLERS, FluxControllers, helm_crds
    from tests.upstream_parts import tool

    binaries = {name: tool(name) for name in CONTROLLERS}
    control_plane.install_crds(helm_crds())
    controllers = FluxControllers.start(control_plane, tmp_path_factory.mktemp("flux"), binaries)
    try:
        yield controllers
    finally:
        controllers.stop()
