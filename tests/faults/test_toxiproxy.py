"""TCP-level faults through the real Toxiproxy (Shopify's fault proxy) in front of the real registry.

Toxiproxy comes from ``tools/upstream.py`` (``python3 tools/upstream.py path toxiproxy``); without it
these tests skip, and with GENPLAT_REQUIRE_TOOLS=1 they fail.
"""

from __future__ import annotations

import subprocess
import time
import typing as t
from pathlib import Path

import pytest
import requests

from tests.registry import Registry, free_port, run_genplat
from tests.upstream_parts import tool

from .test_registry_faults import slack

pytestmark = [pytest.mark.faults, pytest.mark.registry]


class Toxiproxy:
    def __init__(self, exe: str, workdir: Path) -> None:
        self.api = f"http://127.0.0.1:{free_port()}"
        self.log = open(workdir / "toxiproxy.log", "wb")  # noqa: SIM115 - open while the server runs
        port = self.api.rsplit(":", 1)[1]
        self.proc = subprocess.Popen(
            [exe, "-host", "127.0.0.1", "-port", port], stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.api}/version", timeout=1).raise_for_status()
                return
            except requests.exceptions.RequestException:
                time.sleep(0.1)
        raise RuntimeError("toxiproxy did not start")

    def proxy(self, name: str, upstream: str) -> str:
        listen = f"127.0.0.1:{free_port()}"
        r = requests.post(
            f"{self.api}/proxies",
            json={"name": name, "listen": listen, "upstream": upstream, "enabled": True},
            timeout=5,
        )
        assert r.status_code == 201, r.text
        return listen

    def toxic(self, proxy: str, kind: str, stream: str = "downstream", **attributes: t.Any) -> None:
        r = requests.post(
            f"{self.api}/proxies/{proxy}/toxics",
            json={"type": kind, "stream": stream, "toxicity": 1.0, "attributes": attributes},
            timeout=5,
        )
        assert r.status_code == 200, r.text

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def toxiproxy(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Toxiproxy]:
    tp = Toxiproxy(tool("toxiproxy"), tmp_path_factory.mktemp("toxiproxy"))
    yield tp
    tp.stop()


@pytest.fixture
def through(toxiproxy: Toxiproxy, registry: Registry, request: pytest.FixtureRequest) -> tuple[str, str]:
    name = request.node.name.replace("[", "_").replace("]", "")
    return name, toxiproxy.proxy(name, registry.host)


def _push(root: Path, host: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_genplat("push", "--registry", f"{host}/tox", "--insecure", *extra, cwd=root)


def _one_line_exit_3(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in proc.stderr, proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    "kind,attrs", [("latency", {"latency": 300}), ("slow_close", {"delay": 500}), ("bandwidth", {"rate": 64})]
)
def test_slow_but_working_network_still_pushes(
    packaged: Path, toxiproxy: Toxiproxy, through: tuple[str, str], kind: str, attrs: dict[str, int]
) -> None:
    """Promise: latency and slow connection closes cost time, not correctness."""
    name, host = through
    toxiproxy.toxic(name, kind, **attrs)
    proc = _push(packaged, host, "--timeout", "30")
    assert proc.returncode == 0, proc.stderr
    assert _push(packaged, host, "--timeout", "30").returncode == 0


@pytest.mark.parametrize(
    "kind,attrs,words",
    [
        ("timeout", {"timeout": 0}, "did not answer in time"),  # data stops, the connection stays open
        ("reset_peer", {"timeout": 0}, "unreachable"),
        ("limit_data", {"bytes": 64}, "unreachable"),
    ],
)
def test_broken_network_ends_within_the_timeout(
    packaged: Path,
    registry: Registry,
    toxiproxy: Toxiproxy,
    through: tuple[str, str],
    tmp_path: Path,
    kind: str,
    attrs: dict[str, int],
    words: str,
) -> None:
    """Promise: push and pull --timeout T over a broken network end within T plus a small constant,
    exit 3, one line."""
    assert _push(packaged, registry.host, "--tag", "big").returncode == 0
    name, host = through
    toxiproxy.toxic(name, kind, **attrs)
    for label, cmd in (
        ("push", ["push", "--registry", f"{host}/tox", "--insecure", "--tag", "t2"]),
        ("pull", ["pull", f"{host}/tox/dev-eu1:big", "--insecure", "-o", str(tmp_path / "x")]),
    ):
        bound = slack(packaged)
        start = time.monotonic()
        proc = run_genplat(*cmd, "--timeout", "4", cwd=packaged)
        elapsed = time.monotonic() - start
        line = _one_line_exit_3(proc)
        assert elapsed < 4 + bound, (label, elapsed)
        assert words in line, (label, line)
    assert not (tmp_path / "x").exists()
