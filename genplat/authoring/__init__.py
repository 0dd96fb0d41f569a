"""Authoring: the commands that write and edit the blueprints people own, before the pipeline runs.

This package sits in front of load → validate → resolve → render → check → write → package →
publish: ``genplat init`` writes a starter project, ``genplat tenant new`` a tenant blueprint,
``genplat set`` / ``set-image`` edit values and ``genplat fmt`` normalises layout. Every edit goes
through ruamel.yaml's round-trip mode, so comments, blank lines, quoting and key order outside the
edited values stay as they were, and the bytes that change are those of the edited lines only
(:func:`minimal_patch`). Every write is validated first with the whole project (load and validate,
reading the new text in place of the file on disk); when it would add an error the file is left
byte-identical.

Modules: ``_roundtrip`` (ruamel set-up, minimal patches), ``_paths`` (``spec.services[checkout].image``),
``_schema_paths`` (what the schema expects at a path), ``_edit`` (set, set-image), ``_fmt`` (canonical
order), ``_project_check`` (validate a project with files replaced), ``_starter`` and ``_init``
(``genplat init``), ``_tenant`` (``genplat tenant new``), ``_reference`` (docs/reference.md).
"""

from __future__ import annotations

from genplat.authoring._edit import Assignment, EditResult, parse_assignment, set_image, set_values
from genplat.authoring._files import write_file
from genplat.authoring._fmt import format_text
from genplat.authoring._init import init_project
from genplat.authoring._paths import PathError, parse_path
from genplat.authoring._project_check import new_errors, validate_with
from genplat.authoring._roundtrip import minimal_patch
from genplat.authoring._tenant import TenantRequest, new_tenant_text

__all__ = [
    "Assignment",
    "EditResult",
    "PathError",
    "TenantRequest",
    "format_text",
    "init_project",
    "minimal_patch",
    "new_errors",
    "new_tenant_text",
    "parse_assignment",
    "parse_path",
    "set_image",
    "set_values",
    "validate_with",
    "write_file",
]
