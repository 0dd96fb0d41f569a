"""The library entry points the CLI and users call."""

from __future__ import annotations

from genplat.loader.project import Project, load_project
from genplat.validation.blueprints import validate

__all__ = ["Project", "load_project", "validate"]
