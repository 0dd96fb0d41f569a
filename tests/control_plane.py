"""A real Kubernetes control plane for tests: pinned etcd + kube-apiserver on loopback, modelled on envtest.

``ControlPlane.start(workdir)`` makes a self-signed CA and a serving certificate (``cryptography``), a
service-account signing key and a static token file (one admin in ``system:masters``), starts etcd and
kube-apiserver on free loopback ports (``--authorization-mode=RBAC``, the default admission plugins,
PodSecurity included) and waits for ``/readyz``. ``stop()`` ends both processes (by their own pids).
There is no controller-manager, scheduler or kubelet: nothing reconciles, nothing runs. The tests say
where they stand in for a controller (a namespace's default ServiceAccount, a ResourceQuota's status).

The client speaks the API directly with ``requests`` as the controllers do:

- ``apply(docs, server_side=True, dry_run=False, check=True)`` -> ``list[Applied]``: one server-side apply
  PATCH per object (``fieldValidation=Strict``, ``force=true``, field manager ``genplat-tests`` unless
  given), every ``Warning`` response header collected. With ``check=True`` it raises ``ApplyFailed``
  naming every refused object and every warning; ``check=False`` returns them in ``Applied.error`` /
  ``Applied.warnings`` (for tests that expect a refusal). ``server_side=False`` creates (POST) instead.
- ``diff(docs)`` -> list of ``(object key, [changed paths])``: what ``kubectl diff --server-side`` shows,
  i.e. a dry-run apply compared with the live object (managedFields and server bookkeeping masked).
- ``get(api_version, kind, name, namespace=None)`` -> dict or None; ``delete(...)``; ``request(...)``.
- ``install_crds(docs)``: apply CRDs and wait until every one is Established and served.
- ``url``, ``token``, ``ca_file``, ``kubeconfig`` (a file for kubectl), ``version``.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime
import json
import os
import socket
import subprocess
import time
import typing as t
from pathlib import Path
from urllib.parse import quote

import requests
import yaml

FIELD_MANAGER = "genplat-tests"
TIMEOUT = 30.0

# kustomize-controller (fluxcd/pkg/ssa) applies cluster definitions first and waits for them, then the
# rest; inside a stage objects go in Helm's install order, which this list follows (unknown kinds last).
KIND_ORDER = [
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
]
FIRST_STAGE = {"CustomResourceDefinition", "Namespace"}


class ApplyFailed(AssertionError):
    """At least one object was refused or drew a warning; ``results`` holds every outcome."""

    def __init__(self, results: list[Applied]):
        self.results = results
        bad = [r for r in results if r.error or r.warnings]
        lines = [f"{len(bad)} of {len(results)} objects refused or warned:"]
        for r in bad:
            if r.error:
                lines.append(f"  REFUSED {r.key}: {r.error}")
            for w in r.warnings:
                lines.append(f"  WARNING {r.key}: {w}")
        super().__init__("\n".join(lines))


@dataclasses.dataclass
class Applied:
    """One object's outcome: what the server returned (or None), its warnings, its error message."""

    key: str
    sent: dict[str, t.Any]
    obj: dict[str, t.Any] | None
    warnings: list[str]
    error: str | None = None
    code: int = 0
    reason: str | None = None

    def __iter__(self) -> t.Iterator[t.Any]:  # ``for obj, warnings in cp.apply(...)``
        return iter((self.obj, self.warnings))


def key_of(doc: dict[str, t.Any]) -> str:
    meta = doc.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{doc.get('apiVersion')} {doc.get('kind')} {ns + '/' if ns else ''}{meta.get('name')}"


def kind_rank(doc: dict[str, t.Any]) -> tuple[int, int]:
    kind = str(doc.get("kind"))
    stage = 0 if kind in FIRST_STAGE else 1
    return stage, KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def controller_order(docs: t.Iterable[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Objects in kustomize-controller's order (stable: ties keep the bundle's order)."""
    return sorted(docs, key=kind_rank)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """End a process this test session started (by its own pid): TERM, then KILL after 15 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


class _Loader(yaml.SafeLoader):
    """Safe, and a plain ``=`` is the string Kubernetes reads (PyYAML makes it YAML 1.1's 'value' type,
    which it cannot construct; prometheus-operator's AlertmanagerConfig CRD has ``enum: ['!=', =, …]``)."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def load_yaml(text: str) -> list[dict[str, t.Any]]:
    return [d for d in yaml.load_all(text, Loader=_Loader) if isinstance(d, dict)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _warnings(resp: requests.Response) -> list[str]:
    """The ``Warning`` headers' texts: ``299 - "text"`` with the quoted-string unescaped (RFC 7234)."""
    raw = resp.raw.headers.getlist("Warning") if resp.raw is not None else []
    out = []
    for value in raw:
        parts = value.split(" ", 2)
        rest = parts[2].strip() if len(parts) == 3 and parts[0].isdigit() else value
        if not rest.startswith('"'):
            out.append(rest)
            continue
        text, i = [], 1
        while i < len(rest) and rest[i] != '"':
            if rest[i] == "\\" and i + 1 < len(rest):
                i += 1
            text.append(rest[i])
            i += 1
        out.append("".join(text))
    return out


# --- certificates -------------------------------------------------------------------------------------


def _make_pki(root: Path) -> dict[str, Path]:
    """A CA, a serving cert for 127.0.0.1/localhost, and a service-account signing key, all in ``root``."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "genplat-tests-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    srv_key = ec.generate_private_key(ec.SECP256R1())
    srv = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(srv_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName("kubernetes.default.svc"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    sa_key = ec.generate_private_key(ec.SECP256R1())
    files = {
        "ca": root / "ca.crt",
        "ca_key": root / "ca.key",
        "cert": root / "apiserver.crt",
        "key": root / "apiserver.key",
        "sa_key": root / "sa.key",
        "sa_pub": root / "sa.pub",
    }
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["ca_key"].write_bytes(pem_key(ca_key))
    files["cert"].write_bytes(srv.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(pem_key(srv_key))
    files["sa_key"].write_bytes(pem_key(sa_key))
    files["sa_pub"].write_bytes(
        sa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for f in files.values():
        f.chmod(0o600)
    return files


# --- the control plane --------------------------------------------------------------------------------


class ControlPlane:
    def __init__(self, workdir: Path, *, etcd: str, kube_apiserver: str):
        self.workdir = workdir
        self._bins = {"etcd": etcd, "kube-apiserver": kube_apiserver}
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self.token = os.urandom(24).hex()
        self.url = ""
        self.ca_file = workdir / "pki" / "ca.crt"
        self.kubeconfig = workdir / "kubeconfig"
        self.version: dict[str, t.Any] = {}
        self._session = requests.Session()
        # Loopback only: no proxies, and no REQUESTS_CA_BUNDLE overriding the test CA.
        self._session.trust_env = False
        self._resources: dict[tuple[str, str], tuple[str, bool]] = {}  # (apiVersion, kind) -> (plural, ns)
        self.crd_warnings: dict[str, list[str]] = {}  # CRD name -> what the server warned when installing it

    # lifecycle

    @classmethod
    def start(cls, workdir: Path, *, etcd: str, kube_apiserver: str, timeout: float = 90.0) -> ControlPlane:
        cp = cls(workdir, etcd=etcd, kube_apiserver=kube_apiserver)
        atexit.register(cp.stop)
        try:
            cp._start(timeout)
        except BaseException:
            cp.stop()
            raise
        return cp

    def _spawn(self, name: str, args: list[str]) -> None:
        with (self.workdir / f"{name}.log").open("wb") as log:  # the child keeps its own descriptor
            self._procs[name] = subprocess.Popen(
                [self._bins[name], *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
            )

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:]) if path.exists() else ""

    def _start(self, timeout: float) -> None:
        pki_dir = self.workdir / "pki"
        pki_dir.mkdir(parents=True, exist_ok=True)
        pki = _make_pki(pki_dir)
        client, peer, secure = _free_port(), _free_port(), _free_port()
        self._spawn(
            "etcd",
            [
                "--name=default",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{client}",
                f"--advertise-client-urls=http://127.0.0.1:{client}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=default=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )
        tokens = self.workdir / "tokens.csv"
        tokens.write_text(f'{self.token},genplat-admin,genplat-admin,"system:masters"\n')
        tokens.chmod(0o600)
        self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers=http://127.0.0.1:{client}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={secure}",
                f"--cert-dir={pki_dir}",
                f"--tls-cert-file={pki['cert']}",
                f"--tls-private-key-file={pki['key']}",
                f"--client-ca-file={pki['ca']}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=RBAC",
                "--enable-admission-plugins=PodSecurity",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki['sa_pub']}",
                f"--service-account-signing-key-file={pki['sa_key']}",
                "--service-cluster-ip-range=10.96.0.0/16",
                "--endpoint-reconciler-type=none",
                "--allow-privileged=false",
                "--v=0",
            ],
        )
        self.url = f"https://127.0.0.1:{secure}"
        self._session.headers["Authorization"] = f"Bearer {self.token}"
        self._session.verify = str(self.ca_file)
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            try:
                r = self._session.get(self.url + "/readyz", timeout=5)
                last = f"{r.status_code} {r.text[:200]}"
                if r.status_code == 200 and r.text == "ok":
                    break
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.3)
        else:
            raise RuntimeError(
                f"kube-apiserver not ready after {timeout:.0f}s ({last}):\n{self.log_tail('kube-apiserver')}"
            )
        self.version = self._session.get(self.url + "/version", timeout=TIMEOUT).json()
        self.kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "genplat-tests",
                    "clusters": [
                        {
                            "name": "genplat-tests",
                            "cluster": {"server": self.url, "certificate-authority": str(self.ca_file)},
                        }
                    ],
                    "users": [{"name": "admin", "user": {"token": self.token}}],
                    "contexts": [{"name": "genplat-tests", "context": {"cluster": "genplat-tests", "user": "admin"}}],
                }
            )
        )
        self.kubeconfig.chmod(0o600)

    def stop(self) -> None:
        for name in ("kube-apiserver", "etcd"):
            proc = self._procs.pop(name, None)
            if proc is not None:
                stop_process(proc)

    # raw access

    def request(self, method: str, path: str, **kwargs: t.Any) -> requests.Response:
        """One request; a 429 (the server's watch cache for a kind is still (re)initializing, as after a
        CRD install) is retried for a few seconds, as client-go does."""
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("verify", str(self.ca_file))
        for _ in range(20):
            resp = self._session.request(method, self.url + path, **kwargs)
            if resp.status_code != 429:
                return resp
            time.sleep(min(float(resp.headers.get("Retry-After") or 1), 1.0))
        return resp

    def _discover(self, api_version: str) -> None:
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        r = self.request("GET", path)
        if r.status_code != 200:
            return
        for res in r.json().get("resources", []):
            if "/" not in res["name"]:
                self._resources[(api_version, res["kind"])] = (res["name"], bool(res["namespaced"]))

    def resource(self, api_version: str, kind: str, *, refresh: bool = False) -> tuple[str, bool] | None:
        """(plural, namespaced) of a served kind, from discovery (None when the server does not serve it)."""
        if refresh or (api_version, kind) not in self._resources:
            self._discover(api_version)
        return self._resources.get((api_version, kind))

    def path(self, api_version: str, kind: str, name: str | None = None, namespace: str | None = None) -> str:
        found = self.resource(api_version, kind)
        if found is None:
            raise LookupError(f"the server does not serve {api_version} {kind}")
        plural, namespaced = found
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if namespaced:
            base += f"/namespaces/{quote(namespace or 'default', safe='')}"
        base += f"/{plural}"
        return base + (f"/{quote(name, safe='')}" if name else "")

    # object API

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, t.Any] | None:
        r = self.request("GET", self.path(api_version, kind, name, namespace))
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return t.cast("dict[str, t.Any]", r.json())

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
        r = self.request("DELETE", self.path(api_version, kind, name, namespace))
        if r.status_code == 404:
            return False
        r.raise_for_status()
        return True

    def apply_one(
        self,
        doc: dict[str, t.Any],
        *,
        server_side: bool = True,
        dry_run: bool = False,
        field_manager: str = FIELD_MANAGER,
    ) -> Applied:
        key = key_of(doc)
        meta = doc.get("metadata") or {}
        api_version, kind, name = str(doc.get("apiVersion")), str(doc.get("kind")), meta.get("name")
        try:
            found = self.resource(api_version, kind)
            if found is None:
                found = self.resource(api_version, kind, refresh=True)
            if found is None:
                return Applied(key, doc, None, [], f"no matches for kind {kind!r} in version {api_version!r}", 404)
            namespace = meta.get("namespace") or ("default" if found[1] else None)
            params = {"fieldManager": field_manager, "fieldValidation": "Strict"}
            if dry_run:
                params["dryRun"] = "All"
            if server_side:
                params["force"] = "true"
                r = self.request(
                    "PATCH",
                    self.path(api_version, kind, name, namespace),
                    params=params,
                    data=json.dumps(doc),
                    headers={"Content-Type": "application/apply-patch+yaml"},
                )
            else:
                r = self.request("POST", self.path(api_version, kind, None, namespace), params=params, json=doc)
        except requests.RequestException as exc:
            return Applied(key, doc, None, [], f"request failed: {exc}")
        warnings = _warnings(r)
        try:
            body = r.json()
        except ValueError:
            body = {"message": r.text[:500]}
        if r.status_code >= 400:
            return Applied(
                key, doc, None, warnings, body.get("message", r.text[:500]), r.status_code, body.get("reason")
            )
        return Applied(key, doc, body, warnings, None, r.status_code)

    def apply(
        self,
        docs: t.Iterable[dict[str, t.Any]],
        *,
        server_side: bool = True,
        dry_run: bool = False,
        check: bool = True,
        order: bool = True,
        field_manager: str = FIELD_MANAGER,
    ) -> list[Applied]:
        """Apply every object (in kustomize-controller's order unless ``order=False``); CRDs in the batch are
        waited for before the objects after them. With ``check``, any refusal or warning raises."""
        docs = list(docs)
        if order:
            docs = controller_order(docs)
        results: list[Applied] = []
        pending_crds: list[str] = []
        for doc in docs:
            if pending_crds and doc.get("kind") != "CustomResourceDefinition":
                self.wait_established(pending_crds)
                pending_crds = []
            result = self.apply_one(doc, server_side=server_side, dry_run=dry_run, field_manager=field_manager)
            results.append(result)
            if doc.get("kind") == "CustomResourceDefinition" and not result.error and not dry_run:
                pending_crds.append(doc["metadata"]["name"])
        if pending_crds:
            self.wait_established(pending_crds)
        if check and any(r.error or r.warnings for r in results):
            raise ApplyFailed(results)
        return results

    def install_crds(
        self,
        docs: t.Iterable[dict[str, t.Any]],
        *,
        timeout: float = 180.0,
        known_warnings: t.Mapping[str, str] | None = None,
    ) -> list[Applied]:
        """Apply CRDs; any refusal or warning raises, except ``known_warnings`` (CRD name → the start of
        a warning its upstream release is known to draw)."""
        crds = [d for d in docs if d.get("kind") == "CustomResourceDefinition"]
        results = self.apply(crds, check=False, order=False, field_manager="genplat-tests-crds")
        allowed = known_warnings or {}
        bad = []
        for r in results:
            known = allowed.get(str((r.sent.get("metadata") or {}).get("name")))
            rest = [w for w in r.warnings if not (known and w.startswith(known))]
            if r.error or rest:
                bad.append(Applied(r.key, r.sent, r.obj, rest, r.error, r.code, r.reason))
            if r.warnings:
                self.crd_warnings[str((r.sent.get("metadata") or {}).get("name"))] = list(r.warnings)
        if bad:
            raise ApplyFailed(bad)
        return results

    def wait_established(self, names: t.Sequence[str], *, timeout: float = 180.0) -> None:
        """Wait until each CRD is Established and its kinds are in discovery (as envtest does)."""
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting:
            crd = self.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", waiting[0])
            # Right after an update of a CRD another test installed, conditions may still be null.
            conds = {c["type"]: c["status"] for c in ((crd or {}).get("status") or {}).get("conditions") or []}
            served = False
            if conds.get("Established") == "True" and crd is not None:
                spec = crd["spec"]
                versions = [v["name"] for v in spec["versions"] if v.get("served")]
                served = all(
                    self.resource(f"{spec['group']}/{v}", spec["names"]["kind"], refresh=True) for v in versions
                )
            if served:
                waiting.pop(0)
                continue
            if time.monotonic() > deadline:
                raise TimeoutError(f"CRDs not established after {timeout:.0f}s: {waiting} ({conds})")
            time.sleep(0.2)

    # diff

    def diff(
        self, docs: t.Iterable[dict[str, t.Any]], *, field_manager: str = FIELD_MANAGER
    ) -> list[tuple[str, list[str]]]:
        """What ``kubectl diff --server-side`` reports: objects whose dry-run apply differs from the live one
        (new objects included), with the changed JSON paths."""
        changes: list[tuple[str, list[str]]] = []
        for doc in controller_order(docs):
            meta = doc.get("metadata") or {}
            try:
                live = self.get(str(doc["apiVersion"]), str(doc["kind"]), meta["name"], meta.get("namespace"))
            except LookupError:
                live = None
            result = self.apply_one(doc, dry_run=True, field_manager=field_manager)
            if result.error or result.obj is None:
                changes.append((result.key, [f"refused: {result.error}"]))
                continue
            if live is None:
                changes.append((result.key, ["(new object)"]))
                continue
            paths = _changed(_masked(live), _masked(result.obj))
            if paths:
                changes.append((result.key, paths))
        return changes


_SERVER_META = {"managedFields", "resourceVersion", "generation", "creationTimestamp", "uid"}


def _masked(obj: dict[str, t.Any]) -> dict[str, t.Any]:
    out = dict(obj)
    out["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_META}
    return out


def _changed(a: t.Any, b: t.Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [p for k in sorted(set(a) | set(b)) for p in _changed(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _changed(x, y, f"{path}[{i}]")]
    return [] if a == b else [path or "."]
