"""``--format markdown``: a pull-request comment.

Layout: a hidden marker (so CI finds and updates its one comment), the summary line, risk flags,
a table per bundle and tenant, then one collapsible ``<details>`` per object. GitHub refuses
comments over 65,536 characters, so everything is added in that order while it fits; what does
not fit is summarised ("…and 12 more objects") instead of cut mid-block.
"""

from __future__ import annotations

import html
import re
import typing as t
from collections import defaultdict

from ._model import STATUSES, Change, DiffResult, ObjectDiff, ObjectKey
from ._risk import RULES
from ._text import SYMBOL, previous, summary_line, where
from ._values import object_text, path_text, scalar_text, yaml_lines

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


def _fence(lines: list[str], lang: str) -> str:
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence + lang, *lines, fence])


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|")


def _value_lines(sign: str, value: t.Any) -> list[str]:
    if isinstance(value, (dict, list)) and value:
        return [f"{sign} {line}" for line in yaml_lines(value)]
    return [f"{sign} {scalar_text(value)}"]


def change_block(changes: list[Change]) -> list[str]:
    out: list[str] = []
    for c in changes:
        out.append(f"@@ {path_text(c.path)} @@")
        if c.op in ("remove", "change"):
            out += _value_lines("-", c.old)
        if c.op in ("add", "change"):
            out += _value_lines("+", c.new)
    return out


def _details(o: ObjectDiff) -> str:
    extra = previous(o)
    summary = (f"<b>{SYMBOL[o.status]} {o.status}</b> <code>{html.escape(o.key.bundle)}</code> "
               f"<code>{html.escape(object_text(o.key))}</code> · {html.escape(where(o))}"
               + (f" · {html.escape(extra)}" if extra else ""))
    if o.status in ("added", "removed"):
        lines = yaml_lines(o.doc.obj)
        if len(lines) > MAX_MANIFEST_LINES:
            lines = lines[:MAX_MANIFEST_LINES] + [f"# … {len(lines) - MAX_MANIFEST_LINES} more lines"]
        body = _fence(lines, "yaml")
    elif o.changes:
        body = _fence(change_block(o.changes), "diff")
    else:
        body = "No field changes."
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"


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
        rows[(r.key.bundle, tenant_of.get(r.key) or "")]["risks"] += 1
    return [(b, tn, c) for (b, tn), c in sorted(rows.items())]


def _row(bundle: str, tenant: str, c: dict[str, int]) -> str:
    who = _cell(tenant) if tenant else "*platform*"
    return (f"| `{bundle}` | {who} | {c['added']} | {c['changed']} | {c['removed']} | "
            f"{c['renamed'] + c['moved']} | {c['risks']} |")


def format_markdown(result: DiffResult, *, max_chars: int = GITHUB_COMMENT_LIMIT) -> str:
    parts: list[str] = [
        MARKER,
        "### genplat diff",
        f"`{_cell(result.base.label)}` → `{_cell(result.head.label)}`: **{summary_line(result)}**",
    ]
    for w in result.warnings:
        parts.append(f"> **Warning:** {_cell(w)}")
    if not result.objects:
        parts.append("The rendered output is the same on both sides.")
        return "\n\n".join(parts) + "\n"

    used = sum(len(p) + 2 for p in parts)
    limit = max_chars - _TAIL_RESERVE

    def fits(text: str, share: float = 1.0) -> bool:
        return len(text) + 2 <= (limit - used) * share

    if result.risks:
        lines = [f"#### ⚠️ Risk flags ({len(result.risks)})", ""]
        shown = 0
        for r in result.risks:
            line = (f"- **{RULES[r.rule]}** · `{r.key.bundle}` · `{_cell(object_text(r.key))}` — "
                    f"{_cell(r.message)}")
            if not fits("\n".join(lines + [line]), _RISK_SHARE):
                break
            lines.append(line)
            shown += 1
        if shown < len(result.risks):
            lines.append(f"- …and {len(result.risks) - shown} more risk flags (run `genplat diff` to see all)")
        block = "\n".join(lines)
        parts.append(block)
        used += len(block) + 2

    rows = _group_rows(result)
    table = ["#### Changes by bundle and tenant", "",
             "| Bundle | Tenant | Added | Changed | Removed | Moved or renamed | Risks |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
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

    parts.append("#### Objects")
    used += len(parts[-1]) + 2
    left = 0
    for i, o in enumerate(result.objects):
        block = _details(o)
        if not fits(block):
            left = len(result.objects) - i
            break
        parts.append(block)
        used += len(block) + 2
    if left:
        parts.append(f"…and {left} more object{'s' if left != 1 else ''} not shown: this comment is limited to "
                     f"{max_chars:,} characters. Run `genplat diff` locally, or `genplat diff --format json`, "
                     "for the whole report.")
    text = "\n\n".join(parts) + "\n"
    assert len(text) <= max_chars, "markdown report over its budget"
    return text
