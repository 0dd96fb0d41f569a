"""The public API is exactly ``genplat.__all__`` (as httpx keeps it): no accidental exports, no stale names."""

from __future__ import annotations

import __future__
import types

import genplat


def _public_names() -> set[str]:
    return {
        name
        for name, value in vars(genplat).items()
        if not name.startswith("_")
        # Submodules appear as attributes once imported, and `from __future__ import annotations` binds a name.
        and not isinstance(value, (types.ModuleType, __future__._Feature))
    }


def test_all_imports_are_exported() -> None:
    assert len(genplat.__all__) == len(set(genplat.__all__)), "duplicates in __all__"
    assert set(genplat.__all__) == _public_names()


def test_exported_members_come_from_private_modules() -> None:
    """Users import from ``genplat``; the modules behind it are private and may move."""
    for name in genplat.__all__:
        module = getattr(genplat, name).__module__
        assert module.startswith("genplat._"), (name, module)


def test_documented_entry_points_exist() -> None:
    """The README's Library API section uses these: they must stay exported."""
    assert {"load_project", "validate", "Diagnostic", "Severity", "Project", "Blueprint"} <= set(genplat.__all__)
    assert callable(genplat.load_project) and callable(genplat.validate)
