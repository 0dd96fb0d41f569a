"""Kubeconfig files as kubectl reads them: merging, contexts, credentials, and clear refusals."""

from __future__ import annotations

import base64
import stat
import sys
from pathlib import Path

import pytest
import yaml

from genplat.core.errors import ClusterError, UsageError
from genplat.delivery.kubeconfig import load_kubeconfig, run_exec_plugin

CA = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _write(path: Path, doc: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(doc))
    return path


def _config(server: str = "https://127.0.0.1:6443", **user: object) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "a",
        "clusters": [{"name": "c", "cluster": {"server": server, "certificate-authority": "ca.crt"}}],
        "users": [{"name": "u", "user": user or {"token": "t0ken"}}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u", "namespace": "team"}}],
    }


def test_paths_are_relative_to_the_file_and_secrets_stay_out_of_repr(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_bytes(CA)
    access = load_kubeconfig(_write(tmp_path / "config", _config())).access()
    assert access.server == "https://127.0.0.1:6443" and access.ca_data == CA and access.namespace == "team"
    assert access.token == "t0ken" and "t0ken" not in repr(access)


def test_kubeconfig_env_merges_first_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ca.crt").write_bytes(CA)
    first = _config()
    second = _config(server="https://10.0.0.1:6443")
    second["current-context"] = "b"
    second["contexts"] = [*second["contexts"], {"name": "b", "context": {"cluster": "c", "user": "u"}}]  # type: ignore[list-item]
    a, b = _write(tmp_path / "a", first), _write(tmp_path / "b", second)
    monkeypatch.setenv("KUBECONFIG", f"{a}:{tmp_path / 'missing'}:{b}")
    config = load_kubeconfig()
    assert config.current == "a"  # the first file that sets one
    assert sorted(config.contexts) == ["a", "b"]
    assert config.access("b").server == "https://127.0.0.1:6443"  # cluster c from the first file


def test_data_fields_and_client_certificates(tmp_path: Path) -> None:
    doc = _config(
        **{
            "client-certificate-data": base64.b64encode(b"CERT").decode(),
            "client-key-data": base64.b64encode(b"KEY").decode(),
        }
    )
    doc["clusters"][0]["cluster"] = {
        "server": "https://h:1",
        "certificate-authority-data": base64.b64encode(CA).decode(),
    }  # type: ignore[index]
    access = load_kubeconfig(_write(tmp_path / "config", doc)).access("a")
    assert (access.ca_data, access.cert_data, access.key_data) == (CA, b"CERT", b"KEY")


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda d: d.update({"current-context": ""}), "no current-context"),
        (lambda d: d["contexts"][0]["context"].update({"cluster": "nope"}), "names cluster 'nope'"),
        (lambda d: d["contexts"][0]["context"].update({"user": "nope"}), "names user 'nope'"),
        (lambda d: d["users"][0].update({"user": {"auth-provider": {"name": "gcp"}}}), "auth-provider"),
        (lambda d: d["users"][0].update({"user": {"client-certificate-data": "Q0VSVA=="}}), "without its key"),
        (lambda d: d["clusters"][0]["cluster"].update({"server": "127.0.0.1:6443"}), "no https:// server"),
    ],
)
def test_broken_kubeconfigs_are_usage_errors(tmp_path: Path, change: object, message: str) -> None:
    (tmp_path / "ca.crt").write_bytes(CA)
    doc = _config()
    change(doc)  # type: ignore[operator]
    with pytest.raises(UsageError, match=message):
        load_kubeconfig(_write(tmp_path / "config", doc)).access()


def test_no_such_context_lists_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_bytes(CA)
    with pytest.raises(UsageError, match=r"no context 'x' \(contexts: a\)"):
        load_kubeconfig(_write(tmp_path / "config", _config())).access("x")


def test_missing_and_invalid_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="cannot read the kubeconfig"):
        load_kubeconfig(tmp_path / "nope")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(UsageError, match="no kubeconfig found"):
        load_kubeconfig()
    bad = tmp_path / "bad"
    bad.write_text("clusters: [\n")
    with pytest.raises(UsageError, match="not a kubeconfig"):
        load_kubeconfig(bad)


def _plugin(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "plugin.py"
    script.write_text(f"#!{sys.executable}\nimport json, os, sys\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_exec_plugin_token(tmp_path: Path) -> None:
    script = _plugin(
        tmp_path,
        "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
        "assert info['spec']['interactive'] is False and os.environ['EXTRA'] == 'x'\n"
        "print(json.dumps({'apiVersion': info['apiVersion'], 'kind': 'ExecCredential', 'status': {'token': 'from-plugin'}}))",
    )
    doc = _config(
        exec={
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(script),
            "env": [{"name": "EXTRA", "value": "x"}],
        }
    )
    (tmp_path / "ca.crt").write_bytes(CA)
    access = load_kubeconfig(_write(tmp_path / "config", doc)).access()
    assert access.exec_plugin is not None
    assert run_exec_plugin(access.exec_plugin, server=access.server).token == "from-plugin"


@pytest.mark.parametrize(
    "body,message",
    [
        ("sys.exit(4)", "failed \\(exit 4\\)"),
        ("print('not json')", "no ExecCredential"),
        ("print(json.dumps({'status': {}}))", "neither a token"),
        ("import time; time.sleep(10)", "did not answer"),
    ],
)
def test_exec_plugin_failures(tmp_path: Path, body: str, message: str) -> None:
    from genplat.delivery.kubeconfig import ExecPlugin

    plugin = ExecPlugin(command=str(_plugin(tmp_path, body)))
    with pytest.raises(ClusterError, match=message):
        run_exec_plugin(plugin, server="https://h", timeout=2)


def test_exec_plugin_not_installed(tmp_path: Path) -> None:
    from genplat.delivery.kubeconfig import ExecPlugin

    with pytest.raises(ClusterError, match="not installed"):
        run_exec_plugin(ExecPlugin(command=str(tmp_path / "absent")), server="https://h")
