"""Where registry credentials come from, first match wins:

1. ``--username`` with ``--password-stdin`` (passed in as :class:`Credentials`);
2. ``GENPLAT_REGISTRY_USERNAME`` and ``GENPLAT_REGISTRY_PASSWORD``;
3. Docker's ``config.json`` (``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``):
   ``credHelpers[host]``, then ``auths[host]`` (``auth``, ``username``/``password`` or
   ``identitytoken``), then ``credsStore``; helpers are ``docker-credential-<name> get``.

Secrets never reach a message: :class:`Credentials` hides them in ``repr``, and errors name only the
source ("from GENPLAT_REGISTRY_USERNAME", "from docker config") and the user name is not printed either.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import subprocess
import typing as t
from pathlib import Path

from genplat.core.errors import RegistryError

ENV_USERNAME = "GENPLAT_REGISTRY_USERNAME"
ENV_PASSWORD = "GENPLAT_REGISTRY_PASSWORD"


@dataclasses.dataclass(frozen=True)
class Credentials:
    username: str = dataclasses.field(repr=False)
    password: str = dataclasses.field(repr=False)
    #: A refresh token for the Bearer flow (Docker's ``identitytoken``) instead of a password.
    identity_token: str | None = dataclasses.field(default=None, repr=False)
    source: str = "command line"

    def __repr__(self) -> str:
        return f"Credentials(source={self.source!r})"


def _normalise_host(key: str) -> str:
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key.split("/", 1)[0]


def _docker_config_path() -> Path:
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def _helper(name: str, host: str) -> Credentials | None:
    exe = shutil.which(f"docker-credential-{name}")
    if exe is None:
        raise RegistryError(
            f"docker config names credential helper {name!r} for {host}, "
            f"but docker-credential-{name} is not on PATH; install it or remove it from config.json"
        )
    try:
        proc = subprocess.run([exe, "get"], input=host.encode(), capture_output=True, timeout=30, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RegistryError(f"credential helper docker-credential-{name} did not answer within 30 s") from exc
    if proc.returncode != 0:
        # A helper answers "credentials not found" on stdout with a non-zero code: treat as anonymous.
        return None
    try:
        doc = json.loads(proc.stdout)
        user, secret = doc["Username"], doc["Secret"]
    except (ValueError, KeyError, TypeError) as exc:
        raise RegistryError(f"credential helper docker-credential-{name} gave an unreadable answer") from exc
    if user == "<token>":
        return Credentials("", "", identity_token=secret, source=f"credential helper {name}")
    return Credentials(user, secret, source=f"credential helper {name}")


def from_docker_config(host: str, path: Path | None = None) -> Credentials | None:
    path = path or _docker_config_path()
    try:
        cfg = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise RegistryError(f"{path}: not valid JSON ({exc.__class__.__name__}); fix or remove it") from exc
    helpers = {_normalise_host(k): v for k, v in (cfg.get("credHelpers") or {}).items()}
    if host in helpers:
        return _helper(helpers[host], host)
    auths = {_normalise_host(k): v for k, v in (cfg.get("auths") or {}).items()}
    entry = auths.get(host)
    if entry:
        if entry.get("identitytoken"):
            return Credentials("", "", identity_token=entry["identitytoken"], source="docker config")
        if entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError) as exc:
                raise RegistryError(f"{path}: the auth entry for {host} is not base64 user:password") from exc
            return Credentials(user, password, source="docker config")
        if entry.get("username"):
            return Credentials(entry["username"], entry.get("password", ""), source="docker config")
    if cfg.get("credsStore"):
        return _helper(cfg["credsStore"], host)
    return None


def resolve_credentials(
    host: str, explicit: Credentials | None = None, env: t.Mapping[str, str] | None = None
) -> Credentials | None:
    """Credentials for ``host`` (``name[:port]``) or ``None`` for anonymous access."""
    if explicit is not None:
        return explicit
    env = os.environ if env is None else env
    user, password = env.get(ENV_USERNAME), env.get(ENV_PASSWORD)
    if user or password:
        if not (user and password is not None):
            raise RegistryError(f"set both {ENV_USERNAME} and {ENV_PASSWORD}, or neither")
        return Credentials(user, password, source=f"{ENV_USERNAME}/{ENV_PASSWORD}")
    return from_docker_config(host)
