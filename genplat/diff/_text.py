"""``--format text``: a terminal report, coloured only when asked (the CLI asks on a TTY)."""

from __future__ import annotations

import dataclasses
import itertools
import typing as t

import click

from genplat.diff._fold import rename_text, revision_rename, shown
from genplat.diff._grants import grants
from genplat.diff._group import group
from genplat.diff._model import Change, DiffResult, ObjectDiff, ObjectKey, Risk
from genplat.diff._summary import delta_text, list_delta
from genplat.diff._values import flow_text, kind_text, line_diff, multiline, object_text, path_text

SYMBOL = {"added": "+", "removed": "-", "changed": "~", "renamed": ">", "moved": ">"}
_COLOUR = {"added": "green", "removed": "red", "changed": "yellow", "renamed": "cyan", "moved": "cyan"}


def summary_line(result: DiffResult) -> str:
    counts = result.counts()
    total = sum(counts.values())
    if not total:
        return "no differences"
    parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    bundles = len({o.key.bundle for o in result.objects})
    return (
        f"{total} object{'s' if total != 1 else ''} differ{'s' if total == 1 else ''} in {bundles} "
        f"bundle{'s' if bundles != 1 else ''}: {parts}"
    )


def cause_text(cause: t.Any) -> str:
    """``blueprints/tenants/umbrella.yaml:36 spec.network.allowFrom (umbrella's allowFrom lists initech)``."""
    if cause is None:
        return ""
    text = str(cause) + (f" {cause.path}" if cause.path else "")
    return text + (f" ({cause.note})" if cause.note else "")


def where(o: ObjectDiff) -> str:
    """The object's place in the output, and the blueprint value that caused the change when known."""
    d = o.doc
    cause = cause_text(o.cause) or d.source
    return f"{d.file}:{d.line}" + (f" ← {cause}" if cause else "")


@dataclasses.dataclass(slots=True)
class RiskGroup:
    """Flags of one rule with one cause (or, without a cause, one message about one object name),
    shown once with every object and place they are about."""

    rule: str
    cause: t.Any
    messages: list[str]
    keys: list[ObjectKey]

    @property
    def blueprint_level(self) -> bool:
        return not self.keys

    def objects_text(self) -> str:
        names = sorted({f"{kind_text(k)} {k.name}" for k in self.keys})
        if len(self.keys) == 1:
            return object_text(self.keys[0])
        return ", ".join(names[:3]) + (f" (+{len(names) - 3} more)" if len(names) > 3 else "")

    def places_text(self) -> str:
        by_ns: dict[str, list[str]] = {}
        for k in self.keys:
            bundles = by_ns.setdefault(k.namespace, [])
            if k.bundle not in bundles:
                bundles.append(k.bundle)
        if len(self.keys) == 1:
            return self.keys[0].bundle
        return "; ".join(", ".join(b) + (f" ({ns})" if ns else "") for ns, b in by_ns.items())

    def message_text(self, limit: int = 2) -> str:
        shown = self.messages[:limit]
        more = len(self.messages) - len(shown)
        return "; ".join(shown) + (f" (+{more} more)" if more else "")


def group_risks(risks: t.Sequence[Risk]) -> list[RiskGroup]:
    """Flags with the same rule and blueprint cause are one flag; so are flags saying the same of
    objects when no blueprint says why (output folders and OCI bundles name only the
    object's source: every tenant Namespace's lowered level is one flag, not one per tenant), and
    flags saying the same of the same object name in several places."""
    groups: dict[tuple[t.Any, ...], RiskGroup] = {}
    for r in risks:
        k = r.key
        if k is None:
            sig: tuple[t.Any, ...] = (r.rule, r.message, str(r.cause))
        elif r.cause is not None and r.cause.line is None:
            sig = (r.rule, r.message)
        elif r.cause is not None and r.cause.note != "output":
            sig = (r.rule, str(r.cause), r.cause.path, r.cause.note)
        else:
            sig = (r.rule, r.message, k.kind, k.name)
        g = groups.setdefault(sig, RiskGroup(r.rule, r.cause, [], []))
        if g.cause is not None and (r.cause is None or cause_text(r.cause) != cause_text(g.cause)):
            g.cause = None  # the flags have different sources: none is the cause of them all
        if r.message not in g.messages:
            g.messages.append(r.message)
        if k is not None:
            g.keys.append(k)
    return list(groups.values())


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
    delta = list_delta(c.old, c.new)
    if delta is not None:
        return f"  {p}: {delta_text(*delta)}"
    return f"  {p}: {flow_text(c.old)} → {flow_text(c.new)}"


def format_text(result: DiffResult, *, color: bool = False) -> str:
    def style(text: str, **kw: t.Any) -> str:
        return click.style(text, **kw) if color else text

    lines = [style(f"genplat diff: {result.base.label} → {result.head.label}", bold=True), summary_line(result)]
    for w in result.warnings:
        lines.append(style(f"warning: {w}", fg="yellow"))
    if result.summary or (result.summary_note and result.objects):
        lines += ["", style("Blueprint changes:", bold=True)]
        if result.summary_note:
            lines.append(f"  ({result.summary_note})")
        for item in result.summary:
            lines.append(f"  * {item.text}  ({item.cause})")
    if result.risks:
        grouped = group_risks(result.risks)
        lines += ["", style(f"Risk flags ({len(grouped)}):", fg="red", bold=True)]
        width = max(len(g.rule) for g in grouped)
        for g in grouped:
            place = cause_text(g.cause) if g.blueprint_level else f"{g.places_text()}  {g.objects_text()}"
            why = "" if g.blueprint_level else cause_text(g.cause)
            lines.append(
                style(
                    f"  ! {g.rule.ljust(width)}  {place}: {g.message_text(limit=len(g.messages))}"
                    + (f"  ← {why}" if why else ""),
                    fg="red",
                )
            )
    arriving = {id(o): b.status for b in group(result)[0] if b.tenant for o in b.objects}
    for bundle, in_bundle in itertools.groupby(result.objects, key=lambda o: o.key.bundle):
        lines += ["", style(bundle, bold=True)]
        for tenant, tenant_objs in itertools.groupby(in_bundle, key=lambda o: o.tenant):
            objs = list(tenant_objs)
            lines.append(f"  {'tenant ' + tenant if tenant else 'platform'}")
            block = [o for o in objs if id(o) in arriving]
            if block:  # a tenant that comes (or goes) with its namespace: what it is granted first
                lines.append("    granted:" if arriving[id(block[0])] == "added" else "    it had:")
                lines += [f"      {line}" for line in grants(block)]
            for o in objs:
                extra = previous(o)
                head = f"    {SYMBOL[o.status]} {object_text(o.key)}  {where(o)}" + (f"  ({extra})" if extra else "")
                lines.append(style(head, fg=_COLOUR[o.status]))
                for c in shown(o):
                    if multiline(c):  # CEL, a script, a config file: the lines that changed, in context
                        lines.append(f"          {path_text(c.path)}:")
                        for line in line_diff(c.old, c.new):
                            colour = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1])
                            text = "            " + line
                            lines.append(style(text, fg=colour) if colour else text)
                        continue
                    colour = {"add": "green", "remove": "red"}.get(c.op)
                    text = "        " + change_text(c)
                    lines.append(style(text, fg=colour) if colour else text)
                rename = revision_rename(o)
                if rename is not None:
                    lines.append("          " + rename_text([("", rename)]))
    return "\n".join(lines) + "\n"
