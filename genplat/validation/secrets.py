"""Validate stage: no secret value written into a blueprint (only references, rendered as ExternalSecrets)."""

from __future__ import annotations

import re
import typing as t

from genplat.core.diagnostics import Diagnostic, Severity
from genplat.loader.project import Blueprint

_SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)", re.I)


# Names that say where a secret is or how it is used, not what it is: TOKEN_URL, SECRET_NAME, API_KEY_HEADER.
_SECRET_POINTER = re.compile(
    r"[_-]?(URL|URI|ENDPOINT|HOST|PATH|FILE|DIR|NAME|HEADER|TTL|TIMEOUT|EXPIRY|LENGTH|TYPE|MODE|ENABLED)$", re.I
)


# A Tekton parameter or context reference, e.g. $(params.token): it names a value, it is not one.
_REFERENCE = re.compile(r"\$\([A-Za-z0-9_.\-\[\]'\"]+\)")


_SECRET_VALUE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}|\bxox[abp]-[A-Za-z0-9-]{10,}"
)


def check_inline_secrets(blueprints: list[Blueprint]) -> list[Diagnostic]:
    out = []
    for bp in blueprints:
        out += _inline_secrets(bp, bp.data, ())
    return out


def _inline_secrets(bp: Blueprint, node: t.Any, path: tuple[str | int, ...]) -> list[Diagnostic]:
    """Secret values never belong in blueprints: only references do."""
    out: list[Diagnostic] = []
    if isinstance(node, dict):
        in_secret_list = len(path) >= 2 and path[-2] == "secrets" and isinstance(path[-1], int)
        for key, value in node.items():
            here = (*path, key)
            if in_secret_list and key in ("value", "stringData", "data"):
                out.append(
                    bp.diagnostic(
                        "inline-secret",
                        "a secret reference holds a value; only a reference (key, property) is allowed",
                        here,
                        key=True,
                        hint="store the value in the secret store and give its key",
                    )
                )
                continue
            if (
                len(path) >= 1
                and path[-1] in ("env", "parameters", "params")
                and isinstance(key, str)
                and _SECRET_NAME.search(key)
                and not _SECRET_POINTER.search(key)
                and isinstance(value, str)
                and value
                and not _REFERENCE.fullmatch(value)
            ):
                out.append(
                    bp.diagnostic(
                        "inline-secret",
                        f"{key!r} looks like a secret written inline",
                        here,
                        hint="put the value in the secret store and reference it under services[].secrets",
                    )
                )
                continue
            out += _inline_secrets(bp, value, here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out += _inline_secrets(bp, item, (*path, i))
    elif isinstance(node, str) and _SECRET_VALUE.search(node):
        out.append(
            Diagnostic(
                rule="inline-secret",
                message="this value looks like a private key or access token",
                severity=Severity.ERROR,
                **_where(bp, path),
                hint="secret values never belong in blueprints: use a secret reference",
            )
        )
    return out


def _where(bp: Blueprint, path: tuple[str | int, ...]) -> dict[str, t.Any]:
    o = bp.origin(path)
    return {"file": o.file, "line": o.line, "column": o.column, "path": o.path}
