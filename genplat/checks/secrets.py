"""No secret value in any rendered object or manifest: every string, through the one detector.

The build runs this on every object it renders (annotations and ConfigMap data included), ``genplat
check`` on any manifests, and ``genplat package`` and ``genplat push`` on every file they would send
(:func:`check_files`). It is not a guardrail rule: a platform cannot switch it off, only declare a
value not secret (``spec.secrets.allow``, with a reason). Findings name the kind of secret and show a
masked prefix at most.
"""

from __future__ import annotations

import typing as t

from genplat.checks.manifests import Located
from genplat.core.diagnostics import Diagnostic, json_path
from genplat.core.secrets import NO_ALLOWANCES, Allowances, scan_text, scan_tree
from genplat.loader.safe_yaml import load_documents
from genplat.validation.secrets import OUTPUT_HINT, OUTPUT_RULE, describe_output, scan_document, value_name


def check_objects(items: t.Sequence[Located], allowed: Allowances = NO_ALLOWANCES) -> t.Iterator[Diagnostic]:
    for item in items:
        obj = item.ro.obj
        for path, value, hit in scan_tree(obj, allowed=allowed):
            file, line, col = item.place(path)
            yield Diagnostic(
                rule=OUTPUT_RULE,
                message=describe_output(hit, value_name(obj, path), value),
                file=file,
                line=line,
                column=col,
                path=json_path(path),
                hint=OUTPUT_HINT,
                object=item.ro.ref(),
            )


def check_documents(text: str, file: str, allowed: Allowances = NO_ALLOWANCES) -> list[Diagnostic] | None:
    """Every string of every YAML document in ``text`` (a file of out/), at its line; None when not YAML."""
    docs, problems = load_documents(text, file, multi=True)
    return None if problems else [d for doc in docs for d in scan_document(doc, allowed)]


def check_files(
    files: t.Mapping[str, bytes], *, prefix: str = "", allowed: Allowances = NO_ALLOWANCES
) -> list[Diagnostic]:
    """Every file about to be packed or pushed: YAML by its strings, anything else line by line."""
    out: list[Diagnostic] = []
    for path in sorted(files):
        shown_path = f"{prefix}{path}"
        text = files[path].decode("utf-8", "replace")
        found = check_documents(text, shown_path, allowed) if path.endswith((".yaml", ".yml", ".json")) else None
        if found is None:
            found = [
                Diagnostic(
                    rule=OUTPUT_RULE,
                    message=describe_output(hit, name, ""),
                    file=shown_path,
                    line=line,
                    column=column,
                    hint=OUTPUT_HINT,
                )
                for line, column, name, hit in scan_text(text, allowed=allowed)
            ]
        out.extend(found)
    return out
