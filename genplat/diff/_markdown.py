"""``--format markdown``: a pull-request comment (the report side of the diff).

Layout: a hidden marker (so CI finds and updates its one comment), the summary line, what changed
in the blueprints (each with its file:line), risk flags (identical ones once, with their bundles),
then the objects: a tenant or bundle that comes or goes is one fold with counts per kind, and an
object change identical in several places is one fold with the list of places. GitHub refuses
comments over 65,536 characters, so everything is added in that order while it fits; what does not
fit is summarised ("…and 12 more") instead of cut mid-block.
"""

from __future__ import annotations

import html
import re
import typing as t
from collections import defaultdict

from genplat.diff._fold import rename_text, revision_rename, shown
from genplat.diff._grants import grants
from genplat.diff._group import Block, Group, group, places_text
from genplat.diff._model import STATUSES, Change, DiffResult, ObjectKey
from genplat.diff._risk import RULES
from genplat.diff._summary import list_delta
from genplat.diff._text import SYMBOL, RiskGroup, cause_text, group_risks, previous, summary_line
from genplat.diff._values import kind_text, line_diff, multiline, object_text, path_text, scalar_text, yaml_lines

MARKER = "<!-- genplat-diff -->"
GITHUB_COMMENT_LIMIT = 65_536
MAX_MANIFEST_LINES = 60
# Room kept for the parts added without a check: section headings, the table header, the
# "…more" lines and the closing note.
_TAIL_RESERVE = 1000
# Risk flags may take at most this share of the budget, the table this share of what is left, so
# a huge list of either cannot crowd out everything after it.
_RISK_SHARE = 0.4
_TABLE_SHARE = 0.5
# The per-bundle table only helps when the change spans many places.
_TABLE_MIN_ROWS = 3


def _fence(lines: list[str], lang: str) -> str:
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence + lang, *lines, fence])


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|")


def _value_lines(sign: str, value: t.Any) -> list[str]:
    if (isinstance(value, (dict, list)) and value) or (isinstance(value, str) and "\n" in value.rstrip("\n")):
        return [f"{sign} {line}" for line in yaml_lines(value)]
    return [f"{sign} {scalar_text(value)}"]


def change_block(changes: list[Change]) -> list[str]:
    out: list[str] = []
    for c in changes:
        out.append(f"@@ {path_text(c.path)} @@")
        if multiline(c):  # CEL, a script, a config file: the lines that changed, in context
            out += line_diff(c.old, c.new)
            continue
        delta = list_delta(c.old, c.new) if c.op == "change" else None
        if delta is not None:  # a list of plain values: only the items that came or went
            out += [f"- {scalar_text(v)}" for v in delta[1]] + [f"+ {scalar_text(v)}" for v in delta[0]]
            if not delta[0] and not delta[1]:
                out.append(f"  (reordered: {', '.join(scalar_text(v) for v in c.new)})")
            continue
        if c.op in ("remove", "change"):
            out += _value_lines("-", c.old)
        if c.op in ("add", "change"):
            out += _value_lines("+", c.new)
    return out


def _code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"


def _places(bundles_ns: list[tuple[str, str]]) -> str:
    return "; ".join(html.escape(p) for p in places_text(bundles_ns))


def _group_details(g: Group) -> str:
    o = g.first
    extra = previous(o)
    cause = cause_text(o.cause) or (o.doc.source or "")
    where = f"{o.doc.file}:{o.doc.line}" if len(g.objects) == 1 else f"{len(g.objects)} places"
    name = f"{kind_text(o.key)} {g.name}" if g.name is not None else f"{kind_text(o.key)} ×{len(g.objects)}"
    summary = (
        f"<b>{SYMBOL[o.status]} {o.status}</b> {_code(name)}"
        + (f" · tenant {html.escape(g.tenant)}" if g.tenant else "")
        + f" · {html.escape(where)}"
        + (f" · {html.escape(extra)}" if extra else "")
        + (f" ← {_code(cause)}" if cause else "")
    )
    body_lines = [f"In {_places(g.places)}."]
    if o.status in ("added", "removed"):
        lines = yaml_lines(o.doc.obj)
        if len(lines) > MAX_MANIFEST_LINES:
            lines = lines[:MAX_MANIFEST_LINES] + [f"# … {len(lines) - MAX_MANIFEST_LINES} more lines"]
        body_lines.append(_fence(lines, "yaml"))
    elif o.changes:
        changes = shown(o)
        if changes:
            body_lines.append(_fence(change_block(changes), "diff"))
        renames = [(x.key.bundle, c) for x in g.objects if (c := revision_rename(x)) is not None]
        if renames:
            line = rename_text(renames)
            body_lines.append(html.escape(line[0].upper() + line[1:] + ".", quote=False))
    else:
        body_lines.append("No field changes.")
    body = "\n\n".join(body_lines)
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"


def _block_details(b: Block) -> str:
    """A tenant or a bundle's platform objects that come or go: what the tenant is granted (or loses),
    visible, then its objects in one fold."""
    who = f"tenant {b.tenant}" if b.tenant else "platform objects"
    verb = "added" if b.status == "added" else "removed"
    bundles = ", ".join(_code(x) for x in b.bundles)
    kinds = ", ".join(f"{n} {html.escape(k)}" for k, n in b.kinds)
    cause = cause_text(b.cause)
    rows = [f"- `{_cell(object_text(o.key))}` · `{o.key.bundle}/{o.doc.file}:{o.doc.line}`" for o in b.objects]
    if b.tenant is None:
        summary = (
            f"<b>{SYMBOL[b.status]} {html.escape(who)}: {len(b.objects)} objects {verb}</b> in {bundles} "
            f"({kinds})" + (f" ← {_code(cause)}" if cause else "")
        )
        return f"<details>\n<summary>{summary}</summary>\n\n" + "\n".join(rows) + "\n\n</details>"
    head = (
        f"<b>{SYMBOL[b.status]} {html.escape(who)}: {len(b.objects)} objects {verb}</b> in {bundles}"
        + (f" ← {_code(cause)}" if cause else "")
        + (". Granted:" if b.status == "added" else ". It had:")
    )
    facts = [f"- {html.escape(line, quote=False)}" for line in grants(b.objects)]
    return (
        head
        + "\n\n"
        + "\n".join(facts)
        + f"\n\n<details>\n<summary>The {len(b.objects)} objects: {kinds}</summary>\n\n"
        + "\n".join(rows)
        + "\n\n</details>"
    )


def _group_rows(result: DiffResult) -> list[tuple[str, str, dict[str, int]]]:
    tenant_of: dict[ObjectKey, str | None] = {}

    def zero() -> dict[str, int]:
        counts: dict[str, int] = {s: 0 for s in STATUSES}
        counts["risks"] = 0
        return counts

    rows: dict[tuple[str, str], dict[str, int]] = defaultdict(zero)
    for o in result.objects:
        tenant = o.tenant or ""
        rows[(o.key.bundle, tenant)][o.status] += 1
        for d in (o.base, o.head):
            if d is not None:
                tenant_of.setdefault(d.key, o.tenant)
    for r in result.risks:
        if r.key is not None:
            rows[(r.key.bundle, tenant_of.get(r.key) or "")]["risks"] += 1
    return [(b, tn, c) for (b, tn), c in sorted(rows.items())]


def _row(bundle: str, tenant: str, c: dict[str, int]) -> str:
    who = _cell(tenant) if tenant else "*platform*"
    return (
        f"| `{bundle}` | {who} | {c['added']} | {c['changed']} | {c['removed']} | "
        f"{c['renamed'] + c['moved']} | {c['risks']} |"
    )


def _risk_line(g: RiskGroup) -> str:
    cause = cause_text(g.cause)
    if g.blueprint_level:
        return f"- **{RULES[g.rule]}** · `{_cell(cause)}` — {_cell(g.message_text())}"
    return (
        f"- **{RULES[g.rule]}** · `{_cell(g.objects_text())}` in {_cell(g.places_text())} — "
        f"{_cell(g.message_text())}" + (f" ← `{_cell(cause)}`" if cause else "")
    )


def format_markdown(result: DiffResult, *, max_chars: int = GITHUB_COMMENT_LIMIT) -> str:
    parts: list[str] = [
        MARKER,
        "### genplat diff",
        f"`{_cell(result.base.label)}` → `{_cell(result.head.label)}`: **{summary_line(result)}**",
    ]
    for w in result.warnings:
        parts.append(f"> **Warning:** {_cell(w)}")
    used = sum(len(p) + 2 for p in parts)
    limit = max_chars - _TAIL_RESERVE

    def fits(text: str, share: float = 1.0) -> bool:
        return len(text) + 2 <= (limit - used) * share

    if result.summary or (result.summary_note and result.objects):
        lines = ["#### Blueprint changes", ""]
        if result.summary_note:
            lines.append(f"*{_cell(result.summary_note)}.*")
            lines.append("")
        for i, item in enumerate(result.summary):
            line = f"- {_cell(item.text)} · `{_cell(str(item.cause))}`"
            if not fits("\n".join(lines + [line]), _RISK_SHARE):
                lines.append(f"- …and {len(result.summary) - i} more blueprint changes")
                break
            lines.append(line)
        block = "\n".join(lines)
        parts.append(block)
        used += len(block) + 2
    if not result.objects and not result.risks:
        parts.append("The rendered output is the same on both sides.")
        return "\n\n".join(parts) + "\n"

    if result.risks:
        grouped = group_risks(result.risks)
        lines = [f"#### ⚠️ Risk flags ({len(grouped)})", ""]
        shown = 0
        for g in grouped:
            line = _risk_line(g)
            if not fits("\n".join(lines + [line]), _RISK_SHARE):
                break
            lines.append(line)
            shown += 1
        if shown < len(grouped):
            lines.append(f"- …and {len(grouped) - shown} more risk flags (run `genplat diff` to see all)")
        block = "\n".join(lines)
        parts.append(block)
        used += len(block) + 2

    rows = _group_rows(result)
    if len(rows) > _TABLE_MIN_ROWS:
        table = [
            "#### Changes by bundle and tenant",
            "",
            "| Bundle | Tenant | Added | Changed | Removed | Moved or renamed | Risks |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for i, (bundle, tenant, counts) in enumerate(rows):
            line = _row(bundle, tenant, counts)
            if not fits("\n".join(table + [line]), _TABLE_SHARE):
                rest = rows[i:]
                total = {k: sum(c[k] for _, _, c in rest) for k in rows[0][2]}
                table.append(_row(f"…{len(rest)} more", "", total).replace("`…", "…").replace("more`", "more"))
                break
            table.append(line)
        block = "\n".join(table)
        parts.append(block)
        used += len(block) + 2

    blocks, groups = group(result)
    parts.append("#### Objects")
    used += len(parts[-1]) + 2
    pieces = [_block_details(b) for b in blocks] + [_group_details(g) for g in groups]
    left = 0
    for i, piece in enumerate(pieces):
        if not fits(piece):
            left = len(pieces) - i
            break
        parts.append(piece)
        used += len(piece) + 2
    if left:
        parts.append(
            f"…and {left} more change{'s' if left != 1 else ''} not shown: this comment is limited to "
            f"{max_chars:,} characters. Run `genplat diff` locally, or `genplat diff --format json`, "
            "for the whole report."
        )
    text = "\n\n".join(parts) + "\n"
    assert len(text) <= max_chars, "markdown report over its budget"
    return text
