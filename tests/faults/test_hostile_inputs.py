"""Hostile files and templates: every one is a clear finding at its file and line, never a hang,
a crash, an injected line of output, or a value that silently becomes null."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.faults
GENPLAT = Path(sys.executable).with_name("genplat")
REPO = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    return tmp_path


def _genplat(
    *args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(GENPLAT), *args],
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "GENPLAT_FSYNC": "0", **(env or {})},
    )


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "outside"])
def test_special_and_outside_files_are_findings(tmp_path: Path, kind: str) -> None:
    """Promise: a FIFO, a symlink to /dev/zero or to a file outside the project is refused with one
    finding at once (no hang, no MemoryError), by validate and by build."""
    project = _project(tmp_path / "p")
    target = project / "blueprints/tenants/x.yaml"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        outside = tmp_path / "elsewhere.yaml"
        outside.write_bytes(
            (project / "blueprints/tenants/globex.yaml").read_bytes().replace(b"name: globex", b"name: x")
        )
        target.symlink_to(outside)
    for cmd in ("validate", "build"):
        start = time.monotonic()
        proc = _genplat(cmd, *(["blueprints"] if cmd == "validate" else []), cwd=project, timeout=60)
        assert time.monotonic() - start < 30
        err = (proc.stdout + proc.stderr).decode()
        assert proc.returncode == 1, err
        assert "blueprints/tenants/x.yaml: error[file-unreadable]" in err, err
        assert "internal error" not in err and "MemoryError" not in err
    assert not (project / "out").exists()


def test_non_utf8_and_newline_file_names_are_escaped(tmp_path: Path) -> None:
    """Promise: file names are shown escaped in text, GitHub annotations and JSON: a name with a
    newline and `::error` forges no line, a non-UTF-8 name builds (no UnicodeEncodeError)."""
    project = _project(tmp_path / "p")
    tenants = os.fsencode(project / "blueprints/tenants")
    good = (project / "blueprints/tenants/globex.yaml").read_bytes()
    with open(os.path.join(tenants, b"caf\xe9.yaml"), "wb") as f:
        # A renamed copy: its host names move under its own suffix (a name is one tenant's only).
        f.write(good.replace(b"globex", b"cafe").replace(b"cafe.example", b"cafe.apps.acme.example"))
    proc = _genplat("build", cwd=project)
    assert proc.returncode == 0, proc.stderr.decode()
    evil = os.path.join(tenants, b"a\n::error file=x.yaml::forged\x1b[31m.yaml")
    with open(evil, "wb") as f:
        f.write(b"kind: [\n")
    for fmt in ("text", "github"):
        proc = _genplat("validate", "blueprints", "--format", fmt, cwd=project)
        assert proc.returncode == 1
        for line in (proc.stdout + proc.stderr).decode().splitlines():
            assert not line.startswith("::error file=x.yaml"), line
            assert "\x1b" not in line
        assert "a\\n::error" in (proc.stdout + proc.stderr).decode()
    proc = _genplat("validate", "blueprints", "--format", "json", cwd=project)
    doc = json.loads(proc.stdout)
    assert any(d["file"].endswith("a\\n::error file=x.yaml::forged\\x1b[31m.yaml") for d in doc["diagnostics"])


TEMPLATES = {
    "undefined": ("x: {{ platform.no_such_key }}", 6, "undefined value"),
    "attr-class": ("x: {{ ''|attr('__class__') }}", 6, "forbids"),
    "item-class": ("x: {{ ''['__class__'] }}", 6, "forbids"),
    "nested-range": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", 6, "budget"),
    "power": ("x: {{ 7 ** 100000000 }}", 6, "bits"),
    "repeat": ("x: {{ 'x' * 1000000000 }}", 6, "bytes"),
    "center": ("x: {{ 'x'|center(1000000000) }}", 6, "limited"),
    "mutate": ("x: {{ platform.spec.setdefault('tenants', []).append(1) }}", 6, "forbids"),
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_hostile_templates_are_findings_at_their_line(tmp_path: Path, name: str) -> None:
    """Promise: strict, bounded, read-only templates: each case is a template-error at the template's
    own line within seconds, and nothing is written."""
    body, line, words = TEMPLATES[name]
    project = _project(tmp_path / "p")
    tdir = project / "blueprints/templates/tenant"
    tdir.mkdir(parents=True)
    (tdir / "t.yaml.j2").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n  namespace: {{{{ namespace }}}}\n{body}\n"
    )
    start = time.monotonic()
    proc = _genplat("build", "-j1", cwd=project, timeout=120)
    err = proc.stdout.decode() + proc.stderr.decode()
    assert time.monotonic() - start < 60
    assert proc.returncode == 1, err
    assert f"blueprints/templates/tenant/t.yaml.j2:{line}:1: error[template-error]" in err, err
    assert words in err, err
    assert not (project / "out").exists()


def test_templates_cannot_make_output_depend_on_jobs(tmp_path: Path) -> None:
    """Promise: output never depends on --jobs: a template sees its own copy of the context, so
    what one render does is invisible to the next (here: `|list` of a shared list is a copy)."""
    project = _project(tmp_path / "p")
    tdir = project / "blueprints/templates/tenant"
    tdir.mkdir(parents=True)
    (tdir / "t.yaml.j2").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n  namespace: {{ namespace }}\n"
        "data:\n  seen: {{ tenant.name ~ (platform.spec.keys()|list|length|string) }}\n"
    )
    a, b = tmp_path / "a", tmp_path / "b"
    assert _genplat("build", "-j1", "-o", str(a), "--full", cwd=project).returncode == 0
    assert _genplat("build", "-j2", "-o", str(b), "--full", cwd=project).returncode == 0
    files = lambda root: {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".genplat" not in p.parts
    }
    assert files(a) == files(b)
