"""Delivery stage: a status report as text, JSON or GitHub Actions annotations (strings; the CLI prints).

Text is for people: one block per cluster, one line per delivery object, then what failed, the objects
the controller named with their blueprint lines, the recent Warning events, and drift per tenant. The
JSON document is :meth:`StatusReport.to_dict`. GitHub output is the findings form every genplat command
uses (:mod:`genplat.core.report`): an error annotation at the blueprint line of each object that failed,
and for what has no line (a cluster not reached, a layer behind) at the wiring file.
"""

from __future__ import annotations

import json
import typing as t

from genplat.core.diagnostics import Diagnostic, Severity
from genplat.core.report import REPORTERS
from genplat.core.text import escape_name
from genplat.delivery.drift import by_tenant
from genplat.delivery.model import CONVERGED, FAILING, ClusterStatus, StatusReport, UnitStatus
from genplat.delivery.readers import short

_MAX_MESSAGE = 600


def _clip(text: str | None, limit: int = _MAX_MESSAGE) -> str:
    """One line (whitespace runs, line breaks included, become one space), escaped, at most ``limit``."""
    flat = escape_name(" ".join((text or "").split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _unit_line(u: UnitStatus, indent: str) -> list[str]:
    extra = f"  ({u.inventory.applied}/{u.inventory.expected} objects)" if u.inventory else ""
    lines = [f"{indent}{u.layer:<9} {u.ref:<50} {u.state:<9} {_clip(u.summary, 200)}{extra}"]
    if u.state == CONVERGED:
        return lines
    if u.message and u.message not in u.summary:
        lines.append(f"{indent}  message: {_clip(u.message)}")
    for o in u.objects:
        where = o.where or o.out or "?"
        lines.append(f"{indent}  ✗ {o.ref}  {where}")
        lines.append(f"{indent}      {_clip(o.message)}")
    said = {" ".join((u.message or "").split()), *(" ".join(o.message.split()) for o in u.objects)}
    for e in u.events:
        if " ".join(e.message.split()) in said:
            continue  # the condition or an object above says it already
        times = f" ×{e.count}" if e.count > 1 else ""
        lines.append(f"{indent}  event {e.type} {e.reason}{times} at {e.time}: {_clip(e.message, 300)}")
    if u.inventory and (u.inventory.missing or u.inventory.extra):
        if u.inventory.missing:
            lines.append(f"{indent}  not applied: {', '.join(u.inventory.missing[:10])}")
        if u.inventory.extra:
            lines.append(f"{indent}  not in the bundle: {', '.join(u.inventory.extra[:10])}")
    for n in u.nested:
        lines.extend(_unit_line(n, indent + "  "))
    return lines


def _cluster_text(c: ClusterStatus) -> list[str]:
    head = f"{c.bundle}: {c.state}  (context {c.context or '?'}; {c.fmt} bundle, lock {short(c.digest)})"
    lines = [head]
    if c.error:
        lines.append(f"  cannot read the cluster: {_clip(c.error)}")
        return lines
    for u in c.units:
        lines.extend(_unit_line(u, "  "))
    if c.drift is not None:
        if not c.drift:
            lines.append("  drift: none (every applied object is as its controller would apply it)")
        else:
            lines.append(f"  drift: {len(c.drift)} object(s) differ from what their controller would apply")
            for tenant, drifts in by_tenant(c.drift).items():
                lines.append(f"    {tenant}:")
                for d in drifts:
                    where = f"{d.file}:{d.line}" if d.file and d.line else (d.file or "")
                    lines.append(f"      {d.ref}  {where}".rstrip())
                    if d.error:
                        lines.append(f"        cannot compare: {_clip(d.error, 300)}")
                    if d.paths:
                        lines.append(f"        changed: {', '.join(d.paths[:8])}{' …' if len(d.paths) > 8 else ''}")
                    if d.managers:
                        lines.append(f"        written by: {', '.join(d.managers[:3])}")
    return lines


def format_text(report: StatusReport) -> str:
    lines: list[str] = []
    for c in report.clusters:
        lines.extend(_cluster_text(c))
        lines.append("")
    converged = sum(1 for c in report.clusters if c.state == CONVERGED)
    tail = f"{converged} of {len(report.clusters)} cluster(s) converged on the lock's digests"
    if report.waited is not None:
        tail += f" (waited {report.waited:.0f}s)"
    if report.drifted:
        tail += "; drift found"
    lines.append(tail)
    return "\n".join(lines) + "\n"


def format_json(report: StatusReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False) + "\n"


def diagnostics(report: StatusReport) -> list[Diagnostic]:
    """The report as findings: what failed at its blueprint line, what is behind at its wiring file."""
    out: list[Diagnostic] = []
    for c in report.clusters:
        if c.error:
            out.append(Diagnostic("delivery/unreachable", f"{c.bundle}: {c.error}", c.wiring))
            continue
        units = [*c.units, *(n for u in c.units for n in u.nested)]
        for u in units:
            if u.state == CONVERGED:
                continue
            severity = Severity.ERROR if u.state == FAILING else Severity.WARNING
            rule = f"delivery/{u.state}"
            if u.objects:
                for o in u.objects:
                    out.append(
                        Diagnostic(
                            rule,
                            f"{c.bundle} {u.layer}: {_clip(o.message)}",
                            o.file or c.wiring,
                            o.line,
                            severity=severity,
                            object=o.ref,
                        )
                    )
            else:
                out.append(
                    Diagnostic(
                        rule, f"{c.bundle} {u.layer}: {_clip(u.summary)}", c.wiring, severity=severity, object=u.ref
                    )
                )
        for d in c.drift or []:
            changed = ", ".join(d.paths[:5]) or (d.error or "")
            out.append(
                Diagnostic(
                    "delivery/drift",
                    f"{c.bundle}: changed outside git: {changed}",
                    d.file or c.wiring,
                    d.line,
                    severity=Severity.WARNING,
                    object=d.ref,
                )
            )
    return out


def format_github(report: StatusReport) -> str:
    return REPORTERS["github"](diagnostics(report))


FORMATS: dict[str, t.Callable[[StatusReport], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
}

__all__ = ["FORMATS", "diagnostics", "format_github", "format_json", "format_text"]
