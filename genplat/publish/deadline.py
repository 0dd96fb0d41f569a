"""Publish stage: hard limits on every network exchange — an overall deadline and a size bound (the
registry client's, and the delivery stage's Kubernetes client's).

``requests`` timeouts apply to each socket read, so a registry that drips one byte a second never
trips them. :class:`Watchdog` knows every connection a client opened; when an operation's deadline
passes it shuts their sockets down, so whatever read is waiting (status line, headers, body) ends at
once with a connection error that the retry loop reports as "out of time".

:func:`read_body` reads a response (always requested with ``stream=True``) up to a limit, so an
endless or oversized body is refused after ``limit`` bytes instead of growing memory until it runs out.
"""

from __future__ import annotations

import socket
import threading
import weakref

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool

from genplat.core.errors import GenplatError, RegistryError

#: Largest manifest genplat accepts (the OCI distribution spec's floor for what registries take).
MAX_MANIFEST_BYTES = 4 << 20
#: Largest token-service answer or error body genplat reads.
MAX_SMALL_BODY = 1 << 20


class Watchdog:
    """Tracks a session's connections; :meth:`armed` shuts them down when a deadline passes."""

    def __init__(self, session: requests.Session) -> None:
        self._conns: weakref.WeakSet[urllib3.connection.HTTPConnection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.fired = False
        track = self._track

        class Conn(urllib3.connection.HTTPConnection):
            def connect(self) -> None:
                track(self)
                super().connect()

        class TLSConn(urllib3.connection.HTTPSConnection):
            def connect(self) -> None:
                track(self)
                super().connect()

        class Pool(urllib3.connectionpool.HTTPConnectionPool):
            ConnectionCls = Conn

        class TLSPool(urllib3.connectionpool.HTTPSConnectionPool):
            ConnectionCls = TLSConn

        for prefix in ("http://", "https://"):
            adapter = requests.adapters.HTTPAdapter(max_retries=0)
            adapter.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}
            session.mount(prefix, adapter)

    def _track(self, conn: urllib3.connection.HTTPConnection) -> None:
        with self._lock:
            self._conns.add(conn)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            conns = list(self._conns)
        for conn in conns:
            sock = getattr(conn, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def armed(self, seconds: float) -> _Armed:
        return _Armed(self, seconds)


class _Armed:
    def __init__(self, dog: Watchdog, seconds: float) -> None:
        self.dog, self.seconds = dog, seconds
        self.timer: threading.Timer | None = None

    def __enter__(self) -> None:
        self.dog.fired = False
        self.timer = threading.Timer(max(self.seconds, 0.0), self.dog._fire)
        self.timer.daemon = True
        self.timer.start()

    def __exit__(self, *exc: object) -> None:
        assert self.timer is not None
        self.timer.cancel()


def read_body(
    resp: requests.Response,
    limit: int,
    what: str,
    host: str,
    *,
    peer: str = "registry",
    error: type[GenplatError] = RegistryError,
) -> bytes:
    """The body of a streamed response, at most ``limit`` bytes; stored so ``resp.content`` works.
    ``peer`` names the other side in the message (``registry``, ``API server``), ``error`` is raised."""
    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        resp.close()
        raise error(
            f"{peer} {host} announced {int(declared):,} bytes for {what}, over the limit of {limit:,}; refusing it"
        )
    chunks, size = [], 0
    for chunk in resp.iter_content(1 << 16):
        size += len(chunk)
        if size > limit:
            resp.close()
            raise error(f"{peer} {host} sent more than {limit:,} bytes for {what}; refusing it")
        chunks.append(chunk)
    data = b"".join(chunks)
    # What requests itself does once a body is read, so resp.content and resp.json() work.
    resp._content = data
    resp._content_consumed = True  # type: ignore[attr-defined]
    return data


def connection_reason(exc: Exception) -> str:
    """A short, safe reason for a failed connection (no URLs, which may carry tokens)."""
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("Name or service not known", "host name not found"),
        ("Temporary failure in name resolution", "host name not found"),
        ("No address associated", "host name not found"),
        ("reset by peer", "connection reset"),
        ("RemoteDisconnected", "connection closed"),
        ("Connection aborted", "connection aborted"),
    ):
        if needle in text:
            return reason
    return type(exc).__name__


__all__ = ["MAX_MANIFEST_BYTES", "MAX_SMALL_BODY", "Watchdog", "connection_reason", "read_body"]
