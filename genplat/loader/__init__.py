"""Load stage: find the project, read its blueprints safely, keep a line and column for every value."""

from __future__ import annotations

from genplat.loader.project import Blueprint, Project, blueprint_folder, find_project, load_project, output_folder

__all__ = ["Blueprint", "Project", "blueprint_folder", "find_project", "load_project", "output_folder"]
