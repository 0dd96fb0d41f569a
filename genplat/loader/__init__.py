"""Load stage: find the project, read its blueprints safely, keep a line and column for every value."""

from __future__ import annotations

from genplat.loader.project import Blueprint, Project, find_blueprint_root, load_project

__all__ = ["Blueprint", "Project", "find_blueprint_root", "load_project"]
