"""The library entry points the CLI and users call."""

from __future__ import annotations

from ._project import Project, load_project
from ._validate import validate

__all__ = ["Project", "load_project", "validate"]
