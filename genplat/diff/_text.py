"""``--format text``: a terminal report, coloured only when asked (the CLI asks on a TTY)."""

from __future__ import annotations

import itertools
import typing as t

import click

from ._model import Change, DiffResult, ObjectDiff
from ._values import flow_text, object_text, path_text

SYMBOL = {"added": "+", "removed": "-", "changed": "~", "renamed": ">", "moved": ">"}
_COLOUR = {"added": "green", "removed": "red", "changed": "yellow", "renamed": "cyan", "moved": "cyan"}


def summary_line(result: DiffResult) -> str:
    counts = result.counts()
    total = sum(counts.values())
    if not total:
        return "no differences"
    parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    bundles = len({o.key.bundle for o in result.objects})
    return f"{total} object{'s' if total != 1 else ''} differ{'s' if total == 1 else ''} in {bundles} " \
           f"bundle{'s' if bundles != 1 else ''}: {parts}"


def where(o: ObjectDiff) -> str:
    """The object's place in the output, and the blueprint line it came from when known."""
    d = o.doc
    return f"{d.file}:{d.line}" + (f" ← {d.source}" if d.source else "")


def previous(o: ObjectDiff) -> str:
    """For renamed and moved objects: where they were."""
    if o.base is None or o.head is None or o.status not in ("renamed", "moved"):
        return ""
    b, h = o.base, o.head
    if o.status == "renamed":
        return f"renamed from {object_text(b.key)}"
    if b.key.bundle != h.key.bundle:
        return f"moved from bundle {b.key.bundle} ({b.file})"
    return f"moved from {b.file}"


def change_text(c: Change) -> str:
    p = path_text(c.path)
    if c.op == "add":
        return f"+ {p}: {flow_text(c.new)}"
    if c.op == "remove":
        return f"- {p}: {flow_text(c.old)}"
    return f"  {p}: {flow_text(c.old)} → {flow_text(c.new)}"


def format_text(result: DiffResult, *, color: bool = False) -> str:
    def style(text: str, **kw: t.Any) -> str:
        return click.style(text, **kw) if color else text

    lines = [style(f"genplat diff: {result.base.label} → {result.head.label}", bold=True), summary_line(result)]
    for w in result.warnings:
        lines.append(style(f"warning: {w}", fg="yellow"))
    if result.risks:
        lines += ["", style(f"Risk flags ({len(result.risks)}):", fg="red", bold=True)]
        width = max(len(r.rule) for r in result.risks)
        bundle_width = max(len(r.key.bundle) for r in result.risks)  # columns line up across bundles
        for r in result.risks:
            lines.append(style(f"  ! {r.rule.ljust(width)}  {r.key.bundle.ljust(bundle_width)}  {object_text(r.key)}: "
                               f"{r.message}", fg="red"))
    for bundle, in_bundle in itertools.groupby(result.objects, key=lambda o: o.key.bundle):
        lines += ["", style(bundle, bold=True)]
        for tenant, objs in itertools.groupby(in_bundle, key=lambda o: o.tenant):
            lines.append(f"  {'tenant ' + tenant if tenant else 'platform'}")
            for o in objs:
                extra = previous(o)
                head = f"    {SYMBOL[o.status]} {object_text(o.key)}  {where(o)}" + (f"  ({extra})" if extra else "")
                lines.append(style(head, fg=_COLOUR[o.status]))
                for c in o.changes:
                    colour = {"add": "green", "remove": "red"}.get(c.op)
                    text = "        " + change_text(c)
                    lines.append(style(text, fg=colour) if colour else text)
    return "\n".join(lines) + "\n"
