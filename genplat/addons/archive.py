"""What a source's download holds: files read safely out of zips and tarballs, and which of them are CRDs.

Nothing here writes an archive's entries to disk by their names (CRD files are stored by digest), but an
archive that could harm a tool that did is refused all the same, so a hostile upstream or mirror is
noticed: entries with absolute paths, ``..``, backslashes or NUL, links, devices, duplicate names, more
than :data:`MAX_ENTRIES` entries, or contents that expand past the bound (zip bombs). Tarballs go through
the packaging stage's reader (:func:`genplat.packaging.tar.read_targz`), which refuses the same.

A file is kept when one of its YAML documents is a ``CustomResourceDefinition``; its bytes stay as they
came, so the lock's digests can be compared with upstream's files. YAML aliases are refused in CRD
files (no upstream CRD uses them, and expanding them is how a small file becomes a huge schema).
"""

from __future__ import annotations

import io
import stat
import typing as t
import zipfile

import yaml

from genplat.core.addons import glob_match
from genplat.packaging.tar import UnsafeArchiveError, check_member_name, read_targz

MAX_ENTRIES = 200_000
#: What the selected files of one archive may add up to once expanded.
MAX_EXPANDED = 512 << 20
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def kind_of(data: bytes) -> str:
    """``zip``, ``tar.gz`` or ``file``, by the first bytes."""
    if data[:2] == b"\x1f\x8b":
        return "tar.gz"
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return "zip"
    return "file"


def read_zip(data: bytes, *, prefix: str = "", max_bytes: int = MAX_EXPANDED) -> dict[str, bytes]:
    """The regular files of a zip under ``prefix`` (which is cut off), refusing anything hostile anywhere
    in the archive. Only files under the prefix are expanded, within ``max_bytes`` in total."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise UnsafeArchiveError(f"not a valid zip archive: {exc}") from None
    if len(infos) > MAX_ENTRIES:
        raise UnsafeArchiveError(f"archive holds more than {MAX_ENTRIES} entries; refusing")
    seen: set[str] = set()
    wanted: list[tuple[str, zipfile.ZipInfo]] = []
    declared = 0
    for info in infos:
        name = check_member_name(info.filename)
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip records no Unix file type
        if kind == stat.S_IFLNK:
            raise UnsafeArchiveError(f"archive entry {info.filename!r} is a link; refusing")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise UnsafeArchiveError(f"archive entry {info.filename!r} is a device or special file; refusing")
        if info.is_dir():
            continue
        if name in seen:
            raise UnsafeArchiveError(f"archive entry {name!r} appears twice; refusing")
        seen.add(name)
        if prefix and not name.startswith(prefix):
            continue
        declared += info.file_size
        if declared > max_bytes:
            raise UnsafeArchiveError(f"archive expands past the limit of {max_bytes:,} bytes; refusing")
        wanted.append((name[len(prefix) :], info))
    out: dict[str, bytes] = {}
    total = 0
    for name, info in wanted:
        try:
            with zf.open(info) as fh:
                # Never trust the declared size: read one byte past what is left of the bound.
                body = fh.read(max_bytes - total + 1)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
            raise UnsafeArchiveError(f"archive entry {name!r} cannot be read: {exc}") from None
        total += len(body)
        if total > max_bytes or len(body) != info.file_size:
            raise UnsafeArchiveError(f"archive entry {name!r} expands past its declared size; refusing")
        out[name] = body
    return out


def read_tar(data: bytes, *, max_bytes: int = MAX_EXPANDED) -> dict[str, bytes]:
    """The regular files of a tar.gz (links, devices and traversal refused by the packaging reader)."""
    return {name: body for name, (body, _mode) in read_targz(data, max_bytes=max_bytes).items()}


def select(files: t.Mapping[str, bytes], globs: t.Sequence[str]) -> dict[str, bytes]:
    """The files whose path matches one of ``globs``."""
    return {path: body for path, body in sorted(files.items()) if any(glob_match(g, path) for g in globs)}


def crd_documents(data: bytes, name: str) -> list[dict[str, t.Any]]:
    """The CustomResourceDefinitions in one file (empty when it holds none, or is not YAML at all)."""
    if not name.endswith((".yaml", ".yml", ".json")):
        return []
    if _has_aliases(data):
        raise UnsafeArchiveError(f"{name} uses YAML aliases; refusing it (CRD files never need them)")
    try:
        docs = list(yaml.load_all(data, Loader=_LOADER))
    except (yaml.YAMLError, ValueError):
        return []
    out: list[dict[str, t.Any]] = []
    for doc in docs:
        items = doc.get("items") if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") else [doc]
        for item in items if isinstance(items, list) else []:
            if (
                isinstance(item, dict)
                and item.get("kind") == "CustomResourceDefinition"
                and str(item.get("apiVersion", "")).startswith("apiextensions.k8s.io/")
            ):
                out.append(item)
    return out


def _has_aliases(data: bytes) -> bool:
    if b"&" not in data and b"*" not in data:
        return False
    try:
        return any(isinstance(ev, yaml.AliasEvent) for ev in yaml.parse(data, Loader=_LOADER))
    except yaml.YAMLError:
        return False


def served(docs: t.Iterable[dict[str, t.Any]]) -> dict[str, tuple[str, ...]]:
    """``"Kind.group"`` → the versions the CRDs serve."""
    out: dict[str, set[str]] = {}
    for doc in docs:
        spec: dict[str, t.Any] = doc["spec"] if isinstance(doc.get("spec"), dict) else {}
        names: dict[str, t.Any] = spec["names"] if isinstance(spec.get("names"), dict) else {}
        group, kind = spec.get("group"), names.get("kind")
        if not isinstance(group, str) or not isinstance(kind, str):
            continue
        versions = out.setdefault(f"{kind}.{group}", set())
        for v in spec.get("versions") or []:
            if isinstance(v, dict) and isinstance(v.get("name"), str) and v.get("served", True) is not False:
                versions.add(v["name"])
        if not spec.get("versions") and isinstance(spec.get("version"), str):  # apiextensions v1beta1
            versions.add(spec["version"])
    return {k: tuple(sorted(v)) for k, v in sorted(out.items())}
