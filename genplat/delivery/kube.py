"""Delivery stage: a small, read-only Kubernetes API client on ``requests``, with deadlines and size bounds.

genplat only reads clusters: it GETs objects and lists (paginated), and the one write-shaped request it
sends is a server-side apply **dry run** (``dryRun=All``), which :meth:`KubeClient.dry_run_apply` always
sets and nothing else can send. Why not the kubernetes Python client: it is large, has no overall
deadline per call and no bound on response sizes; genplat needs a handful of endpoints.

As the registry client does (:mod:`genplat.publish.registry`), every operation has an overall deadline
(a watchdog shuts its connections down when it passes, however slowly the server drips bytes), every
response body is read with a bound (:data:`MAX_BODY`, lists page by page up to :data:`MAX_LIST_ITEMS`),
connection failures, 429 and 5xx are retried with backoff until the deadline, and 401/403 end at once
with a message naming what was refused and what to grant. Credentials go to the kubeconfig's server
only (no redirects are followed), never into messages.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import typing as t
import urllib.parse
from pathlib import Path

import requests

from genplat.core.errors import ClusterError
from genplat.delivery.kubeconfig import ClusterAccess, run_exec_plugin
from genplat.publish.deadline import Watchdog, connection_reason, read_body

DEFAULT_TIMEOUT = 20.0
#: Largest response body read (an object, a page of a list, a discovery document).
MAX_BODY = 16 << 20
#: Most items a list may return over all its pages.
MAX_LIST_ITEMS = 20_000
PAGE_SIZE = 500
_USER_AGENT = "genplat-status/1"


def _server_message(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300].strip()
    return str(body.get("message") or body.get("reason") or "")[:600] if isinstance(body, dict) else ""


class KubeClient:
    """One API server, as a kubeconfig context describes it. Use as a context manager (it may hold
    temporary files with the client certificate); not thread-safe."""

    def __init__(self, access: ClusterAccess, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.access = access
        self.server = access.server
        self.host = urllib.parse.urlsplit(access.server).netloc
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies, .netrc or REQUESTS_CA_BUNDLE from the environment
        self.session.headers["User-Agent"] = _USER_AGENT
        self.session.headers["Accept"] = "application/json"
        self._watchdog = Watchdog(self.session)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._resources: dict[tuple[str, str], tuple[str, bool] | None] = {}
        self._discovered: set[str] = set()
        self._configure()

    # ---- set-up -----------------------------------------------------------------------------
    def _private_file(self, name: str, data: bytes) -> str:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="genplat-kube-")
        path = Path(self._tmp.name) / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return str(path)

    def _configure(self) -> None:
        a = self.access
        if a.insecure:
            # The kubeconfig asks for it (insecure-skip-tls-verify); say so once, not per request.
            import urllib3  # requests' own transport

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            self.session.verify = False
        elif a.ca_data:
            self.session.verify = self._private_file("ca.crt", a.ca_data)
        cert, key, token = a.cert_data, a.key_data, a.token
        if a.exec_plugin is not None:
            cred = run_exec_plugin(a.exec_plugin, server=a.server)
            token = cred.token or token
            if cred.cert_data and cred.key_data:
                cert, key = cred.cert_data, cred.key_data
        if cert and key:
            self.session.cert = (self._private_file("client.crt", cert), self._private_file("client.key", key))
        if a.token_file is not None and not token:
            try:
                token = a.token_file.read_text("utf-8").strip()
            except OSError as exc:
                raise ClusterError(f"{a.token_file}: cannot read the token file ({exc.strerror or exc})") from None
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        elif a.username and a.password is not None:
            self.session.auth = (a.username, a.password)

    def close(self) -> None:
        self.session.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- requests -----------------------------------------------------------------------------
    def _where(self) -> str:
        return f"the API server {self.host} (context {self.access.context})"

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: t.Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        what: str,
    ) -> requests.Response:
        """One operation: retried on connection failures, 429 and 5xx until the deadline."""
        deadline = time.monotonic() + self.timeout
        headers = {"Content-Type": content_type} if content_type else {}
        delay, last = 0.2, "no answer"
        with self._watchdog.armed(self.timeout):
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ClusterError(f"{self._where()} did not answer {what} within {self.timeout:.0f}s ({last})")
                try:
                    resp = self.session.request(
                        method,
                        self.server + path,
                        params=params,
                        data=body,
                        headers=headers,
                        timeout=(min(5.0, remaining), max(remaining, 0.5)),
                        allow_redirects=False,
                        stream=True,
                    )
                    read_body(resp, MAX_BODY, what, self.host, peer="API server", error=ClusterError)
                except requests.exceptions.SSLError as exc:
                    raise ClusterError(
                        f"TLS verification of {self._where()} failed ({_tls_reason(exc)})",
                        hint="the kubeconfig's certificate-authority must be the CA that signed the server's certificate",
                    ) from None
                except (
                    requests.exceptions.ConnectionError,
                    requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError,
                ) as exc:
                    last = "timed out" if self._watchdog.fired else connection_reason(exc)
                    if self._watchdog.fired:
                        raise ClusterError(
                            f"{self._where()} did not answer {what} within {self.timeout:.0f}s"
                        ) from None
                else:
                    if resp.status_code in (401, 403):
                        raise self._denied(resp, what)
                    if resp.status_code != 429 and resp.status_code < 500:
                        return resp
                    last = f"{resp.status_code} {_server_message(resp)}".strip()
                time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
                delay = min(delay * 2, 2.0)

    def _denied(self, resp: requests.Response, what: str) -> ClusterError:
        message = _server_message(resp)
        if resp.status_code == 401:
            return ClusterError(
                f"{self._where()} did not accept the credentials of context {self.access.context} (401 Unauthorized)",
                hint="log in again (an expired token?), or pick another --context",
            )
        return ClusterError(
            f"{self._where()} refused {what}: {message or '403 Forbidden'}",
            hint="grant the ClusterRole genplat-status (docs/delivery.md lists its rules)",
        )

    def get_json(self, path: str, *, params: t.Mapping[str, str] | None = None, what: str) -> dict[str, t.Any] | None:
        """GET a JSON document; None on 404."""
        resp = self._request("GET", path, params=params, what=what)
        if resp.status_code == 404:
            return None
        if resp.status_code >= 400:
            raise ClusterError(f"{self._where()} answered {resp.status_code} to {what}: {_server_message(resp)}")
        try:
            data = resp.json()
        except ValueError:
            raise ClusterError(f"{self._where()} sent no JSON for {what}") from None
        if not isinstance(data, dict):
            raise ClusterError(f"{self._where()} sent no JSON object for {what}")
        return data

    # ---- discovery ------------------------------------------------------------------------------
    def resource(self, api_version: str, kind: str) -> tuple[str, bool] | None:
        """(plural, namespaced) of a served kind; None when the server does not serve it."""
        key = (api_version, kind)
        if key not in self._resources and api_version not in self._discovered:
            self._discovered.add(api_version)
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            doc = self.get_json(path, what=f"discovery of {api_version}") or {}
            for res in doc.get("resources") or []:
                if isinstance(res, dict) and "/" not in str(res.get("name", "")):
                    self._resources[(api_version, str(res.get("kind")))] = (
                        str(res["name"]),
                        bool(res.get("namespaced")),
                    )
        return self._resources.get(key)

    def path(self, api_version: str, kind: str, name: str | None = None, namespace: str | None = None) -> str | None:
        found = self.resource(api_version, kind)
        if found is None:
            return None
        plural, namespaced = found
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if namespaced:
            base += f"/namespaces/{urllib.parse.quote(namespace or 'default', safe='')}"
        base += f"/{plural}"
        return base + (f"/{urllib.parse.quote(name, safe='')}" if name else "")

    # ---- objects --------------------------------------------------------------------------------
    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, t.Any] | None:
        """The object, or None when it (or its kind) does not exist."""
        path = self.path(api_version, kind, name, namespace)
        if path is None:
            return None
        where = f"{namespace}/{name}" if namespace else name
        return self.get_json(path, what=f"get {kind} {where}")

    def list(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        field_selector: str | None = None,
        label_selector: str | None = None,
    ) -> list[dict[str, t.Any]]:
        """Every object of a kind (in ``namespace``), page by page; [] when the kind is not served."""
        path = self.path(api_version, kind, None, namespace)
        if path is None:
            return []
        params: dict[str, str] = {"limit": str(PAGE_SIZE)}
        if field_selector:
            params["fieldSelector"] = field_selector
        if label_selector:
            params["labelSelector"] = label_selector
        items: list[dict[str, t.Any]] = []
        while True:
            doc = self.get_json(path, params=params, what=f"list {kind}") or {}
            items.extend(i for i in doc.get("items") or [] if isinstance(i, dict))
            if len(items) > MAX_LIST_ITEMS:
                raise ClusterError(f"{self._where()} listed more than {MAX_LIST_ITEMS:,} {kind} objects; refusing more")
            token = (doc.get("metadata") or {}).get("continue")
            if not token:
                return items
            params["continue"] = str(token)

    def dry_run_apply(self, obj: dict[str, t.Any], *, field_manager: str) -> tuple[dict[str, t.Any] | None, str | None]:
        """What a server-side apply of ``obj`` by ``field_manager`` would make of the live object, without
        changing anything (``dryRun=All``; ``force`` takes fields over as the controller does). Returns
        (the object the server would store, None) or (None, the server's refusal)."""
        meta = obj.get("metadata") or {}
        api_version, kind = str(obj.get("apiVersion")), str(obj.get("kind"))
        path = self.path(api_version, kind, str(meta.get("name")), meta.get("namespace"))
        if path is None:
            return None, f"the server does not serve {api_version} {kind}"
        params = {"dryRun": "All", "fieldManager": field_manager, "force": "true", "fieldValidation": "Ignore"}
        resp = self._request(
            "PATCH",
            path,
            params=params,
            body=json.dumps(obj).encode(),
            content_type="application/apply-patch+yaml",
            what=f"a dry-run apply of {kind} {meta.get('name')}",
        )
        if resp.status_code >= 400:
            return None, _server_message(resp) or f"{resp.status_code}"
        try:
            return t.cast(dict[str, t.Any], resp.json()), None
        except ValueError:
            return None, "no JSON in the answer"


def _tls_reason(exc: Exception) -> str:
    text = str(exc)
    marker = "certificate verify failed: "
    if marker in text:
        return text.split(marker, 1)[1].split("(")[0].split("'")[0].strip()
    return "TLS handshake failed"
