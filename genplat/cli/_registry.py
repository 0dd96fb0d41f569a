"""Registry options and clients shared by push, pull, sign, verify and diff."""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

import click
import yaml

from genplat.cli._choices import REGISTRY_TIMEOUT
from genplat.core.errors import UsageError
from genplat.loader.project import PLATFORM_FILE

if t.TYPE_CHECKING:
    from genplat.publish.registry import RegistryClient


def registry_options(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """Connection and credential options shared by push and pull."""
    for opt in reversed(
        [
            click.option("--insecure", is_flag=True, help="The registry serves plain HTTP."),
            click.option(
                "--ca-file",
                type=click.Path(dir_okay=False, exists=True),
                default=None,
                help="CA certificate(s) (PEM) that signed the registry's TLS certificate.",
            ),
            click.option("--username", default=None, help="User name; the password is read from stdin."),
            click.option("--password-stdin", is_flag=True, help="Read the password (or token) from standard input."),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.5),
                default=REGISTRY_TIMEOUT,
                show_default=True,
                envvar="GENPLAT_REGISTRY_TIMEOUT",
                help="Seconds each registry operation may take, retries included.",
            ),
        ]
    ):
        f = opt(f)
    return f


def make_client(
    host: str,
    *,
    insecure: bool,
    ca_file: str | None,
    username: str | None,
    password_stdin: bool,
    timeout: float,
    password: str | None = None,
) -> RegistryClient:
    # deferred: --help and shell completion import this module; the library loads only when the command runs
    from genplat.publish.auth import Credentials, resolve_credentials
    from genplat.publish.registry import RegistryClient  # deferred, as above

    explicit = None
    if password_stdin or username:
        if not (password_stdin and username):
            raise UsageError("--username and --password-stdin go together")
        if password is None:
            password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin: nothing on standard input")
        explicit = Credentials(username, password, source="--username/--password-stdin")
    creds = resolve_credentials(host, explicit)
    return RegistryClient(host, insecure=insecure, ca_file=ca_file, credentials=creds, timeout=timeout)


def blueprint_registry(blueprints: Path) -> str | None:
    path = blueprints / PLATFORM_FILE if blueprints.is_dir() else blueprints
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except yaml.YAMLError as exc:
        raise UsageError(
            f"{path}: not valid YAML ({exc.__class__.__name__}); fix it (genplat validate shows where) or pass --registry"
        ) from exc
    spec = doc.get("spec") if isinstance(doc, dict) else None
    reg = spec.get("registry") if isinstance(spec, dict) else None
    return reg if isinstance(reg, str) and reg else None
