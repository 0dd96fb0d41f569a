"""Semantic diff of rendered output: what a change does to every cluster, without a cluster.

Library API (no click, no printing)::

    diff(base="HEAD", head=None, *, project=".", use_committed_output=False, bundles=()) -> DiffResult
    read_output(folder, label=None) -> Snapshot            # an output folder, bytes only
    diff_snapshots(base, head) -> DiffResult               # the engine
    format_text(result, color=False) / format_markdown(result, max_chars=65536) / format_json(result)
    to_dict(result) -> dict                                # the JSON form (docs/diff.md), version 1

A side (``base``/``head``) is an output folder, a git revision (its blueprints are rendered), the
working tree (``None``), or an OCI bundle (``registry/repo@sha256:…``, ``oci:LAYOUT:TAG``).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import typing as t
from pathlib import Path

from genplat.core.quantity import parse_quantity
from genplat.diff._engine import diff_snapshots
from genplat.diff._json import VERSION as JSON_VERSION
from genplat.diff._json import format_json, to_dict
from genplat.diff._markdown import GITHUB_COMMENT_LIMIT, MARKER, format_markdown
from genplat.diff._model import (
    MISSING,
    Change,
    DiffResult,
    Document,
    Masked,
    ObjectDiff,
    ObjectKey,
    Risk,
    SideInfo,
)
from genplat.diff._risk import RULES
from genplat.diff._sides import ClientFactory, SideOptions, align_oci, git_repo, no_git_for_default, open_side
from genplat.diff._snapshot import DiffInputError, Snapshot, read_output, snapshot_from_files
from genplat.diff._text import format_text

FORMATS: dict[str, t.Callable[[DiffResult], str]] = {
    "text": format_text,
    "markdown": format_markdown,
    "json": format_json,
}


def _only(snap: Snapshot, patterns: t.Sequence[str]) -> Snapshot:
    if not patterns:
        return snap
    return dataclasses.replace(
        snap, files={k: v for k, v in snap.files.items() if any(fnmatch.fnmatchcase(k[0], p) for p in patterns)}
    )


def diff(
    base: str | None = "HEAD",
    head: str | None = None,
    *,
    project: str | Path = ".",
    out_name: str = "out",
    use_committed_output: bool = False,
    bundles: t.Sequence[str] = (),
    client_factory: ClientFactory | None = None,
) -> DiffResult:
    """Compare two sides. ``base`` defaults to the last commit, ``head`` (None) to the working tree.

    ``bundles`` keeps only bundles matching these glob patterns (``prod/*``). With
    ``use_committed_output`` git sides and the working tree use their committed ``out/`` folder
    instead of rendering the blueprints.
    """
    opts = SideOptions(Path(project), out_name, use_committed_output, client_factory)
    if base == "HEAD" and git_repo(opts.project) is None:
        raise no_git_for_default(opts.project)
    base_snap, base_info, base_oci = open_side(base, opts)
    head_snap, head_info, head_oci = open_side(head, opts)
    wanted = next((b for b in bundles if not any(c in b for c in "*?[")), None) if len(bundles) == 1 else None
    if base_oci is not None:
        base_snap, head_snap = align_oci(base_oci, base_snap, head_snap, wanted)
    if head_oci is not None:
        head_snap, base_snap = align_oci(head_oci, head_snap, base_snap, wanted)
    return diff_snapshots(
        _only(base_snap, bundles), _only(head_snap, bundles), base_info=base_info, head_info=head_info
    )


__all__ = [
    "FORMATS",
    "GITHUB_COMMENT_LIMIT",
    "JSON_VERSION",
    "MARKER",
    "MISSING",
    "RULES",
    "Change",
    "DiffInputError",
    "DiffResult",
    "Document",
    "Masked",
    "ObjectDiff",
    "ObjectKey",
    "Risk",
    "SideInfo",
    "Snapshot",
    "diff",
    "diff_snapshots",
    "format_json",
    "format_markdown",
    "format_text",
    "parse_quantity",
    "read_output",
    "snapshot_from_files",
    "to_dict",
]
