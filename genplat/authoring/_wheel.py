"""The wheel of the running genplat, for a project's CI to install exactly the genplat that wrote it.

No package index serves genplat yet, so ``genplat init`` keeps the wheel in the project (``.genplat/``)
and the CI workflow installs that file, checked against the sha256 the workflow pins. The wheel is
packed from the installed package, whether it came from a wheel or a checkout: the package's files
(what ``pyproject.toml`` ships: ``*.py`` and the data files) and the distribution's metadata, in a
reproducible zip (sorted entries, fixed times and modes), so the same genplat gives the same bytes.
``constraints.txt`` beside it pins the versions of genplat's dependencies installed here, the ones this
genplat ran with.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import re
import zipfile
from pathlib import Path

SHIPPED = (".py", ".json", ".yaml", ".toml", ".j2")  # pyproject.toml's package data, and the code
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def package_files() -> dict[str, bytes]:
    """Every file the genplat package ships, by its path in a wheel (``genplat/...``)."""
    root = Path(__file__).resolve().parents[1]  # the genplat package this module is part of
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root.parent).as_posix()
        if path.is_file() and "__pycache__" not in path.parts and (path.suffix in SHIPPED or path.name == "py.typed"):
            out[rel] = path.read_bytes()
    return out


def own_wheel() -> tuple[str, bytes]:
    """(file name, bytes) of a wheel of the running genplat."""
    dist = importlib.metadata.distribution("genplat")
    version = dist.version
    info = f"genplat-{version}.dist-info"
    files = package_files()
    metadata = dist.read_text("METADATA") or f"Metadata-Version: 2.1\nName: genplat\nVersion: {version}\n"
    files[f"{info}/METADATA"] = metadata.encode("utf-8")
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: genplat init\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    entry_points = dist.read_text("entry_points.txt") or "[console_scripts]\ngenplat = genplat.cli:main\n"
    files[f"{info}/entry_points.txt"] = entry_points.encode("utf-8")
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in sorted(files.items()))
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(files, key=lambda n: (n.startswith(info), n)):  # dist-info last, as wheels put it
            entry = zipfile.ZipInfo(name, date_time=_EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, files[name])
    return f"genplat-{version}-py3-none-any.whl", buffer.getvalue()


def constraints() -> str:
    """``name==version`` of every installed dependency of genplat (recursively), for ``pip install -c``."""
    seen: dict[str, str] = {}
    todo = ["genplat"]
    while todo:
        name = todo.pop()
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an optional or platform-specific dependency not installed here
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue
            dep = re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]
            key = re.sub(r"[-_.]+", "-", dep).lower()
            if key and key not in seen and key != "genplat":
                try:
                    seen[key] = importlib.metadata.distribution(dep).version
                except importlib.metadata.PackageNotFoundError:
                    continue
                todo.append(dep)
    return "".join(f"{k}=={v}\n" for k, v in sorted(seen.items()))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
