"""Loopback stand-ins for the servers add-on CRDs come from, serving pinned files only.

* :class:`FileServer`: HTTP or HTTPS (a certificate made for the test) over a dict of path → bytes, as
  a release page (github.com) or a Go module proxy serves them; it records every request and can be
  told to send other bytes, an endless body, or to lie about its length.
* :func:`go_proxy_files`: the Go module proxy's files for the modules ``tools/upstream.toml`` pins, read
  from the local Go module cache (where ``make test-deps`` put them with ``go mod download``, checked
  by the Go checksum database): byte for byte what https://proxy.golang.org serves.
* :func:`push_helm_chart` and :func:`push_xpkg`: a Helm chart with ``crds/`` and a Crossplane package
  (``package.yaml`` = the metadata document + CRDs), built here from pinned CRD files and pushed to the
  real Distribution registry with plain HTTP requests (not with genplat's own client, which is what
  the tests check).

The session-wide :func:`start_go_proxy` backs the ``GENPLAT_MIRRORS`` every test runs with
(tests/conftest.py), so a build of the examples fills its add-on cache from loopback, never from the
network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import json
import os
import shutil
import ssl
import subprocess
import tarfile
import threading
import typing as t
from pathlib import Path

import requests

from tests.upstream_parts import upstream


def module_cache() -> Path:
    """The Go module cache's download folder (``$GOMODCACHE/cache/download``)."""
    explicit = os.environ.get("GOMODCACHE")
    if not explicit and shutil.which("go"):
        explicit = subprocess.run(
            ["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=False
        ).stdout.strip()
    base = Path(explicit) if explicit else Path(os.environ.get("GOPATH") or Path.home() / "go") / "pkg" / "mod"
    return base / "cache" / "download"


def escape(path: str) -> str:
    return "".join("!" + c.lower() if c.isupper() else c for c in path)


def go_proxy_path(module: str, version: str) -> str:
    return f"/{escape(module)}/@v/{escape(version)}.zip"


def go_proxy_files(*, every: bool = True) -> dict[str, Path]:
    """URL path → file in the module cache, for every module CRD entry of tools/upstream.toml."""
    out: dict[str, Path] = {}
    root = module_cache()
    for entry in upstream.spec()["crds"].values():
        if "module" not in entry or not (every or entry.get("default", True)):
            continue
        path = go_proxy_path(entry["module"], entry["version"])
        out[path] = root / path.lstrip("/")
    return out


@dataclasses.dataclass
class Behaviour:
    replace: dict[str, bytes] = dataclasses.field(default_factory=dict)  # path → other bytes
    endless: set[str] = dataclasses.field(default_factory=set)  # paths answered with a body that never ends
    status: dict[str, int] = dataclasses.field(default_factory=dict)  # path → status to answer


class FileServer:
    """A threaded loopback HTTP(S) server over ``files`` (path → bytes or a file to read)."""

    def __init__(self, files: t.Mapping[str, bytes | Path], *, tls: tuple[Path, Path] | None = None) -> None:
        self.files = dict(files)
        self.behaviour = Behaviour()
        self.seen: list[str] = []
        server_self = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: t.Any) -> None:
                pass

            def do_GET(self) -> None:
                server_self.serve(self)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if tls is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def serve(self, req: http.server.BaseHTTPRequestHandler) -> None:
        path = req.path.split("?", 1)[0]
        self.seen.append(path)
        b = self.behaviour
        if path in b.status:
            self._answer(req, b.status[path], b"")
            return
        if path in b.endless:
            req.send_response(200)
            req.send_header("Content-Type", "application/octet-stream")
            req.end_headers()  # no length: the body goes on until the client gives up
            try:
                chunk = b"A" * 65536
                while True:
                    req.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                return
        body = b.replace.get(path)
        if body is None:
            found = self.files.get(path)
            if found is None:
                self._answer(req, 404, b"not found\n")
                return
            body = found.read_bytes() if isinstance(found, Path) else found
        self._answer(req, 200, body)

    @staticmethod
    def _answer(req: http.server.BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        req.send_response(status)
        req.send_header("Content-Length", str(len(body)))
        req.send_header("Content-Type", "application/octet-stream")
        req.end_headers()
        try:
            req.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_go_proxy() -> FileServer:
    return FileServer(go_proxy_files())


# ---- OCI artifacts built from pinned CRDs -------------------------------------------------------------


def _tgz(files: t.Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclasses.dataclass(frozen=True)
class Target:
    """Where test artifacts are pushed: a registry's URL, its CA and Basic credentials when it has them."""

    url: str  # http://127.0.0.1:5000 or https://…
    ca: Path | None = None
    auth: tuple[str, str] | None = None

    def request(self, method: str, url: str, **kw: t.Any) -> requests.Response:
        return requests.request(method, url, auth=self.auth, verify=str(self.ca) if self.ca else True, timeout=30, **kw)


def _target(registry: str | Target) -> Target:
    return registry if isinstance(registry, Target) else Target(f"http://{registry}")


def push_blob(registry: str | Target, repo: str, data: bytes) -> dict[str, t.Any]:
    """Upload one blob (monolithic POST then PUT, as the distribution spec describes); its descriptor."""
    target = _target(registry)
    digest = _digest(data)
    r = target.request("POST", f"{target.url}/v2/{repo}/blobs/uploads/")
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    if location.startswith("/"):
        location = f"{target.url}{location}"
    sep = "&" if "?" in location else "?"
    r = target.request(
        "PUT", f"{location}{sep}digest={digest}", data=data, headers={"Content-Type": "application/octet-stream"}
    )
    assert r.status_code == 201, r.text
    return {"digest": digest, "size": len(data)}


def push_manifest(registry: str | Target, repo: str, ref: str, manifest: dict[str, t.Any], media_type: str) -> str:
    target = _target(registry)
    data = json.dumps(manifest, separators=(",", ":")).encode()
    r = target.request(
        "PUT", f"{target.url}/v2/{repo}/manifests/{ref}", data=data, headers={"Content-Type": media_type}
    )
    assert r.status_code == 201, r.text
    return _digest(data)


OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def helm_chart(name: str, version: str, crds: t.Sequence[Path]) -> bytes:
    """A chart tarball as `helm package` lays it out: <name>/Chart.yaml, templates/, crds/."""
    files = {
        f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: {version}\n".encode(),
        f"{name}/values.yaml": b"replicaCount: 1\n",
        # A template that is no CRD (and not even YAML until rendered): it must be left alone.
        f"{name}/templates/deployment.yaml": b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    }
    for path in crds:
        files[f"{name}/crds/{path.name}"] = path.read_bytes()
    return _tgz(files)


def push_helm_chart(registry: str | Target, repo: str, name: str, version: str, crds: t.Sequence[Path]) -> str:
    """Push a chart as Helm stores one in OCI (config = Chart.yaml as JSON, the chart's tarball as the
    content layer, tag = the version with + as _); the manifest digest."""
    config = json.dumps({"apiVersion": "v2", "name": name, "version": version}).encode()
    layer = helm_chart(name, version, crds)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", **push_blob(registry, repo, config)},
        "layers": [
            {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", **push_blob(registry, repo, layer)}
        ],
    }
    return push_manifest(registry, repo, version.replace("+", "_"), manifest, OCI_MANIFEST)


def package_yaml(kind: str, name: str, crds: t.Sequence[Path]) -> bytes:
    meta = (
        f"apiVersion: meta.pkg.crossplane.io/v1\nkind: {kind}\nmetadata:\n  name: {name}\n"
        "  annotations:\n    meta.crossplane.io/source: github.com/crossplane-contrib/provider-upjet-aws\n"
    )
    docs = [meta.encode()] + [p.read_bytes() for p in crds]
    return b"---\n".join(d if d.endswith(b"\n") else d + b"\n" for d in docs)


def push_xpkg(registry: str | Target, repo: str, tag: str, package: bytes) -> str:
    """A Crossplane package image: a runtime layer, then the layer holding package.yaml, annotated
    ``io.crossplane.xpkg: base``; the manifest digest."""
    runtime = _tgz({"usr/local/bin/provider": b"\x7fELF not really a binary\n"})
    base = _tgz({"package.yaml": package})
    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "config": {"Labels": {}}, "rootfs": {"type": "layers"}}
    ).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **push_blob(registry, repo, config)},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **push_blob(registry, repo, runtime)},
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                **push_blob(registry, repo, base),
                "annotations": {"io.crossplane.xpkg": "base"},
            },
        ],
    }
    return push_manifest(registry, repo, tag, manifest, OCI_MANIFEST)


def self_signed(workdir: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (made with cryptography, no openssl CLI);
    the certificate is its own CA, so it is also the --ca-file clients trust."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "genplat-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = workdir / "server.crt", workdir / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def push_oci_bundle(registry: str | Target, repo: str, tag: str, files: t.Mapping[str, bytes]) -> str:
    """An OCI artifact of YAML files as `flux push artifact` writes one (one tar+gzip content layer)."""
    config = b"{}"
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.cncf.flux.config.v1+json", **push_blob(registry, repo, config)},
        "layers": [
            {"mediaType": "application/vnd.cncf.flux.content.v1.tar+gzip", **push_blob(registry, repo, _tgz(files))}
        ],
    }
    return push_manifest(registry, repo, tag, manifest, OCI_MANIFEST)
