"""Reference parsing and credential lookup (no network)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from genplat import RegistryError, UsageError
from genplat.packaging.refs import LayoutRef, RegistryRef, parse_ref
from genplat.publish.auth import resolve_credentials

D = "sha256:" + "c" * 64


@pytest.mark.parametrize(
    "text,want",
    [
        ("reg.example:5000/platform/dev-eu1:v1", RegistryRef("reg.example:5000", "platform/dev-eu1", "v1")),
        (f"127.0.0.1:5000/a/b@{D}", RegistryRef("127.0.0.1:5000", "a/b", None, D)),
        (f"reg.example/a:t@{D}", RegistryRef("reg.example", "a", "t", D)),
        ("oci:out/.oci:dev-eu1", LayoutRef("out/.oci", "dev-eu1")),
        ("oci:/abs/path:with:colons:tag", LayoutRef("/abs/path:with:colons", "tag")),
    ],
)
def test_parse_ref(text: str, want: object) -> None:
    assert parse_ref(text) == want


@pytest.mark.parametrize(
    "text",
    ["reg.example", "reg.example/a", "reg.example/A:t", "reg.example/a@sha256:12", "oci:layout", "reg.example/a:-bad"],
)
def test_parse_ref_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_ref(text)


def test_credentials_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "config.json").write_text(
        json.dumps(
            {
                "auths": {
                    "https://reg.example/v1/": {"auth": base64.b64encode(b"cfguser:cfgpass").decode()},
                    "tok.example": {"identitytoken": "refresh-me"},
                }
            }
        )
    )
    monkeypatch.setenv("DOCKER_CONFIG", str(cfg))
    creds = resolve_credentials("reg.example", env={})
    assert creds is not None and (creds.username, creds.password) == ("cfguser", "cfgpass")
    tok = resolve_credentials("tok.example", env={})
    assert tok is not None and tok.identity_token == "refresh-me"
    env = {"GENPLAT_REGISTRY_USERNAME": "envuser", "GENPLAT_REGISTRY_PASSWORD": "envpass"}
    creds = resolve_credentials("reg.example", env=env)
    assert creds is not None and creds.username == "envuser"
    assert resolve_credentials("other.example", env={}) is None
    with pytest.raises(RegistryError, match="both"):
        resolve_credentials("reg.example", env={"GENPLAT_REGISTRY_USERNAME": "x"})


def test_missing_helper_is_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "config.json").write_text(json.dumps({"credsStore": "nonexistent-genplat"}))
    monkeypatch.setenv("DOCKER_CONFIG", str(cfg))
    with pytest.raises(RegistryError, match="docker-credential-nonexistent-genplat is not on PATH"):
        resolve_credentials("reg.example", env={})
