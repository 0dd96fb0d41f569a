"""``out/genplat.lock.json``: every bundle, the sha256 of each of its files, a content hash per bundle
and, once packaged, its OCI digests.

Shape (JSON, keys sorted, two-space indent, ASCII, trailing newline, so the same build gives the
same bytes and a diff of the lock file reads well)::

    {
      "bundles": {
        "<env>/<cluster>": {
          "contentHash": "sha256:<hex>",
          "files": {"<path inside the bundle>": "sha256:<hex>", ...},
          "oci": {"<format, e.g. flux or imgpkg>": "sha256:<hex>", ...}     (only when known)
        }
      },
      "files": {"<other output file, e.g. _gitops/flux/dev-dev-eu.yaml>": "sha256:<hex>", ...},
      "secretAllowances": [{"reason": "...", "sha256": "<hex of the value>"}, ...],   (only when any)
      "version": 1
    }

``secretAllowances`` are the platform's ``spec.secrets.allow`` entries (the value's sha256, never the
value), so ``genplat check``, ``package`` and ``push`` let the same values pass as the build did without
reading the blueprints.

``contentHash`` is the sha256 of the text made of one line per file, sorted by path (code point
order, which is also UTF-8 byte order), each line ``<hex sha256 of the file>  <path>\\n`` (two
spaces): exactly what ``sha256sum`` prints. So it can be checked by hand::

    cd out/<env>/<cluster> && find . -type f -printf '%P\\0' | LC_ALL=C sort -z \\
      | xargs -0 sha256sum | sha256sum

It depends on file names and bytes only (not on modes, times or packaging), so it identifies a
bundle's content across machines and before any OCI push.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing as t
from pathlib import Path

from genplat.core.digests import is_digest, sha256_digest
from genplat.core.secrets import Allowances, value_digest
from genplat.output.paths import check_relpath

__all__ = [
    "LOCKFILE_NAME",
    "LOCK_VERSION",
    "content_hash",
    "content_hash_of_digests",
    "file_digest",
    "make_lockfile",
    "read_secret_allowances",
    "secret_allowances_for",
]

LOCKFILE_NAME = "genplat.lock.json"
LOCK_VERSION = 1

# OCI image-spec digest grammar: algorithm ":" encoded.
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+\Z")


def file_digest(data: bytes) -> str:
    """``sha256:<hex>`` of one file's bytes."""
    return sha256_digest(data)


def content_hash_of_digests(digests: t.Mapping[str, str]) -> str:
    """A bundle's content hash from its files' ``sha256:<hex>`` digests (see the module docstring)."""
    h = hashlib.sha256()
    for path in sorted(digests):
        digest = digests[path]
        if not is_digest(digest):
            raise ValueError(f"digest of {path!r} is {digest!r}, expected sha256:<64 hex digits>")
        h.update(f"{digest[7:]}  {path}\n".encode())
    return "sha256:" + h.hexdigest()


def content_hash(files: t.Mapping[str, bytes]) -> str:
    """A bundle's content hash from its files' bytes."""
    return content_hash_of_digests({check_relpath(p): file_digest(data) for p, data in files.items()})


def make_lockfile(
    bundles: t.Mapping[str, t.Mapping[str, bytes]],
    *,
    oci_digests: t.Mapping[str, t.Mapping[str, str]] | None = None,
    other_files: t.Mapping[str, bytes] | None = None,
    secret_allowances: t.Mapping[str, str] | None = None,
) -> bytes:
    """The lock file's bytes for ``{"<env>/<cluster>": {path inside bundle: bytes}}``.

    ``oci_digests`` maps a bundle to ``{format: digest}`` (e.g. ``{"flux": "sha256:…"}``); every
    bundle it names must be in ``bundles``.
    """
    out: dict[str, t.Any] = {}
    for name, files in bundles.items():
        check_relpath(name)
        digests = {}
        for path, data in files.items():
            check_relpath(path)
            if not isinstance(data, bytes):
                raise TypeError(f"content of {name}/{path} is a {type(data).__name__}, expected bytes")
            digests[path] = file_digest(data)
        out[name] = {"contentHash": content_hash_of_digests(digests), "files": digests}
    for name, formats in (oci_digests or {}).items():
        if name not in out:
            raise ValueError(f"OCI digests given for unknown bundle {name!r}")
        oci = {}
        for fmt, digest in formats.items():
            if not isinstance(fmt, str) or not fmt:
                raise ValueError(f"bundle {name!r}: OCI format name {fmt!r} must be a non-empty string")
            if (
                not isinstance(digest, str)
                or not _DIGEST.match(digest)
                or (digest.startswith("sha256:") and not is_digest(digest))
            ):
                raise ValueError(f"bundle {name!r}: {fmt} digest {digest!r} is not an OCI digest")
            oci[fmt] = digest
        if oci:
            out[name]["oci"] = oci
    doc: dict[str, t.Any] = {"version": LOCK_VERSION, "bundles": out}
    if other_files:
        doc["files"] = {check_relpath(p): file_digest(d) for p, d in other_files.items()}
    if secret_allowances:
        doc["secretAllowances"] = sorted(
            ({"sha256": value_digest(v), "reason": r} for v, r in secret_allowances.items()),
            key=lambda e: (e["sha256"], e["reason"]),
        )
    text = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=True)
    return (text + "\n").encode("ascii")


def read_secret_allowances(out_dir: Path) -> Allowances:
    """The allowances the build recorded in ``out_dir``'s lock file (none when it has no lock file)."""
    try:
        doc = json.loads((out_dir / LOCKFILE_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return Allowances()
    entries = doc.get("secretAllowances") if isinstance(doc, dict) else None
    digests = {
        e["sha256"]: e["reason"]
        for e in (entries if isinstance(entries, list) else ())
        if isinstance(e, dict) and isinstance(e.get("sha256"), str) and isinstance(e.get("reason"), str)
    }
    return Allowances(digests=digests)


def secret_allowances_for(paths: t.Iterable[Path]) -> Allowances:
    """The allowances recorded by the build whose out/ holds ``paths`` (the nearest lock file above each)."""
    digests: dict[str, str] = {}
    for path in paths:
        for folder in [Path(path), *Path(path).parents][:4]:
            if (folder / LOCKFILE_NAME).is_file():
                digests.update(read_secret_allowances(folder).digests)
                break
    return Allowances(digests=digests)
