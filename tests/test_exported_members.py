"""The public API is exactly ``genplat.__all__`` (as httpx keeps it): no accidental exports, no stale names."""

from __future__ import annotations

import subprocess
import sys

import pytest

import genplat


def test_every_exported_name_resolves_to_its_defining_module() -> None:
    assert len(genplat.__all__) == len(set(genplat.__all__)), "duplicates in __all__"
    for name in genplat.__all__:
        value = getattr(genplat, name)
        # Loaded lazily from the stage that defines it.
        module = getattr(value, "__module__", "")
        assert module == genplat._EXPORTS[name] or module.startswith(genplat._EXPORTS[name] + "."), (name, module)


def test_nothing_else_is_public() -> None:
    assert set(dir(genplat)) - {n for n in dir(genplat) if n.startswith("_")} >= set(genplat.__all__)
    with pytest.raises(AttributeError):
        genplat.not_an_export  # noqa: B018


def test_documented_entry_points_exist() -> None:
    """The README's Library API section uses these: they must stay exported."""
    assert {
        "load_project",
        "validate",
        "render",
        "build",
        "check",
        "package",
        "Diagnostic",
        "Severity",
        "Project",
        "Blueprint",
    } <= set(genplat.__all__)
    assert all(
        callable(getattr(genplat, n)) for n in ("load_project", "validate", "render", "build", "check", "package")
    )


def test_a_fresh_interpreter_loads_exports_on_first_use() -> None:
    code = (
        "import sys, genplat; assert 'genplat.pipeline' not in sys.modules; genplat.render; "
        "assert 'genplat.pipeline' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
