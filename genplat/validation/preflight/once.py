"""Findings said once: not again as a consequence of a file that did not load, not once per environment."""

from __future__ import annotations

import re
import typing as t
from collections import defaultdict

from genplat.core.diagnostics import Diagnostic

if t.TYPE_CHECKING:
    from genplat.loader.project import Project

_IN_ENV = re.compile(r" in environment '([^']*)'")


def _unloaded_files(project: Project) -> set[str]:
    loaded = {bp.file for bp in [*([project.platform] if project.platform else []), *project.tenants, *project.others]}
    return {d.file for d in project.diagnostics if d.file and d.is_error and d.file not in loaded}


def drop_consequences(project: Project, findings: list[Diagnostic]) -> list[Diagnostic]:
    """A tenant file that failed to load (or is not of kind Tenant) still names a tenant: peers that
    allow traffic from it are not told the tenant does not exist, only the file's own finding is."""
    unloaded = _unloaded_files(project)
    others = {bp.name for bp in project.others if bp.name}
    stems = {f.rsplit("/", 1)[-1].rsplit(".", 1)[0] for f in unloaded}

    def consequence(d: Diagnostic) -> bool:
        if d.rule != "unknown-tenant":
            return False
        m = re.match(r"tenant '([^']*)'", d.message)
        peer = m.group(1) if m else None
        return bool(unloaded) or peer in others or peer in stems

    return [d for d in findings if not consequence(d)]


def merge_environments(findings: list[Diagnostic]) -> list[Diagnostic]:
    """One finding for one value: the same rule at the same place, differing only in the environment
    named, becomes one finding naming every environment."""
    groups: dict[tuple[t.Any, ...], list[Diagnostic]] = defaultdict(list)
    order: list[tuple[t.Any, ...]] = []
    for d in findings:
        m = _IN_ENV.search(d.message)
        key = (
            d.file,
            d.line,
            d.column,
            d.rule,
            d.path,
            _IN_ENV.sub(" in environment {}", d.message) if m else d.message,
            d.object,
        )
        if key not in groups:
            order.append(key)
        groups[key].append(d)
    out = []
    for key in order:
        group = groups[key]
        envs = [m.group(1) for d in group if (m := _IN_ENV.search(d.message))]
        if len(group) == 1 or len(envs) != len(group):
            out.extend(group)
            continue
        names = ", ".join(f"'{e}'" for e in dict.fromkeys(envs))
        first = group[0]
        out.append(
            Diagnostic(
                rule=first.rule,
                message=_IN_ENV.sub(f" in environments {names}", first.message, count=1),
                file=first.file,
                line=first.line,
                column=first.column,
                path=first.path,
                hint=first.hint,
                severity=first.severity,
                object=first.object,
            )
        )
    return out
