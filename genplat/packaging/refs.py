"""References: ``registry/repo:tag``, ``registry/repo@sha256:…`` and ``oci:LAYOUT:TAG``."""

from __future__ import annotations

import dataclasses
import re

from genplat.core.digests import is_digest
from genplat.core.errors import UsageError

_REPO_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclasses.dataclass(frozen=True)
class RegistryRef:
    registry: str  # host[:port]
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def reference(self) -> str:
        """What goes after ``/manifests/``: the digest when known, else the tag."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        base = f"{self.registry}/{self.repository}"
        if self.tag:
            base += f":{self.tag}"
        if self.digest:
            base += f"@{self.digest}"
        return base


@dataclasses.dataclass(frozen=True)
class LayoutRef:
    layout: str
    tag: str


def check_repository(repo: str) -> str:
    if not _REPO_RE.match(repo):
        raise UsageError(f"{repo!r} is not a valid repository name (lowercase letters, digits, . _ - and /)")
    return repo


def check_tag(tag: str) -> str:
    if not _TAG_RE.match(tag):
        raise UsageError(f"{tag!r} is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)")
    return tag


def split_registry(prefix: str) -> tuple[str, str]:
    """``host[:port][/path]`` (an optional scheme is dropped) → (host[:port], path)."""
    prefix = re.sub(r"^(oci|https?)://", "", prefix.strip()).rstrip("/")
    host, _, path = prefix.partition("/")
    if not host:
        raise UsageError(f"{prefix!r} names no registry host")
    return host, path


def parse_ref(text: str) -> RegistryRef | LayoutRef:
    """Parse a pull reference; errors say which forms are accepted."""
    forms = "expected registry/repo:tag, registry/repo@sha256:<64 hex> or oci:LAYOUT:TAG"
    if text.startswith("oci:") and not text.startswith("oci://"):
        layout, sep, layout_tag = text[4:].rpartition(":")
        if not sep or not layout or not layout_tag:
            raise UsageError(f"{text!r}: {forms}")
        return LayoutRef(layout, layout_tag)
    host, rest = split_registry(text)
    if not rest:
        raise UsageError(f"{text!r} has no repository: {forms}")
    digest: str | None = None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not is_digest(digest):
            raise UsageError(f"{text!r}: {digest!r} is not a sha256 digest: {forms}")
    tag: str | None = None
    if ":" in rest.rsplit("/", 1)[-1]:
        rest, tag = rest.rsplit(":", 1)
        check_tag(tag)
    if tag is None and digest is None:
        raise UsageError(f"{text!r} has neither tag nor digest: {forms}")
    return RegistryRef(host, check_repository(rest), tag, digest)
