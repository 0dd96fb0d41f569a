"""Publish stage: plain HTTPS downloads with the same limits as the registry client.

What the add-on stage fetches from release pages and the Go module proxy: one ``GET`` per file, within
an overall deadline (a watchdog shuts the connection down however slowly the server drips bytes), with a
size bound (a ``Content-Length`` over it is refused before the body is read; a body that grows past it
is cut off), retried with backoff on connection failures, 429 and 5xx until the deadline. Redirects are
followed within the same scheme or up to HTTPS, never down to plain HTTP. No credentials are sent: the
sources are public, and mirrors that need them are OCI registries (:mod:`.registry`). The environment's
proxies and ``.netrc`` are not read, so a loopback mirror stays loopback.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import urllib.parse

import requests

from genplat.core.errors import FetchError
from genplat.publish.deadline import Watchdog, connection_reason

DEFAULT_TIMEOUT = 120.0
#: Tries per download: connection failures and 5xx are retried with backoff (about 4 s in all), then
#: reported; a host that is down or unknown is not worth the whole deadline.
MAX_ATTEMPTS = 5
#: Largest single download (the biggest Go module zip genplat's catalog names is about 20 MB).
DEFAULT_MAX_BYTES = 256 << 20
_USER_AGENT = "genplat-addons/1"


@dataclasses.dataclass(frozen=True)
class Downloaded:
    url: str  # as asked for
    data: bytes
    digest: str  # sha256:<hex> of data


class _Retry(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Downloader:
    """GETs whole files over HTTP(S), bounded in time and size. Not thread-safe; cheap to create."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ca_file: str | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = _USER_AGENT
        # The digest is of the file, not of a transfer encoding: ask for the bytes as they are.
        self.session.headers["Accept-Encoding"] = "identity"
        self.session.verify = ca_file if ca_file else True
        self.session.trust_env = False
        self._watchdog = Watchdog(self.session)
        self.requests = 0

    def get(self, url: str) -> Downloaded:
        """The whole body of ``url``; :class:`~genplat.FetchError` names the URL and says why not."""
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise FetchError(f"{url}: only http and https URLs can be downloaded")
        start = time.monotonic()
        deadline = start + self.timeout
        delay, attempts, last = 0.25, 0, "no attempt"
        while True:
            attempts += 1
            try:
                with self._watchdog.armed(deadline - time.monotonic()):
                    data = self._once(url, deadline)
                return Downloaded(url, data, "sha256:" + hashlib.sha256(data).hexdigest())
            except _Retry as exc:
                last = "timed out" if self._watchdog.fired else exc.reason
            remaining = deadline - time.monotonic()
            if remaining <= 0.05 or attempts >= MAX_ATTEMPTS:
                break
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)
        took = f"{attempts} attempt{'s' if attempts > 1 else ''} in {time.monotonic() - start:.1f} s"
        if last == "timed out":
            raise FetchError(
                f"{url} did not arrive within {self.timeout:g} s ({took}); check the network or the mirror"
            )
        raise FetchError(f"{url} could not be fetched: {last} ({took}); check the network, or set a mirror")

    def _once(self, url: str, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Retry("timed out")
        self.requests += 1
        try:
            resp = self.session.get(
                url, timeout=(min(10.0, remaining), max(remaining, 0.5)), stream=True, allow_redirects=True
            )
        except requests.exceptions.SSLError as exc:
            raise FetchError(
                f"{url}: TLS verification failed ({_tls_reason(exc)}); pass --ca-file if its CA is private"
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise _Retry(connection_reason(exc)) from None
        except requests.exceptions.TooManyRedirects:
            raise FetchError(f"{url}: too many redirects") from None
        with resp:
            if urllib.parse.urlsplit(url).scheme == "https" and urllib.parse.urlsplit(resp.url).scheme != "https":
                raise FetchError(f"{url} redirected to plain HTTP ({_origin(resp.url)}); refusing it")
            if resp.status_code >= 500 or resp.status_code == 429:
                raise _Retry(f"the server answered {resp.status_code} {resp.reason}")
            if resp.status_code == 404 or resp.status_code == 410:
                raise FetchError(f"{url}: not found ({resp.status_code}); check the version and the source")
            if resp.status_code != 200:
                raise FetchError(f"{url}: the server answered {resp.status_code} {resp.reason}")
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(
                    f"{url} is {int(declared):,} bytes, over the limit of {self.max_bytes:,}; refusing it "
                    "(raise --max-size if it is genuine)"
                )
            chunks, size = [], 0
            try:
                for chunk in resp.iter_content(1 << 16):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(
                            f"{url} sent more than {self.max_bytes:,} bytes; refusing it "
                            "(raise --max-size if it is genuine)"
                        )
                    chunks.append(chunk)
            except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                raise _Retry(connection_reason(exc)) from None
            if declared.isdigit() and size != int(declared) and not resp.headers.get("Content-Encoding"):
                raise _Retry(f"the body ended after {size} of {declared} bytes")
            return b"".join(chunks)


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _tls_reason(exc: Exception) -> str:
    text = str(exc)
    if "certificate verify failed" in text:
        return text.split("certificate verify failed:", 1)[1].split("(")[0].strip(" '\")") or "certificate not trusted"
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return "the server does not speak TLS"
    return "handshake failed"
