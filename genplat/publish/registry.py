"""A small OCI Distribution client on ``requests``: bounded retries, timeouts, Basic and Bearer auth.

Why not oras-py's ``push()``: it adds a title annotation to every layer, re-serialises the manifest
(so the registry hashes other bytes than genplat computed), sends requests without a timeout and
retries a dead registry for about two minutes. genplat must upload exactly the bytes whose digests
it already wrote into the lock file and the GitOps wiring, so it speaks the few endpoints it needs
itself (see docs/oci.md):

``GET /v2/`` · ``HEAD|GET /v2/<repo>/blobs/<digest>`` · ``POST /v2/<repo>/blobs/uploads/`` then
``PUT <location>?digest=`` · ``HEAD|GET|PUT /v2/<repo>/manifests/<ref>``.

Every operation (one logical request with its auth round trips and retries) must finish within
``timeout`` seconds: a watchdog shuts its connections down at the deadline, however slowly the
registry drips bytes (:mod:`._deadline`). Every response body is read with a bound (manifests
4 MiB, blobs ``--max-size``, anything else 1 MiB). Connection failures, timeouts, 5xx and 429 are
retried with backoff until then; 401/403/404 and TLS failures end at once with a
:class:`~genplat.RegistryError` saying what to do.

Credentials (the cached ``Authorization``, Basic or Bearer) go only to the registry's own origin
(scheme, host, port): an upload ``Location`` or a redirect naming another host or port gets no
``Authorization`` header, and a 401 from there is refused rather than answered with credentials.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import time
import typing as t
import urllib.parse

import requests

from genplat.core.digests import is_digest, sha256_digest
from genplat.core.errors import RegistryError
from genplat.packaging.artifact import DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, Blob
from genplat.publish.auth import ENV_PASSWORD, ENV_USERNAME, Credentials
from genplat.publish.deadline import MAX_MANIFEST_BYTES, MAX_SMALL_BODY, Watchdog, connection_reason, read_body

DEFAULT_TIMEOUT = 15.0
MANIFEST_ACCEPT = ", ".join([OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST])
_USER_AGENT = "genplat-oci/1"


class _Transient(Exception):
    """A failure worth retrying; ``reason`` is safe to show (no credentials, no URLs with tokens)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass
class Stats:
    """What a client did, so callers (and tests) can see that nothing was uploaded twice."""

    requests: int = 0
    blobs_uploaded: int = 0
    blobs_skipped: int = 0
    manifests_uploaded: int = 0
    tags_moved: int = 0
    retries: int = 0


def _parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    params = {k.lower(): v for k, v in re.findall(r'(\w+)="([^"]*)"', rest)}
    return scheme.lower(), params


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``, the unit credentials are scoped to."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme, 0)


class RegistryClient:
    """Talks to one registry host. Not thread-safe; cheap to create."""

    def __init__(
        self,
        host: str,
        *,
        insecure: bool = False,
        ca_file: str | None = None,
        credentials: Credentials | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.host = host
        self.insecure = insecure
        self.base = f"{'http' if insecure else 'https'}://{host}"
        self.credentials = credentials
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = _USER_AGENT
        # TLS: an explicit CA file replaces the system bundle; plain HTTP needs no verification.
        self.session.verify = ca_file if ca_file else True
        self.session.trust_env = False  # no proxies or .netrc from the environment: loopback tests stay loopback
        self._auth_header: dict[str, str] = {}  # scope → Authorization value
        self._watchdog = Watchdog(self.session)
        self.stats = Stats()

    # ---- low level -------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base}{path}"

    def _raw(
        self,
        method: str,
        url: str,
        deadline: float,
        *,
        stream: bool = False,
        max_body: int = MAX_SMALL_BODY,
        **kw: t.Any,
    ) -> requests.Response:
        """One HTTP exchange. The body is read here (at most ``max_body`` bytes) unless ``stream``."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Transient("out of time")
        self.stats.requests += 1
        try:
            resp = self.session.request(
                method, url, timeout=(min(5.0, remaining), max(remaining, 0.5)), allow_redirects=True, stream=True, **kw
            )
            if not stream:
                read_body(resp, max_body, f"{method} {urllib.parse.urlsplit(url).path}", self.host)
            return resp
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(exc) from None
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            raise _Transient("timed out" if self._watchdog.fired else connection_reason(exc)) from None

    def _tls_error(self, exc: Exception) -> RegistryError:
        text = str(exc)
        if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text or "record layer" in text:
            return RegistryError(f"registry {self.host} does not speak TLS; if it serves plain HTTP, pass --insecure")
        m = re.search(r"certificate verify failed: ([^(']+)", text)
        reason = m.group(1).strip() if m else "TLS handshake failed"
        return RegistryError(
            f"TLS verification of registry {self.host} failed ({reason}); "
            "pass --ca-file with the CA that signed its certificate"
        )

    def _token(self, params: dict[str, str], scope: str, deadline: float) -> str:
        realm = params.get("realm")
        if not realm:
            raise RegistryError(f"registry {self.host} asked for a Bearer token but named no realm")
        query = {k: v for k, v in (("service", params.get("service")), ("scope", scope)) if v}
        creds = self.credentials
        # The token service may live on another host (the registry names it, as Docker Hub does), but
        # credentials for an HTTPS registry never travel over plain HTTP.
        if creds is not None and origin(self.base)[0] == "https" and origin(realm)[0] != "https":
            raise RegistryError(
                f"registry {self.host} names a token service that is not HTTPS ({origin(realm)[1]}); "
                "refusing to send credentials over plain HTTP"
            )
        if creds is not None and creds.identity_token:
            resp = self._raw(
                "POST",
                realm,
                deadline,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": creds.identity_token,
                    "client_id": "genplat",
                    **query,
                },
            )
        else:
            auth = (creds.username, creds.password) if creds is not None else None
            resp = self._raw("GET", realm, deadline, params=query, auth=auth)
        if resp.status_code in (401, 403):
            raise self._denied(resp.status_code, scope)
        if resp.status_code >= 500 or resp.status_code == 429:
            raise _Transient(f"token service answered {resp.status_code}")
        if resp.status_code != 200:
            raise RegistryError(f"token service of registry {self.host} answered {resp.status_code}")
        try:
            body = resp.json()
        except ValueError:
            raise RegistryError(f"token service of registry {self.host} sent no JSON") from None
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryError(f"token service of registry {self.host} sent no token")
        return f"Bearer {token}"

    def _denied(self, status: int, scope: str) -> RegistryError:
        what = scope.split(":")[1] if scope.count(":") >= 2 else scope
        if status == 403:
            return RegistryError(
                f"registry {self.host} denied access to {what} (403 Forbidden): "
                "the account has no permission for this repository; ask its owner"
            )
        if self.credentials is None:
            return RegistryError(
                f"registry {self.host} needs credentials for {what} (401 Unauthorized): run `docker login "
                f"{self.host}`, set {ENV_USERNAME}/{ENV_PASSWORD}, or pass --username with --password-stdin"
            )
        return RegistryError(
            f"registry {self.host} refused the credentials from {self.credentials.source} "
            f"for {what} (401 Unauthorized): check the user name and password"
        )

    def _send(self, method: str, path: str, scope: str, deadline: float, **kw: t.Any) -> requests.Response:
        """One request with the auth dance: anonymous (or cached) first, then as challenged."""
        headers = dict(kw.pop("headers", {}) or {})
        url = self._url(path)
        own = origin(url) == origin(self.base)
        cached = self._auth_header.get(scope) if own else None
        if cached:
            headers["Authorization"] = cached
        resp = self._raw(method, url, deadline, headers=headers, **kw)
        if resp.status_code != 401:
            return resp
        if not own:
            scheme, host, port = origin(url)
            raise RegistryError(
                f"registry {self.host} sent genplat to {scheme}://{host}:{port}, which asks for "
                "credentials; refusing to send the registry's credentials to another host"
            )
        scheme, params = _parse_challenge(resp.headers.get("WWW-Authenticate", ""))
        if scheme == "basic":
            if self.credentials is None or self.credentials.identity_token:
                raise self._denied(401, scope)
            raw = f"{self.credentials.username}:{self.credentials.password}".encode()
            value = "Basic " + base64.b64encode(raw).decode()
        elif scheme == "bearer":
            value = self._token(params, params.get("scope") or scope, deadline)
        else:
            raise self._denied(401, scope)
        if cached == value:
            raise self._denied(401, scope)
        self._auth_header[scope] = value
        headers["Authorization"] = value
        if "data" in kw and hasattr(kw["data"], "seek"):
            kw["data"].seek(0)
        resp = self._raw(method, self._url(path), deadline, headers=headers, **kw)
        if resp.status_code == 401:
            raise self._denied(401, scope)
        return resp

    def _retrying(self, what: str, op: t.Callable[[float], t.Any]) -> t.Any:
        start = time.monotonic()
        deadline = start + self.timeout
        delay, attempts, last = 0.25, 0, "no attempt"
        while True:
            attempts += 1
            try:
                with self._watchdog.armed(deadline - time.monotonic()):
                    return op(deadline)
            except _Transient as exc:
                if exc.reason != "out of time" or attempts == 1:
                    last = exc.reason
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                break
            self.stats.retries += 1
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)
        took = f"({attempts} attempt{'s' if attempts > 1 else ''} in {time.monotonic() - start:.1f} s)"
        if last == "timed out":
            raise RegistryError(
                f"registry {self.host} did not answer in time while trying to {what} {took}, "
                f"limit {self.timeout:g} s; check the registry and the network, or raise --timeout"
            )
        raise RegistryError(
            f"registry {self.host} unreachable while trying to {what}: {last} {took}; "
            "check that it runs and the address, or raise --timeout"
        )

    @staticmethod
    def _check_transient(resp: requests.Response) -> None:
        if resp.status_code >= 500 or resp.status_code == 429:
            raise _Transient(f"{resp.status_code} {resp.reason}")

    def _unexpected(self, resp: requests.Response, what: str) -> RegistryError:
        # A Go TLS server answers plain HTTP with a bare 400 (its text is lost on HEAD requests).
        if (
            resp.status_code == 400
            and self.insecure
            and (b"HTTP request to an HTTPS server" in resp.content or not resp.content)
        ):
            return RegistryError(
                f"registry {self.host} serves HTTPS (it answered plain HTTP with 400); "
                "drop --insecure and pass --ca-file if its CA is private"
            )
        if resp.status_code == 404:
            return RegistryError(
                f"registry {self.host}: {what}: not found (404); check the registry, repository and tag"
            )
        if resp.status_code == 403:
            return RegistryError(
                f"registry {self.host} denied {what} (403 Forbidden): the account has no "
                "permission for this repository; ask its owner"
            )
        code = _error_code(resp)
        return RegistryError(
            f"registry {self.host}: {what}: unexpected answer {resp.status_code}" + (f" ({code})" if code else "")
        )

    # ---- operations ------------------------------------------------------------------------
    def ping(self) -> None:
        def op(deadline: float) -> None:
            resp = self._send("GET", "/v2/", "registry:catalog:*", deadline)
            self._check_transient(resp)
            if resp.status_code not in (200, 401):
                raise self._unexpected(resp, "check the /v2/ endpoint")

        self._retrying("reach it", op)

    def blob_exists(self, repo: str, digest: str, *, push: bool = False) -> bool:
        scope = f"repository:{repo}:{'pull,push' if push else 'pull'}"

        def op(deadline: float) -> bool:
            resp = self._send("HEAD", f"/v2/{repo}/blobs/{digest}", scope, deadline)
            self._check_transient(resp)
            if resp.status_code == 200:
                return True
            if resp.status_code == 404:
                return False
            raise self._unexpected(resp, f"check blob {digest} in {repo}")

        return bool(self._retrying(f"check blob {digest[:19]} in {repo}", op))

    def upload_blob(self, repo: str, blob: Blob) -> bool:
        """Upload ``blob`` unless the registry has it; True when bytes were sent."""
        if self.blob_exists(repo, blob.digest, push=True):
            self.stats.blobs_skipped += 1
            return False
        scope = f"repository:{repo}:pull,push"

        def op(deadline: float) -> None:
            # A retry starts a new upload session: a half-finished one may be gone.
            resp = self._send("POST", f"/v2/{repo}/blobs/uploads/", scope, deadline)
            self._check_transient(resp)
            if resp.status_code != 202 or "Location" not in resp.headers:
                raise self._unexpected(resp, f"start an upload to {repo}")
            location = urllib.parse.urljoin(self.base + "/", resp.headers["Location"])
            sep = "&" if "?" in location else "?"
            resp = self._send(
                "PUT",
                f"{location}{sep}digest={urllib.parse.quote(blob.digest)}",
                scope,
                deadline,
                data=blob.data,
                headers={"Content-Type": "application/octet-stream"},
            )
            self._check_transient(resp)
            if resp.status_code not in (201, 204):
                raise self._unexpected(resp, f"upload blob {blob.digest} to {repo}")

        self._retrying(f"upload blob {blob.digest[:19]} to {repo}", op)
        self.stats.blobs_uploaded += 1
        return True

    def manifest_digest(self, repo: str, reference: str, *, push: bool = False) -> str | None:
        """The digest a tag or digest resolves to, or None when absent."""
        scope = f"repository:{repo}:{'pull,push' if push else 'pull'}"

        def op(deadline: float) -> str | None:
            resp = self._send(
                "HEAD", f"/v2/{repo}/manifests/{reference}", scope, deadline, headers={"Accept": MANIFEST_ACCEPT}
            )
            self._check_transient(resp)
            if resp.status_code == 404:
                return None
            if resp.status_code != 200:
                raise self._unexpected(resp, f"check manifest {repo}:{reference}")
            return resp.headers.get("Docker-Content-Digest") or ""

        return t.cast("str | None", self._retrying(f"check manifest {repo}:{reference}", op))

    def put_manifest(self, repo: str, reference: str, manifest: Blob) -> None:
        scope = f"repository:{repo}:pull,push"

        def op(deadline: float) -> None:
            resp = self._send(
                "PUT",
                f"/v2/{repo}/manifests/{reference}",
                scope,
                deadline,
                data=manifest.data,
                headers={"Content-Type": manifest.media_type},
            )
            self._check_transient(resp)
            if resp.status_code not in (200, 201):
                raise self._unexpected(resp, f"put manifest {repo}:{reference}")
            got = resp.headers.get("Docker-Content-Digest")
            if got and not is_digest(got):  # a connection cut inside the headers
                raise _Transient("truncated answer")
            if got and got != manifest.digest:
                raise RegistryError(
                    f"registry {self.host} stored manifest {repo}:{reference} as {got}, "
                    f"not {manifest.digest}; it rewrote the bytes"
                )

        self._retrying(f"put manifest {repo}:{reference}", op)

    def get_manifest(self, repo: str, reference: str, *, index_ok: bool = False) -> Blob:
        scope = f"repository:{repo}:pull"

        def op(deadline: float) -> Blob:
            resp = self._send(
                "GET",
                f"/v2/{repo}/manifests/{reference}",
                scope,
                deadline,
                headers={"Accept": MANIFEST_ACCEPT},
                max_body=MAX_MANIFEST_BYTES,
            )
            self._check_transient(resp)
            if resp.status_code != 200:
                raise self._unexpected(resp, f"get manifest {repo}:{reference}")
            data = resp.content
            media = resp.headers.get("Content-Type", "").split(";")[0].strip()
            digest = sha256_digest(data)
            expected = reference if reference.startswith("sha256:") else resp.headers.get("Docker-Content-Digest")
            if expected and expected != digest:
                raise RegistryError(
                    f"manifest {repo}:{reference} from registry {self.host} has digest {digest}, "
                    f"expected {expected}; refusing it"
                )
            if media in (OCI_INDEX, DOCKER_MANIFEST_LIST) and not index_ok:
                raise RegistryError(f"{repo}:{reference} is an image index, not a bundle")
            return Blob(media or OCI_MANIFEST, data, digest)

        return t.cast(Blob, self._retrying(f"get manifest {repo}:{reference}", op))

    def get_blob(self, repo: str, digest: str, media_type: str, *, max_bytes: int) -> Blob:
        scope = f"repository:{repo}:pull"

        def op(deadline: float) -> Blob:
            resp = self._send("GET", f"/v2/{repo}/blobs/{digest}", scope, deadline, stream=True)
            with resp:
                self._check_transient(resp)
                if resp.status_code != 200:
                    raise self._unexpected(resp, f"get blob {digest} from {repo}")
                h, chunks, size = hashlib.sha256(), [], 0
                try:
                    for chunk in resp.iter_content(1 << 16):
                        size += len(chunk)
                        if size > max_bytes:
                            raise RegistryError(f"blob {digest} in {repo} is larger than {max_bytes} bytes; refusing")
                        h.update(chunk)
                        chunks.append(chunk)
                except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                    raise _Transient("timed out" if self._watchdog.fired else connection_reason(exc)) from None
            got = "sha256:" + h.hexdigest()
            if got != digest:
                raise RegistryError(f"blob {digest} from registry {self.host} has digest {got}; refusing it")
            return Blob(media_type, b"".join(chunks), digest)

        return t.cast(Blob, self._retrying(f"get blob {digest[:19]} from {repo}", op))

    # ---- signatures and referrers (genplat.publish.sign) --------------------------------------------
    def find_manifest(self, repo: str, reference: str) -> Blob | None:
        """Any manifest or index at ``reference``, digest checked; None when absent (404)."""
        scope = f"repository:{repo}:pull"

        def op(deadline: float) -> Blob | None:
            resp = self._send(
                "GET", f"/v2/{repo}/manifests/{reference}", scope, deadline, headers={"Accept": MANIFEST_ACCEPT}
            )
            self._check_transient(resp)
            if resp.status_code == 404:
                return None
            if resp.status_code != 200:
                raise self._unexpected(resp, f"get manifest {repo}:{reference}")
            data = resp.content
            digest = sha256_digest(data)
            expected = reference if reference.startswith("sha256:") else resp.headers.get("Docker-Content-Digest")
            if expected and expected != digest:
                raise RegistryError(
                    f"manifest {repo}:{reference} from registry {self.host} has digest {digest}, "
                    f"expected {expected}; refusing it"
                )
            media = resp.headers.get("Content-Type", "").split(";")[0].strip()
            return Blob(media or OCI_MANIFEST, data, digest)

        return t.cast("Blob | None", self._retrying(f"get manifest {repo}:{reference}", op))

    def referrers(self, repo: str, digest: str) -> bytes | None:
        """The referrers API's index for ``digest``, or None when the registry has no such API (404)."""
        scope = f"repository:{repo}:pull"

        def op(deadline: float) -> bytes | None:
            resp = self._send("GET", f"/v2/{repo}/referrers/{digest}", scope, deadline, headers={"Accept": OCI_INDEX})
            self._check_transient(resp)
            if resp.status_code == 404 or resp.status_code == 405:
                return None
            if resp.status_code != 200:
                raise self._unexpected(resp, f"list referrers of {repo}@{digest}")
            return bytes(resp.content)

        return t.cast("bytes | None", self._retrying(f"list referrers of {repo}@{digest[:19]}", op))


def _error_code(resp: requests.Response) -> str:
    try:
        errors = resp.json().get("errors") or []
        return ", ".join(str(e.get("code")) for e in errors if isinstance(e, dict))
    except (ValueError, AttributeError):
        return ""
