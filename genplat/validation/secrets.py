"""Validate stage: no secret value in a blueprint or a template (only references, rendered as ExternalSecrets).

Every string of every blueprint, and every line of every template, goes through the one detector
(:mod:`genplat.core.secrets`, built on detect-secrets) with its field or variable name as context. A
finding names the kind of secret and shows a masked prefix at most, never the value; its hint gives the
reference to write instead, in the blueprint's own shape. Values the platform declares not secret
(``spec.secrets.allow``, each with a reason) pass.
"""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

from genplat.core.diagnostics import Diagnostic, Severity, json_path
from genplat.core.readers import as_dict, as_list
from genplat.core.secrets import (
    KEYWORD_KIND,
    NO_ALLOWANCES,
    Allowances,
    Hit,
    allowances_from,
    scan,
    scan_text,
    scan_tree,
)
from genplat.loader.project import Blueprint
from genplat.loader.safe_yaml import YamlDocument

# A Tekton parameter or context reference, e.g. $(params.token): it names a value, it is not one.
_REFERENCE = re.compile(r"\$\([A-Za-z0-9_.\-\[\]'\"]+\)")
ALLOW_PATH = ("spec", "secrets", "allow")
# What the build, genplat check, package and push report for secret material in output.
OUTPUT_RULE = "secret-value"
OUTPUT_HINT = (
    "rendered output is committed (out/) and pushed (the bundle): deliver the value with an ExternalSecret "
    "(a service's secrets: [{env: NAME, key: <store key>, property: <property>}]); a value the platform team "
    "declares not secret goes under the platform's spec.secrets.allow with a reason"
)
MAX_TEMPLATE_BYTES = 1 << 20


def allowances(platform: Blueprint | None) -> Allowances:
    """The platform's ``spec.secrets.allow``: value → reason."""
    if platform is None:
        return Allowances()
    return allowances_from(as_dict(platform.spec.get("secrets")))


def check_inline_secrets(
    blueprints: list[Blueprint],
    *,
    templates_dir: Path | None = None,
    display_root: Path | None = None,
    found: set[str] | None = None,
) -> list[Diagnostic]:
    """Findings for every secret written into ``blueprints`` or the templates; ``found`` collects the
    secrets themselves, so the caller can keep them out of every other message."""
    platform = next((bp for bp in blueprints if bp.kind == "Platform"), None)
    allowed = allowances(platform)
    found = found if found is not None else set()
    out: list[Diagnostic] = []
    for bp in blueprints:
        out += _inline_secrets(bp, bp.data, (), None, allowed, found)
    if templates_dir is not None:
        out += check_templates(templates_dir, display_root or templates_dir.parent, allowed)
    return out


def _secret_reference_hint(bp: Blueprint, path: tuple[str | int, ...], name: str | None) -> str:
    """The reference to write instead, in the blueprint's shape (with the service's own names)."""
    services = as_list(bp.spec.get("services"))
    if len(path) >= 5 and path[:2] == ("spec", "services") and path[3] == "env" and isinstance(path[2], int):
        svc = as_dict(services[path[2]]) if path[2] < len(services) else {}
        sname, var = svc.get("name", "SERVICE"), str(path[4])
        return (
            f"keep the value in the secret store and reference it: remove {var} from env and add to "
            f"spec.services[{sname}].secrets: {{env: {var}, key: {bp.name or 'TENANT'}/{sname}, property: "
            f"{var.lower()}}} (rendered as an ExternalSecret; key and property name where the store holds it)"
        )
    what = name or "NAME"
    return (
        "secret values never belong in blueprints: keep it in the secret store and let a service read it "
        f"with secrets: [{{env: {what.upper() if name else 'NAME'}, key: <store key>, property: <property>}}] "
        "(an ExternalSecret); a value the platform team declares not secret goes under the platform's "
        "spec.secrets.allow with a reason"
    )


def _finding(
    bp: Blueprint, path: tuple[str | int, ...], hit: Hit, name: str | None, value: str, *, key: bool = False
) -> Diagnostic:
    o = bp.origin(path, key=key)
    return Diagnostic(
        rule="inline-secret",
        message=describe(hit, name, value),
        file=o.file,
        line=o.line,
        column=o.column,
        path=o.path,
        severity=Severity.ERROR,
        hint=_secret_reference_hint(bp, path, name),
    )


def _inline_secrets(
    bp: Blueprint, node: t.Any, path: tuple[str | int, ...], name: str | None, allowed: Allowances, found: set[str]
) -> list[Diagnostic]:
    """Secret values never belong in blueprints: only references do."""
    out: list[Diagnostic] = []
    if bp.kind == "Platform" and path[:3] == ALLOW_PATH:
        return out  # the allowances themselves: values declared not secret
    if isinstance(node, dict):
        in_secret_list = len(path) >= 2 and path[-2] == "secrets" and isinstance(path[-1], int)
        # {name, value} items (Tekton params, env lists): the item's name is its value's name.
        item_name = node.get("name") if isinstance(node.get("name"), str) and "value" in node else None
        if item_name is not None and "connectionDetails" in path:
            item_name = None  # validation.connections reports fixed connection details by name, with its hint
        for key, value in node.items():
            here = (*path, key)
            if in_secret_list and key in ("value", "stringData", "data"):
                out.append(
                    bp.diagnostic(
                        "inline-secret",
                        "a secret reference holds a value; only a reference (key, property) is allowed",
                        here,
                        key=True,
                        hint="store the value in the secret store and give its key: {env: NAME, key: <store key>, property: <property>}",
                    )
                )
                continue
            child_name = item_name if key == "value" and item_name else key if isinstance(key, str) else None
            out += _inline_secrets(bp, value, here, child_name, allowed, found)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            out += _inline_secrets(bp, item, (*path, i), name, allowed, found)
    elif isinstance(node, str) and not _REFERENCE.fullmatch(node.strip()):
        for hit in scan(node, key=name, allowed=allowed):
            found.add(node[hit.start : hit.end])
            out.append(_finding(bp, path, hit, name, node))
    return out


def describe(hit: Hit, name: str | None, value: str, *, where: str = "written inline") -> str:
    """What was found, with the value masked: the secret's kind, and its surroundings when it is part of
    a longer value of one line (a URL's password: ``postgres://app:***@db:5432/shop``)."""
    masked = value[: hit.start] + hit.shown + value[hit.end :] if len(value) <= 120 and "\n" not in value else hit.shown
    if hit.kind == KEYWORD_KIND:
        return f"{name!r} holds a secret value {where} ({masked})"
    return f"{hit.kind} {where} ({masked})"


def check_templates(templates_dir: Path, display_root: Path, allowed: Allowances) -> list[Diagnostic]:
    """Every line of every template: the text platform teams write, before Jinja runs."""
    out: list[Diagnostic] = []
    for path in sorted(templates_dir.rglob("*.j2")):
        if not path.is_file() or path.stat().st_size > MAX_TEMPLATE_BYTES:
            continue  # the template loader reports files it cannot read
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        try:
            shown_file = str(path.relative_to(display_root))
        except ValueError:
            shown_file = str(path)
        for line, column, name, hit in scan_text(text, allowed=allowed):
            out.append(
                Diagnostic(
                    rule="inline-secret",
                    message=describe(hit, name, "", where="written inline in a template"),
                    file=shown_file,
                    line=line,
                    column=column,
                    hint="templates are committed and rendered into out/: read secrets from the store with an "
                    "ExternalSecret (a service's secrets: [{env, key, property}]), never write the value",
                )
            )
    return out


# --- rendered output: the same detector, for the build gate, templates' output, check, package, push -----


def describe_output(hit: Hit, name: str | None, value: str) -> str:
    return describe(hit, name, value, where="in the output")


def value_name(obj: t.Any, path: tuple[str | int, ...]) -> str | None:
    """The name a value sits under: its key, or the ``name`` of its ``{name, value}`` item."""
    if not path or not isinstance(path[-1], str):
        return None
    if path[-1] == "value":
        node = obj
        for part in path[:-1]:
            node = node[part]
        name = node.get("name") if isinstance(node, dict) else None
        if isinstance(name, str):
            return name
    return path[-1]


def scan_document(doc: YamlDocument, allowed: Allowances = NO_ALLOWANCES) -> list[Diagnostic]:
    """Every string of one parsed document, at its own line and column."""
    out: list[Diagnostic] = []
    for path, value, hit in scan_tree(doc.data, allowed=allowed):
        line, col = doc.locate(path)
        out.append(
            Diagnostic(
                rule=OUTPUT_RULE,
                message=describe_output(hit, value_name(doc.data, path), value),
                file=doc.file,
                line=line,
                column=col,
                path=json_path(path),
                hint=OUTPUT_HINT,
            )
        )
    return out
