"""Rendered output held in memory until the atomic write: path → bytes, compressed once large."""

from __future__ import annotations

import typing as t
import zlib

# Rendered bytes beyond this are held zlib-compressed (level 1; YAML shrinks about ten times), so a
# build of 200,000 objects keeps tens of megabytes of output in memory instead of a hundred and more.
COMPRESS_AFTER = 32 * 1024 * 1024


def compress(data: bytes) -> bytes:
    return zlib.compress(data, 1)


class RenderedFiles(t.MutableMapping[str, bytes]):
    """Output path → bytes, compressed in memory once the total grows large. Iterates in insertion order."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[bool, bytes]] = {}
        self._raw = 0

    def __setitem__(self, key: str, value: bytes) -> None:
        if self._raw > COMPRESS_AFTER:
            self._data[key] = (True, compress(value))
        else:
            self._raw += len(value)
            self._data[key] = (False, value)

    def set_compressed(self, key: str, packed: bytes) -> None:
        """Store bytes another process already compressed with :func:`compress`."""
        self._data[key] = (True, packed)

    def __getitem__(self, key: str) -> bytes:
        packed, data = self._data[key]
        return zlib.decompress(data) if packed else data

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def bundle_view(self, bundle: str) -> t.Mapping[str, bytes]:
        """Paths inside one bundle → bytes, decompressed on access."""
        return _PrefixView(self, bundle + "/")


class _PrefixView(t.Mapping[str, bytes]):
    def __init__(self, files: RenderedFiles, prefix: str) -> None:
        self._files, self._prefix = files, prefix
        self._keys = [k[len(prefix) :] for k in files if k.startswith(prefix)]

    def __getitem__(self, key: str) -> bytes:
        return self._files[self._prefix + key]

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)
