"""``genplat status`` against a hostile API server: every request ends by its deadline, every answer is
read up to a bound, refusals say what to grant, and credentials never reach the output.

The server is the tests' own, on loopback, speaking plain HTTP (a kubeconfig may name ``http://``); what
it does wrong is switched per test, as the registry fault proxy does (tests/faults/_proxy.py).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import typing as t
from pathlib import Path

import pytest
import yaml

from tests.registry import REPO_ROOT, run_genplat

pytestmark = pytest.mark.faults

TOKEN = "s3cret-cluster-token-do-not-print"


class Hostile:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.seen: list[tuple[str, str | None]] = []
        hostile = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: t.Any) -> None:
                pass

            def do_GET(self) -> None:
                hostile.seen.append((self.path, self.headers.get("Authorization")))
                hostile.answer(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, h: http.server.BaseHTTPRequestHandler) -> None:
        if self.mode == "drip":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            try:
                for _ in range(100):
                    h.wfile.write(b" ")
                    h.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
        elif self.mode == "endless":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.end_headers()
            try:
                while True:
                    h.wfile.write(b"[" * 65536)
            except OSError:
                pass
        elif self.mode in ("503", "403"):
            body = json.dumps(
                {
                    "kind": "Status",
                    "message": f'kustomizations is forbidden: User "ci" cannot get resource (token {TOKEN[:3]}…)',
                }
                if self.mode == "403"
                else {"kind": "Status", "message": "etcd leader changed"}
            ).encode()
            h.send_response(int(self.mode))
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _status(server: str, tmp_path: Path, *args: str) -> tuple[t.Any, float]:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "hostile",
                "clusters": [{"name": "h", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": TOKEN}}],
                "contexts": [{"name": "hostile", "context": {"cluster": "h", "user": "u"}}],
            }
        )
    )
    start = time.monotonic()
    proc = run_genplat(
        "status",
        "-C",
        str(REPO_ROOT),
        "--kubeconfig",
        str(kubeconfig),
        "--cluster",
        "prod-prod-eu",
        *args,
        cwd=tmp_path,
    )
    return proc, time.monotonic() - start


@pytest.mark.parametrize(
    "mode,said",
    [
        ("drip", "did not answer"),
        ("endless", "more than 16,777,216 bytes"),
        ("503", "did not answer"),
        ("403", "refused"),
    ],
)
def test_a_hostile_api_server_ends_in_one_line(tmp_path: Path, mode: str, said: str) -> None:
    server = Hostile(mode)
    try:
        proc, elapsed = _status(server.url, tmp_path, "--timeout", "3")
    finally:
        server.stop()
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert elapsed < 3 * 2 + 15, elapsed  # one request's deadline, not a pile of them
    assert said in proc.stdout and "cannot read the cluster" in proc.stdout
    assert "Traceback" not in proc.stderr and TOKEN not in proc.stdout + proc.stderr
    assert server.seen and server.seen[0][1] == f"Bearer {TOKEN}"  # the token went to its own server only
    if mode == "403":
        assert "genplat-status" in proc.stdout  # the hint names the ClusterRole to grant


def test_an_unreachable_cluster_is_exit_3_and_wait_reads_it_again(tmp_path: Path) -> None:
    server = Hostile("503")
    server.stop()  # nothing listens there any more
    proc, elapsed = _status(server.url, tmp_path, "--timeout", "1", "--wait", "3s")
    assert proc.returncode == 3 and "connection refused" in proc.stdout
    assert "status after" in proc.stderr  # it read again while waiting
    assert elapsed < 20
