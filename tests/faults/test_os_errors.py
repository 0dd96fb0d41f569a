"""Promise: when the machine refuses a write (disk full, a name too long, a file where a folder must
be), genplat says so in one line naming the path, with a hint, exit 3: never "internal error … a bug".

The long-name and clash cases are real file-system refusals; a full disk cannot be made here without
mounting one, so that case makes the layout writer fail as a full disk makes it fail (OSError ENOSPC).
"""

from __future__ import annotations

import errno
import os
import shutil
import typing as t
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO, run_genplat

pytestmark = pytest.mark.faults


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "blueprints")
    shutil.copytree(REPO / "out", tmp_path / "out", ignore=shutil.ignore_patterns(".oci", ".genplat"))
    return tmp_path


def _one_clear_line(code: int, stderr: str, *words: str) -> None:
    assert code == 3, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("genplat: error: ") and lines[1].startswith("  hint: "), stderr
    assert "internal error" not in stderr and "bug" not in stderr, stderr
    for word in words:
        assert word in lines[0], stderr


def test_a_name_too_long(project: Path) -> None:
    res = run_genplat("package", "-C", str(project), "--output", str(project / "out" / ("x" * 300)))
    _one_clear_line(res.code, res.stderr, "File name too long", str(project / "out"))


def test_a_file_where_a_folder_must_be(project: Path) -> None:
    (project / "out" / "afile").write_text("mine\n")
    res = run_genplat("package", "-C", str(project), "--output", str(project / "out" / "afile" / "layout"))
    _one_clear_line(res.code, res.stderr, str(project / "out" / "afile"))
    assert (project / "out" / "afile").read_text() == "mine\n"


def test_a_full_disk(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from genplat.packaging import layout  # the command imports write_layout from here when it runs

    def full(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(project / "out" / ".oci" / "blobs"))

    monkeypatch.setattr(layout, "write_layout", full)
    res = run_genplat("package", "-C", str(project))
    _one_clear_line(res.code, res.stderr, "No space left on device", ".oci")
    assert "free space" in res.stderr
