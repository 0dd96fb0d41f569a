"""An HTTP-level fault proxy of the tests' own, in front of the real registry, and a decoy host.

``FaultProxy`` forwards every request to the upstream registry and can, per test, answer 5xx, cut
the connection, corrupt a body (wrong digest), send an endless body, drip the answer one byte at a
time, or move an upload's ``Location`` to another host (the :class:`Decoy`). The decoy records
every request it gets, so a test can assert that it was reached and that no credentials came with it.
"""

from __future__ import annotations

import dataclasses
import http.client
import http.server
import re
import socket
import threading
import time
import typing as t


@dataclasses.dataclass
class Faults:
    status: int = 0  # answer this status instead of forwarding ...
    status_times: int = 0  # ... this many times
    cut: str = ""  # regex on "METHOD path": close the connection without an answer
    corrupt: str = ""  # regex: flip a byte of the answer's body
    endless: str = ""  # regex: 200 with a body that never ends
    drip: str = ""  # regex: send the answer one byte per drip_interval
    drip_interval: float = 1.0
    foreign_location: str = ""  # base URL that upload Locations are moved to


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _start(handler: type[http.server.BaseHTTPRequestHandler]) -> tuple[_Server, str]:
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"127.0.0.1:{server.server_address[1]}"


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream  # host:port, plain HTTP
        self.faults = Faults()
        self.seen: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: t.Any) -> None:
                pass

            def _handle(self) -> None:
                proxy.handle(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server, self.host = _start(Handler)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, h: http.server.BaseHTTPRequestHandler) -> None:
        f = self.faults
        what = f"{h.command} {h.path}"
        self.seen.append(what)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if f.cut and re.search(f.cut, what):
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if f.status and f.status_times > 0:
            f.status_times -= 1
            h.send_response(f.status)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if f.endless and re.search(f.endless, what):
            h.send_response(200)
            h.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            h.send_header("Connection", "close")
            h.end_headers()
            h.close_connection = True
            chunk = b" " * 65536
            try:
                while True:
                    h.wfile.write(chunk)
            except OSError:
                return
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(h.command, h.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read() if h.command != "HEAD" else b""
        out_headers = []
        for k, v in resp.getheaders():
            if k.lower() in ("connection", "transfer-encoding", "content-length"):
                continue
            if k.lower() == "location":
                v = re.sub(r"^https?://[^/]+", "", v)  # keep the client on the proxy ...
                if f.foreign_location and h.command == "POST":
                    v = f.foreign_location + v  # ... unless the test sends it elsewhere
            out_headers.append((k, v))
        length_header = resp.getheader("Content-Length") if h.command == "HEAD" else str(len(data))
        conn.close()
        if f.corrupt and re.search(f.corrupt, what) and data:
            data = bytes([data[0] ^ 0x01]) + data[1:]
        raw = f"HTTP/1.1 {resp.status} {resp.reason}\r\n".encode()
        for k, v in out_headers + [("Content-Length", length_header or "0")]:
            raw += f"{k}: {v}\r\n".encode()
        raw += b"\r\n" + data
        try:
            if f.drip and re.search(f.drip, what):
                for i in range(len(raw)):
                    h.wfile.write(raw[i : i + 1])
                    h.wfile.flush()
                    time.sleep(f.drip_interval)
            else:
                h.wfile.write(raw)
        except OSError:
            h.close_connection = True


class Decoy:
    """A host that must never see credentials: records each request's method, path and headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        decoy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: t.Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                decoy.requests.append((self.command, self.path, dict(self.headers.items())))
                # Tempt the client: ask for Basic credentials.
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="decoy"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = _handle

        self.server, self.host = _start(Handler)

    def credentials_seen(self) -> list[str]:
        return [
            f"{m} {p}: {k}"
            for m, p, hs in self.requests
            for k in hs
            if k.lower() in ("authorization", "proxy-authorization", "cookie")
        ]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
