"""Mirrors: fetch what an upstream host serves from another host instead.

A mirror maps an upstream host to a base URL, ``proxy.golang.org=https://goproxy.corp.example`` or
``ghcr.io=http://127.0.0.1:5000/ghcr``: an HTTP source's URL keeps its path (and query) under the base,
an OCI reference's repository goes under the base's path on the mirror registry (plain HTTP when the
base says ``http://``). Mirrors change where bytes come from, never what they must be: the lock records
the upstream reference and digest, and what a mirror serves is checked against them.

Mirrors come from ``--mirror HOST=URL`` (repeatable) and ``GENPLAT_MIRRORS`` (the same, separated by
commas or white space); the command line wins for a host named in both.
"""

from __future__ import annotations

import dataclasses
import os
import re
import typing as t
import urllib.parse

from genplat.core.errors import UsageError

ENV = "GENPLAT_MIRRORS"
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]+)?$")


@dataclasses.dataclass(frozen=True, slots=True)
class Mirror:
    host: str  # the upstream host (with a port when it has one)
    scheme: str  # of the mirror: http or https
    netloc: str  # the mirror's host[:port]
    path: str  # the mirror's base path, without a trailing slash

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.path}"


@dataclasses.dataclass(frozen=True, slots=True)
class OciLocation:
    """Where an OCI repository is fetched from: the registry host, the repository there, plain HTTP or not."""

    host: str
    repository: str
    insecure: bool


class Mirrors:
    def __init__(self, mirrors: t.Iterable[Mirror] = ()) -> None:
        self._by_host = {m.host.lower(): m for m in mirrors}

    def __bool__(self) -> bool:
        return bool(self._by_host)

    def __iter__(self) -> t.Iterator[Mirror]:
        return iter(self._by_host.values())

    @classmethod
    def parse(cls, specs: t.Iterable[str], *, env: t.Mapping[str, str] | None = None) -> Mirrors:
        """Mirrors from ``HOST=URL`` strings after those of ``GENPLAT_MIRRORS`` (the strings win)."""
        env = os.environ if env is None else env
        from_env = [s for s in re.split(r"[\s,]+", env.get(ENV, "")) if s]
        found: dict[str, Mirror] = {}
        for origin, group in ((ENV, from_env), ("--mirror", list(specs))):
            for spec in group:
                mirror = parse_mirror(spec, origin=origin)
                found[mirror.host.lower()] = mirror
        return cls(found.values())

    def url(self, url: str) -> str:
        """``url`` as fetched through its host's mirror (unchanged when its host has none)."""
        parts = urllib.parse.urlsplit(url)
        mirror = self._by_host.get(parts.netloc.lower())
        if mirror is None:
            return url
        return urllib.parse.urlunsplit((mirror.scheme, mirror.netloc, mirror.path + parts.path, parts.query, ""))

    def oci(self, host: str, repository: str) -> OciLocation:
        mirror = self._by_host.get(host.lower())
        if mirror is None:
            return OciLocation(host, repository, insecure=False)
        prefix = mirror.path.strip("/")
        return OciLocation(mirror.netloc, f"{prefix}/{repository}" if prefix else repository, mirror.scheme == "http")


def parse_mirror(spec: str, *, origin: str = "--mirror") -> Mirror:
    host, sep, url = spec.partition("=")
    host, url = host.strip(), url.strip()
    hint = "write HOST=URL, e.g. proxy.golang.org=https://goproxy.example.com or ghcr.io=http://127.0.0.1:5000"
    if not sep or not host or not url:
        raise UsageError(f"{origin}: {spec!r} is not HOST=URL", hint=hint)
    if not _HOST.match(host):
        raise UsageError(f"{origin}: {host!r} is not a host name (with an optional port)", hint=hint)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UsageError(f"{origin}: the mirror of {host} must be an http:// or https:// URL, not {url!r}", hint=hint)
    if parts.username or parts.password:
        raise UsageError(
            f"{origin}: the mirror of {host} carries credentials in its URL; refusing to put them in messages",
            hint="registries take credentials from docker login or GENPLAT_REGISTRY_USERNAME/PASSWORD",
        )
    return Mirror(host, parts.scheme, parts.netloc, parts.path.rstrip("/"))
