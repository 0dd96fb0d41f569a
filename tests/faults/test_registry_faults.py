"""HTTP-level faults between genplat and a real registry: every call has a deadline and a size
bound, every digest is checked, and credentials go only to the registry's own origin."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from genplat import RegistryError
from genplat.packaging.artifact import package_bundle
from genplat.publish.auth import Credentials
from genplat.publish.registry import RegistryClient
from genplat.publish.transfer import push_artifact
from tests.registry import TEST_PASSWORD, TEST_USER, Registry, run_genplat

from ._proxy import Decoy, FaultProxy

pytestmark = [pytest.mark.faults, pytest.mark.registry]


def slack(cwd: Path) -> float:
    """A small constant on top of --timeout: 3 s, plus twice genplat's start-up as measured right now
    (a loaded two-core machine can take seconds to start an interpreter, and `--version` imports less
    than push or pull do). Before the overall deadlines these runs took over 60 s."""
    start = time.monotonic()
    assert run_genplat("--version", cwd=cwd).returncode == 0
    return 3.0 + 2 * (time.monotonic() - start)


def _push(root: Path, host: str, *extra: str, **kw: object):  # type: ignore[no-untyped-def]
    return run_genplat("push", "--registry", f"{host}/faults", "--insecure", *extra, cwd=root, **kw)  # type: ignore[arg-type]


def _one_line_exit_3(proc) -> str:  # type: ignore[no-untyped-def]
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    return lines[0]


def test_5xx_is_retried_until_it_passes(packaged: Path, proxy: FaultProxy) -> None:
    """Promise: transient 5xx answers are retried within the deadline, and the push then succeeds."""
    proxy.faults.status, proxy.faults.status_times = 503, 3
    proc = _push(packaged, proxy.host, "--timeout", "20")
    assert proc.returncode == 0, proc.stderr
    assert proxy.faults.status_times == 0  # the three 503s were really served


def test_endless_5xx_ends_at_the_deadline(packaged: Path, proxy: FaultProxy) -> None:
    """Promise: a registry that only answers 503 ends the push within --timeout, exit 3, one line."""
    proxy.faults.status, proxy.faults.status_times = 503, 10**9
    bound = slack(packaged)
    start = time.monotonic()
    line = _one_line_exit_3(_push(packaged, proxy.host, "--timeout", "3"))
    assert time.monotonic() - start < 3 + bound
    assert "503" in line


def test_cut_connections_end_at_the_deadline(packaged: Path, proxy: FaultProxy) -> None:
    """Promise: connections cut without an answer are retried, then reported in one line."""
    proxy.faults.cut = r"^HEAD /v2/faults/.*/blobs/"
    bound = slack(packaged)
    start = time.monotonic()
    line = _one_line_exit_3(_push(packaged, proxy.host, "--timeout", "3"))
    assert time.monotonic() - start < 3 + bound
    assert "unreachable" in line and any(s.startswith("HEAD /v2/faults/") for s in proxy.seen)


@pytest.mark.parametrize("where", [r"^HEAD /v2/.*/blobs/", r"^HEAD /v2/.*/manifests/", r"^GET /v2/.*/blobs/"])
def test_dripping_registry_ends_within_the_timeout(
    packaged: Path, registry: Registry, proxy: FaultProxy, tmp_path: Path, where: str
) -> None:
    """Promise: push/pull --timeout T against a registry that drips a byte a second end within
    T plus a small constant, exit 3, one line (the timeout covers the whole operation)."""
    assert _push(packaged, registry.host, "--tag", "v1").returncode == 0  # the bundle is there
    proxy.faults.drip, proxy.faults.drip_interval = where, 1.0
    bound = slack(packaged)
    start = time.monotonic()
    if where.startswith("^GET"):
        proc = run_genplat(
            "pull",
            f"{proxy.host}/faults/dev-eu1:v1",
            "--insecure",
            "--timeout",
            "4",
            "-o",
            str(tmp_path / "pulled"),
            cwd=tmp_path,
        )
    else:
        proc = _push(packaged, proxy.host, "--tag", "v2", "--timeout", "4")
    elapsed = time.monotonic() - start
    line = _one_line_exit_3(proc)
    assert elapsed < 4 + bound, elapsed
    assert "did not answer in time" in line and "in 4.0 s)" in line  # genplat's own clock: T, not more
    assert not (tmp_path / "pulled").exists()


def test_endless_manifest_body_is_refused_at_the_bound(registry: Registry, proxy: FaultProxy, tmp_path: Path) -> None:
    """Promise: a manifest body is read up to 4 MiB, never without end (no MemoryError)."""
    proxy.faults.endless = r"^GET /v2/.*/manifests/"
    start = time.monotonic()
    proc = run_genplat(
        "pull",
        f"{proxy.host}/faults/dev-eu1:v1",
        "--insecure",
        "--timeout",
        "30",
        "-o",
        str(tmp_path / "x"),
        cwd=tmp_path,
    )
    line = _one_line_exit_3(proc)
    assert "more than 4,194,304 bytes" in line and time.monotonic() - start < 30


@pytest.mark.parametrize("what", ["manifests", "blobs"])
def test_wrong_digests_are_refused(
    packaged: Path, registry: Registry, proxy: FaultProxy, tmp_path: Path, what: str
) -> None:
    """Promise: bytes whose digest is not the one asked for are refused; nothing is extracted."""
    assert _push(packaged, registry.host, "--tag", "dg").returncode == 0
    proxy.faults.corrupt = rf"^GET /v2/.*/{what}/"
    proc = run_genplat("pull", f"{proxy.host}/faults/dev-eu1:dg", "--insecure", "-o", str(tmp_path / "x"), cwd=tmp_path)
    line = _one_line_exit_3(proc)
    assert "digest" in line and "refusing" in line
    assert not (tmp_path / "x").exists()


def test_foreign_upload_location_gets_no_credentials(tmp_path: Path, auth_registry: Registry, decoy: Decoy) -> None:
    """Promise: credentials go only to the registry's origin (scheme, host, port). An upload
    Location naming another port gets no Authorization, and its 401 is not answered with them."""
    proxy = FaultProxy(auth_registry.host)
    try:
        proxy.faults.foreign_location = f"http://{decoy.host}"
        client = RegistryClient(proxy.host, insecure=True, timeout=5, credentials=Credentials(TEST_USER, TEST_PASSWORD))
        with pytest.raises(RegistryError, match="refusing to send the registry's credentials to another host"):
            push_artifact(client, "faults/creds", "t", package_bundle({"a.yaml": b"a: 1\n"}))
    finally:
        proxy.stop()
    assert decoy.requests, "the decoy was never reached: the test did not exercise the foreign Location"
    assert decoy.credentials_seen() == []
    # The same credentials do work against the registry itself (so they were there to leak).
    ok = RegistryClient(auth_registry.host, insecure=True, credentials=Credentials(TEST_USER, TEST_PASSWORD))
    push_artifact(ok, "faults/creds", "t", package_bundle({"a.yaml": b"a: 1\n"}))


def test_foreign_location_through_the_cli(packaged: Path, auth_registry: Registry, decoy: Decoy) -> None:
    """Promise: the same through `genplat push` with --password-stdin: exit 3, one line, no leak."""
    proxy = FaultProxy(auth_registry.host)
    try:
        proxy.faults.foreign_location = f"http://{decoy.host}"
        proc = run_genplat(
            "push",
            "--registry",
            f"{proxy.host}/faults",
            "--insecure",
            "--username",
            TEST_USER,
            "--password-stdin",
            cwd=packaged,
            input=TEST_PASSWORD + "\n",
        )
    finally:
        proxy.stop()
    line = _one_line_exit_3(proc)
    assert "another host" in line and TEST_PASSWORD not in proc.stdout + proc.stderr
    assert decoy.requests and decoy.credentials_seen() == []


def test_gzip_bomb_is_refused_before_it_is_held(tmp_path: Path) -> None:
    """Promise: a layer that expands past --max-size is refused while it is read; what is held in
    memory stays near the limit, not twice it."""
    import tracemalloc

    from genplat.packaging.tar import gzip_bytes, make_tar, read_targz

    limit = 8 << 20
    bomb = gzip_bytes(make_tar({"a": b"\0" * (limit // 2), "b": b"\0" * (limit // 2 + 4096)}))
    assert len(bomb) < limit // 100
    tracemalloc.start()
    try:
        with pytest.raises(Exception, match="expands past the limit"):
            read_targz(bomb, max_bytes=limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.3 * limit, peak
    ok = gzip_bytes(make_tar({"a": b"x" * 1000}))
    assert read_targz(ok, max_bytes=limit)["a"][0] == b"x" * 1000


def test_push_json_output_unaffected(packaged: Path, registry: Registry) -> None:
    """Control: without faults the same push works (so the faults above are what made them fail)."""
    proc = _push(packaged, registry.host, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["pushed"]
