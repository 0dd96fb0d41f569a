"""Authoring: the commands that write and edit the blueprints people own, before the pipeline runs.

This package sits in front of load → validate → resolve → render → check → write → package →
publish: ``genplat init`` writes a starter project, ``genplat tenant new`` a tenant blueprint,
``genplat set`` / ``set-image`` edit values, ``genplat add`` / ``remove`` / ``move`` edit lists (and
``genplat env|cluster|service|resource add|remove`` take the usual growth steps with what the platform
offers), and ``genplat fmt`` normalises layout. Every edit goes
through ruamel.yaml's round-trip mode, so comments, blank lines, quoting and key order outside the
edited values stay as they were, and the bytes that change are those of the edited lines only
(:func:`minimal_patch`). Every write is validated first with the whole project (load and validate,
reading the new text in place of the file on disk); when it would add an error the file is left
byte-identical.

Modules: ``_roundtrip`` (ruamel set-up, minimal patches), ``_paths`` (``spec.services[checkout].image``),
``_schema_paths`` (what the schema expects at a path), ``_edit`` (set, set-image), ``_lists`` (list
items edited on the text), ``_blocks`` (where an item's lines begin and end; new values in the file's
style), ``_items`` (the items growth commands write), ``_grow`` (add, remove, move and the growth
commands), ``_fmt`` (canonical order), ``_project_check`` (validate a project with files replaced),
``_starter``, ``_init`` and ``_wheel`` (``genplat init`` and the wheel CI installs), ``_tenant``
(``genplat tenant new``), ``_reference`` (docs/reference.md).
"""

from __future__ import annotations

from genplat.authoring._edit import Assignment, EditResult, line_changes, parse_assignment, set_image, set_values
from genplat.authoring._files import write_file
from genplat.authoring._fmt import format_text
from genplat.authoring._grow import (
    ClusterOptions,
    ServiceOptions,
    add_cluster,
    add_environment,
    add_item,
    add_resource,
    add_service,
    move_item,
    remove_cluster,
    remove_environment,
    remove_item,
    remove_tenant_item,
)
from genplat.authoring._init import InitResult, init_project, pin_project
from genplat.authoring._lists import Where
from genplat.authoring._paths import PathError, parse_path
from genplat.authoring._project_check import new_errors, validate_with
from genplat.authoring._roundtrip import minimal_patch
from genplat.authoring._tenant import TenantRequest, new_tenant_text

__all__ = [
    "Assignment",
    "ClusterOptions",
    "EditResult",
    "InitResult",
    "PathError",
    "ServiceOptions",
    "TenantRequest",
    "Where",
    "add_cluster",
    "add_environment",
    "add_item",
    "add_resource",
    "add_service",
    "format_text",
    "init_project",
    "line_changes",
    "minimal_patch",
    "move_item",
    "new_errors",
    "new_tenant_text",
    "parse_assignment",
    "parse_path",
    "pin_project",
    "remove_cluster",
    "remove_environment",
    "remove_item",
    "remove_tenant_item",
    "set_image",
    "set_values",
    "validate_with",
    "write_file",
]
