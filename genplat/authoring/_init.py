"""``genplat init [DIR]``: write the starter project (see :mod:`._starter`)."""

from __future__ import annotations

import os
from pathlib import Path

from genplat.authoring._files import write_file
from genplat.authoring._starter import FILES
from genplat.core.errors import UsageError
from genplat.validation.schema import schema_text


def starter_files(name: str) -> dict[str, str]:
    files = {path: text.replace("{name}", name) if path == "README.md" else text for path, text in FILES.items()}
    files["schemas/platform.schema.json"] = schema_text("platform")
    files["schemas/tenant.schema.json"] = schema_text("tenant")
    return dict(sorted(files.items()))


def init_project(directory: Path, *, force: bool = False) -> list[str]:
    """Write the starter project into ``directory`` (created if missing); the paths written.

    A folder that holds anything is refused unless ``force``; even then, existing files with a
    starter file's name are the only ones replaced.
    """
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: exists and is not a folder")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise UsageError(
            f"{directory}: the folder is not empty", hint="run genplat init in an empty folder, or pass --force"
        )
    name = directory.resolve().name or "platform"
    files = starter_files(name)
    for rel, text in files.items():
        write_file(directory / rel, text.encode("utf-8"))
    return list(files)


def display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
