"""Delivery stage: which API server a kubeconfig context names, and how to authenticate to it.

Reads kubeconfig files as kubectl does: ``--kubeconfig FILE``, else every file of ``$KUBECONFIG``
(``:``-separated; for each cluster, user and context the first file that names it wins, and the first
``current-context`` set), else ``~/.kube/config``. Paths inside a file are relative to that file.

Supported credentials: a bearer token (``token``, ``tokenFile``), a client certificate and key (files
or ``-data``), basic auth, and ``exec`` credential plugins (``gke-gcloud-auth-plugin``, ``aws eks
get-token``, …: run with a deadline, their output bounded). The legacy ``auth-provider`` entries are
refused with a hint (kubectl dropped them too). Nothing here talks to a cluster.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import typing as t
from pathlib import Path

import yaml

from genplat.core.errors import ClusterError, UsageError

#: Largest kubeconfig file read, and the most an exec plugin may print.
MAX_KUBECONFIG_BYTES = 4 << 20
MAX_EXEC_OUTPUT = 1 << 20
EXEC_TIMEOUT = 60.0


@dataclasses.dataclass(frozen=True, slots=True)
class ExecPlugin:
    """A ``users[].user.exec`` entry: the command that prints an ExecCredential."""

    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    api_version: str = "client.authentication.k8s.io/v1"
    base: Path = Path(".")


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterAccess:
    """What a client needs to reach one context's API server. Secrets stay in memory (``repr`` hides them)."""

    context: str
    server: str
    namespace: str | None = None
    ca_data: bytes | None = dataclasses.field(default=None, repr=False)
    insecure: bool = False
    tls_server_name: str | None = None
    token: str | None = dataclasses.field(default=None, repr=False)
    token_file: Path | None = None
    cert_data: bytes | None = dataclasses.field(default=None, repr=False)
    key_data: bytes | None = dataclasses.field(default=None, repr=False)
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    exec_plugin: ExecPlugin | None = None
    source: str = ""  # the kubeconfig file(s), for messages


@dataclasses.dataclass(frozen=True, slots=True)
class KubeConfig:
    """The merged kubeconfig: contexts by name, the current one, and where each entry came from."""

    contexts: dict[str, dict[str, t.Any]]
    clusters: dict[str, tuple[dict[str, t.Any], Path]]
    users: dict[str, tuple[dict[str, t.Any], Path]]
    current: str | None
    files: tuple[Path, ...]

    @property
    def source(self) -> str:
        return ":".join(str(f) for f in self.files)

    def access(self, context: str | None = None) -> ClusterAccess:
        """The cluster and credentials of ``context`` (default: the current context)."""
        name = context or self.current
        if not name:
            raise UsageError(
                f"{self.source}: no current-context and no --context given",
                hint="pass --context NAME (kubectl config get-contexts lists them)",
            )
        ctx = self.contexts.get(name)
        if ctx is None:
            known = ", ".join(sorted(self.contexts)) or "none"
            raise UsageError(f"{self.source}: no context {name!r} (contexts: {known})")
        cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
        if cluster_name not in self.clusters:
            raise UsageError(f"{self.source}: context {name!r} names cluster {cluster_name!r}, which is not defined")
        cluster, cluster_base = self.clusters[str(cluster_name)]
        server = cluster.get("server")
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            raise UsageError(f"{self.source}: cluster {cluster_name!r} has no https:// server")
        user: dict[str, t.Any] = {}
        user_base = cluster_base
        if user_name:
            if user_name not in self.users:
                raise UsageError(f"{self.source}: context {name!r} names user {user_name!r}, which is not defined")
            user, user_base = self.users[str(user_name)]
        if user.get("auth-provider"):
            raise UsageError(
                f"{self.source}: user {user_name!r} uses an auth-provider, which kubectl and genplat no longer support",
                hint="switch the user to an exec credential plugin (e.g. gke-gcloud-auth-plugin, kubelogin)",
            )
        cert, key = _material(user, "client-certificate", user_base), _material(user, "client-key", user_base)
        if (cert is None) != (key is None):
            raise UsageError(
                f"{self.source}: user {user_name!r} has a client certificate without its key, or a key alone"
            )
        token_file = user.get("tokenFile")
        return ClusterAccess(
            context=name,
            server=server.rstrip("/"),
            namespace=ctx.get("namespace") if isinstance(ctx.get("namespace"), str) else None,
            ca_data=_material(cluster, "certificate-authority", cluster_base),
            insecure=cluster.get("insecure-skip-tls-verify") is True,
            tls_server_name=cluster.get("tls-server-name") if isinstance(cluster.get("tls-server-name"), str) else None,
            token=user.get("token") if isinstance(user.get("token"), str) else None,
            token_file=(user_base / token_file) if isinstance(token_file, str) else None,
            cert_data=cert,
            key_data=key,
            username=user.get("username") if isinstance(user.get("username"), str) else None,
            password=user.get("password") if isinstance(user.get("password"), str) else None,
            exec_plugin=_exec(user.get("exec"), user_base, self.source, str(user_name)),
            source=self.source,
        )


def _material(entry: dict[str, t.Any], key: str, base: Path) -> bytes | None:
    """PEM bytes from ``<key>-data`` (base64) or the file ``<key>`` (relative to the kubeconfig)."""
    data = entry.get(f"{key}-data")
    if isinstance(data, str) and data:
        try:
            return base64.b64decode(data, validate=True)
        except ValueError:
            raise UsageError(f"{key}-data is not base64") from None
    path = entry.get(key)
    if isinstance(path, str) and path:
        return _read(base / path, what=key)
    return None


def _exec(raw: t.Any, base: Path, source: str, user: str) -> ExecPlugin | None:
    if not isinstance(raw, dict):
        return None
    command = raw.get("command")
    if not isinstance(command, str) or not command:
        raise UsageError(f"{source}: user {user!r} has an exec entry without a command")
    env = tuple(
        (str(e["name"]), str(e.get("value", "")))
        for e in raw.get("env") or []
        if isinstance(e, dict) and isinstance(e.get("name"), str)
    )
    return ExecPlugin(
        command=command,
        args=tuple(str(a) for a in raw.get("args") or []),
        env=env,
        api_version=str(raw.get("apiVersion") or "client.authentication.k8s.io/v1"),
        base=base,
    )


def _read(path: Path, *, what: str) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_KUBECONFIG_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    if len(data) > MAX_KUBECONFIG_BYTES:
        raise UsageError(f"{path}: the {what} is larger than {MAX_KUBECONFIG_BYTES:,} bytes")
    return data


def default_files(explicit: str | os.PathLike[str] | None = None) -> list[Path]:
    """The kubeconfig files kubectl would read."""
    if explicit:
        return [Path(explicit)]
    env = os.environ.get("KUBECONFIG", "")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def load_kubeconfig(explicit: str | os.PathLike[str] | None = None) -> KubeConfig:
    """The merged kubeconfig (see the module docstring). Missing ``$KUBECONFIG`` entries are skipped,
    as kubectl skips them; a missing ``--kubeconfig`` file is an error."""
    files = default_files(explicit)
    contexts: dict[str, dict[str, t.Any]] = {}
    clusters: dict[str, tuple[dict[str, t.Any], Path]] = {}
    users: dict[str, tuple[dict[str, t.Any], Path]] = {}
    current: str | None = None
    read: list[Path] = []
    for f in files:
        if not f.is_file() and not explicit:
            continue
        try:
            doc = yaml.safe_load(_read(f, what="kubeconfig"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise UsageError(f"{f}{where}: not a kubeconfig (invalid YAML)") from None
        if not isinstance(doc, dict):
            raise UsageError(f"{f}: not a kubeconfig (expected a mapping with clusters, users and contexts)")
        read.append(f)
        base = f.parent
        for entry in doc.get("clusters") or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                clusters.setdefault(entry["name"], (dict(entry.get("cluster") or {}), base))
        for entry in doc.get("users") or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                users.setdefault(entry["name"], (dict(entry.get("user") or {}), base))
        for entry in doc.get("contexts") or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                contexts.setdefault(entry["name"], dict(entry.get("context") or {}))
        if current is None and isinstance(doc.get("current-context"), str) and doc["current-context"]:
            current = doc["current-context"]
    if not read:
        raise UsageError(
            f"no kubeconfig found ({':'.join(str(f) for f in files)})",
            hint="pass --kubeconfig FILE or set KUBECONFIG",
        )
    return KubeConfig(contexts, clusters, users, current, tuple(read))


@dataclasses.dataclass(frozen=True, slots=True)
class ExecCredential:
    token: str | None = dataclasses.field(default=None, repr=False)
    cert_data: bytes | None = dataclasses.field(default=None, repr=False)
    key_data: bytes | None = dataclasses.field(default=None, repr=False)


def run_exec_plugin(plugin: ExecPlugin, *, server: str, timeout: float = EXEC_TIMEOUT) -> ExecCredential:
    """Run a credential plugin non-interactively and read its ExecCredential (client-go's contract)."""
    info = {
        "apiVersion": plugin.api_version,
        "kind": "ExecCredential",
        "spec": {"interactive": False, "cluster": {"server": server}},
    }
    env = {**os.environ, **dict(plugin.env), "KUBERNETES_EXEC_INFO": json.dumps(info)}
    command = plugin.command
    if os.sep in command and not os.path.isabs(command):
        command = str(plugin.base / command)
    try:
        proc = subprocess.run(
            [command, *plugin.args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise ClusterError(
            f"credential plugin {plugin.command!r} is not installed",
            hint="install it, or use a context with a token or client certificate",
        ) from None
    except subprocess.TimeoutExpired:
        raise ClusterError(f"credential plugin {plugin.command!r} did not answer within {timeout:.0f}s") from None
    if proc.returncode != 0:
        last = (proc.stderr[-MAX_EXEC_OUTPUT:].decode("utf-8", "replace").strip().splitlines() or [""])[-1]
        raise ClusterError(f"credential plugin {plugin.command!r} failed (exit {proc.returncode}): {last[:300]}")
    if len(proc.stdout) > MAX_EXEC_OUTPUT:
        raise ClusterError(f"credential plugin {plugin.command!r} printed more than {MAX_EXEC_OUTPUT:,} bytes")
    try:
        status = json.loads(proc.stdout).get("status") or {}
    except (ValueError, AttributeError):
        raise ClusterError(f"credential plugin {plugin.command!r} printed no ExecCredential JSON") from None
    cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
    token = status.get("token")
    if not token and not (cert and key):
        raise ClusterError(f"credential plugin {plugin.command!r} returned neither a token nor a client certificate")
    return ExecCredential(
        token=token if isinstance(token, str) else None,
        cert_data=cert.encode() if isinstance(cert, str) else None,
        key_data=key.encode() if isinstance(key, str) else None,
    )
