"""Fixtures for the OCI tests: realistic bundle folders and real CNCF Distribution registries.

The registries are Debian's ``docker-registry`` on free loopback ports: one plain HTTP, one with TLS
(a certificate made here with the openssl CLI) and htpasswd Basic auth (bcrypt entry).
Without ``docker-registry`` the registry tests skip, unless GENPLAT_REQUIRE_TOOLS=1 makes them fail.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest
import requests

from tests.upstream_parts import tool

REPO_ROOT = Path(__file__).resolve().parents[1]
GENPLAT = Path(sys.executable).with_name("genplat")
TEST_USER, TEST_PASSWORD = "genplat-ci", "s3cret-Pa55-do-not-print"


def require_tool(name: str) -> str:
    """Path to ``name`` (a pinned Go tool from the cache, or on PATH), or skip — fail when GENPLAT_REQUIRE_TOOLS=1."""
    return tool(name)


def run_genplat(
    *args: str, cwd: Path, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(GENPLAT), *args],
        cwd=cwd,
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def example_project(root: Path, registry_host: str) -> Path:
    """A copy of the example blueprints under ``root/blueprints`` whose bundles go to (and whose wiring
    pulls from) the plain-HTTP test registry at ``registry_host``."""
    import shutil

    shutil.copytree(REPO_ROOT / "blueprints", root / "blueprints")
    platform = root / "blueprints" / "platform.yaml"
    platform.write_text(
        platform.read_text().replace(
            "registry: registry.acme.example/platform",
            f"registry: {registry_host}/platform\n  registryInsecure: true",
            1,
        )
    )
    return root


# ---- bundles ---------------------------------------------------------------------------------
PINNED = "ghcr.io/acme/orders:1.4.2@sha256:" + "4" * 64
DIGEST_ONLY = "ghcr.io/acme/payments@sha256:" + "5" * 64
UNPINNED = "registry.acme.example/tools/debug:2.0"


def _tenant_yaml(tenant: str, env: str) -> bytes:
    docs = []
    for i, image in enumerate([PINNED, DIGEST_ONLY, UNPINNED]):
        docs.append(f"""# blueprints/tenants/{tenant}.yaml:{10 + i}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {tenant}-svc{i}
  namespace: {tenant}-{env}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: {tenant}-svc{i}
  template:
    metadata:
      labels:
        app: {tenant}-svc{i}
    spec:
      containers:
      - name: app
        image: {image}
        resources:
          limits:
            cpu: 500m
            memory: 256Mi
        env:
        - name: GREETING
          value: |
            hello
            from {tenant}
""")
    return "---\n".join(docs).encode()


def bundle_files(env: str, cluster: str, tenants: t.Sequence[str] = ("alpha", "beta")) -> dict[str, bytes]:
    ns = "".join(
        f"""---
# blueprints/tenants/{tn}.yaml:1
apiVersion: v1
kind: Namespace
metadata:
  name: {tn}-{env}
  labels:
    pod-security.kubernetes.io/enforce: restricted
"""
        for tn in tenants
    )
    files = {
        "platform/namespaces.yaml": ns.encode(),
        "platform/quota.yaml": f"""# blueprints/platform.yaml:40
apiVersion: v1
kind: ResourceQuota
metadata:
  name: default
  namespace: {tenants[0]}-{env}
spec:
  hard:
    requests.cpu: "4"
""".encode(),
    }
    for tn in tenants:
        files[f"tenants/{tn}.yaml"] = _tenant_yaml(tn, env)
    # As genplat build lays a bundle out: one kustomization per layer folder, the root names the layers.
    for layer in ("addons", "platform", "tenants"):  # (no add-ons here: an empty first layer)
        resources = "".join(f"- {p.split('/', 1)[1]}\n" for p in sorted(files) if p.startswith(layer + "/"))
        files[f"{layer}/kustomization.yaml"] = (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:"
            + ("\n" + resources if resources else " []\n")
        ).encode()
    files["kustomization.yaml"] = (
        b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        b"- addons\n- platform\n- tenants\n"
    )
    return files


BUNDLES = {("dev", "eu1"): ("alpha", "beta"), ("prod", "eu1"): ("alpha",), ("prod", "us1"): ("beta",)}


def write_out_dir(root: Path) -> Path:
    """A project-like folder with out/<env>/<cluster>/ bundles and the lock that pins their digests,
    as `genplat build` writes them (no GitOps wiring: every bundle packages as flux by default)."""
    from genplat.output.lockfile import make_lockfile
    from genplat.packaging.artifact import bundle_digest, find_images

    out = root / "out"
    bundles: dict[str, dict[str, bytes]] = {}
    for (env, cluster), tenants in BUNDLES.items():
        files = bundle_files(env, cluster, tenants)
        bundles[f"{env}/{cluster}"] = files
        for name, data in files.items():
            path = out / env / cluster / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    digests = {
        b: {"flux": bundle_digest(f)[0], "imgpkg": bundle_digest(f, fmt="imgpkg", images=find_images(f))[0]}
        for b, f in bundles.items()
    }
    (out / "genplat.lock.json").write_bytes(make_lockfile(bundles, oci_digests=digests))
    return out


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return write_out_dir(tmp_path / "project")


# ---- registries ------------------------------------------------------------------------------
def package_and_push(project: Path, registry: Registry, tag: str) -> dict[str, str]:
    """``genplat package`` and ``genplat push`` of a built project to ``registry``/platform under
    ``tag``: {artifact name: digest}."""
    packaged = run_genplat("package", cwd=project)
    assert packaged.returncode == 0, packaged.stderr
    pushed = run_genplat(
        "push",
        "--registry",
        f"{registry.host}/platform",
        "--other-registry",
        "--insecure",
        "--tag",
        tag,
        "--format",
        "json",
        cwd=project,
    )
    assert pushed.returncode == 0, pushed.stderr
    return {r["bundle"]: r["digest"] for r in json.loads(pushed.stdout)["pushed"]}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Registry:
    """A running ``docker-registry serve``; its access log lets tests count requests."""

    def __init__(self, workdir: Path, *, tls: tuple[Path, Path] | None = None, htpasswd: Path | None = None):
        self.exe = require_tool("docker-registry")
        self.workdir = workdir
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.tls = tls
        self.log = workdir / "registry.log"
        lines = [
            "version: 0.1",
            "log:",
            "  level: info",
            "  accesslog:",
            "    disabled: false",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {workdir / 'data'}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: {self.host}",
            "  secret: genplat-test-secret",
        ]
        if tls:
            lines += ["  tls:", f"    certificate: {tls[0]}", f"    key: {tls[1]}"]
        if htpasswd:
            lines += ["auth:", "  htpasswd:", "    realm: genplat-test", f"    path: {htpasswd}"]
        self.config = workdir / "config.yml"
        self.config.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def start(self) -> None:
        log = open(self.log, "ab")  # noqa: SIM115 - open while the server runs
        self.proc = subprocess.Popen(
            [self.exe, "serve", str(self.config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log.read_text()[-2000:]}")
            try:
                requests.get(f"{self.url}/v2/", timeout=1, verify=str(self.tls[0]) if self.tls else True)
                return
            except requests.exceptions.RequestException:
                time.sleep(0.1)
        raise RuntimeError("docker-registry did not start within 20 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def log_mark(self) -> int:
        return self.log.stat().st_size

    def writes_since(self, mark: int) -> list[str]:
        """Access-log lines for uploads (POST/PUT/PATCH) written after ``mark``."""
        with open(self.log, "rb") as fh:
            fh.seek(mark)
            text = fh.read().decode(errors="replace")
        return [ln for ln in text.splitlines() if any(f'"{m} /v2/' in ln for m in ("POST", "PUT", "PATCH"))]


def make_cert(workdir: Path) -> tuple[Path, Path]:
    openssl = require_tool("openssl")
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def make_htpasswd(workdir: Path) -> Path:
    bcrypt = pytest.importorskip("bcrypt")
    path = workdir / "htpasswd"
    hashed = bcrypt.hashpw(TEST_PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
    path.write_text(f"{TEST_USER}:{hashed}\n")
    return path


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry"))
    yield reg
    reg.stop()


@pytest.fixture
def fresh_registry(tmp_path: Path) -> t.Iterator[Registry]:
    """A registry of its own, for tests that stop it."""
    work = tmp_path / "registry"
    work.mkdir()
    reg = Registry(work)
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Registry]:
    work = tmp_path_factory.mktemp("tls-registry")
    reg = Registry(work, tls=make_cert(work), htpasswd=make_htpasswd(work))
    yield reg
    reg.stop()


@pytest.fixture(autouse=True)
def _isolated_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read the developer's own ~/.docker/config.json or registry variables."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.delenv("GENPLAT_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("GENPLAT_REGISTRY_PASSWORD", raising=False)
