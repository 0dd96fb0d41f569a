"""Platform-team templates (Jinja2) that override or add rendered objects.

Layout: ``blueprints/templates/platform/*.yaml.j2`` render once per cluster bundle,
``blueprints/templates/tenant/*.yaml.j2`` once per tenant placement. An object a template renders
replaces the built-in object with the same apiVersion, kind, namespace and name; others are added.

Values never change structure: every ``{{ expression }}`` is written out as a JSON scalar (a valid
YAML flow scalar, quoted and escaped), so a tenant's ``"\\nkind: ClusterRoleBinding"`` stays one
string. Templates run sandboxed, strict, read-only and bounded (:mod:`._sandbox`): an undefined
value is an error at the template's line. Write ``name: {{ tenant.name ~ "-x" }}``,
not ``name: {{ tenant.name }}-x``, and never wrap an expression in quotes yourself.
"""

from __future__ import annotations

import dataclasses
import json
import typing as t
from pathlib import Path

import jinja2

from genplat.core.diagnostics import Diagnostic
from genplat.core.objects import Origin, RenderedObject
from genplat.core.secrets import NO_ALLOWANCES, Allowances
from genplat.core.text import escape_name
from genplat.loader.read import InputError, read_input
from genplat.loader.safe_yaml import load_documents
from genplat.rendering._sandbox import MAX_OUTPUT, BudgetError, Sandbox, limits, plain_copy
from genplat.validation.secrets import scan_document

SCOPES = ("platform", "tenant")
MAX_TEMPLATE_BYTES = 1 << 20


def _as_yaml_scalar(value: t.Any) -> str:
    if isinstance(value, jinja2.runtime.Undefined):
        # ``{{ x }}`` hands finalize the Undefined itself; hiding it here would render null.
        str(value)  # StrictUndefined raises UndefinedError with its own message
        raise jinja2.UndefinedError("undefined value")
    if isinstance(value, (dict, list, tuple, str, int, float, bool)) or value is None:
        return json.dumps(value, ensure_ascii=False, sort_keys=isinstance(value, dict) and False)
    return json.dumps(str(value), ensure_ascii=False)


@dataclasses.dataclass(slots=True)
class Template:
    scope: str
    file: str  # project-relative path, for origins
    template: jinja2.Template


@dataclasses.dataclass(slots=True)
class Templates:
    items: list[Template]

    def for_scope(self, scope: str) -> list[Template]:
        return [t for t in self.items if t.scope == scope]


def load_templates(templates_dir: Path | None, display_root: Path) -> tuple[Templates, list[Diagnostic]]:
    if templates_dir is None:
        return Templates([]), []
    env = Sandbox(
        undefined=jinja2.StrictUndefined, finalize=_as_yaml_scalar, autoescape=False, keep_trailing_newline=True
    )
    items, diags = [], []
    for scope in SCOPES:
        folder = templates_dir / scope
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.j2")):
            display = escape_name(path.relative_to(display_root).as_posix())
            try:
                source = read_input(path, max_bytes=MAX_TEMPLATE_BYTES, within=templates_dir).decode("utf-8")
                # Compiled under its file name, so a render error can be traced to the template's line.
                code = env.compile(source, name=display, filename=display)
                items.append(Template(scope, display, env.template_class.from_code(env, code, env.make_globals(None))))
            except jinja2.TemplateSyntaxError as exc:
                diags.append(
                    Diagnostic(
                        rule="template-syntax",
                        message=f"template syntax error: {exc.message}",
                        file=display,
                        line=exc.lineno,
                        column=1,
                    )
                )
            except InputError as exc:
                diags.append(
                    Diagnostic(
                        rule="template-syntax",
                        message=f"cannot read template: {exc.message}",
                        file=display,
                        line=1,
                        column=1,
                    )
                )
            except (OSError, UnicodeDecodeError) as exc:
                diags.append(
                    Diagnostic(
                        rule="template-syntax", message=f"cannot read template: {exc}", file=display, line=1, column=1
                    )
                )
    return Templates(items), diags


def _template_line(exc: BaseException, file: str) -> int:
    """The template line the error happened at (jinja2 maps its frames back to template lines)."""
    line, tb = 1, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == file:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_template(
    tpl: Template,
    context: dict[str, t.Any],
    *,
    bundle: str,
    file: str,
    tenant: str | None,
    allowed: Allowances = NO_ALLOWANCES,
) -> tuple[list[RenderedObject], list[Diagnostic]]:
    try:
        with limits():
            text = tpl.template.render(**plain_copy(context))  # a copy of its own: nothing leaks to the next render
        if len(text) > MAX_OUTPUT:
            raise BudgetError(f"template rendered {len(text):,} characters, over the limit of {MAX_OUTPUT:,}")
    except jinja2.UndefinedError as exc:
        forbidden = "unsafe" in (exc.message or "")
        return [], [
            Diagnostic(
                rule="template-error",
                file=tpl.file,
                line=_template_line(exc, tpl.file),
                column=1,
                message=(
                    f"template did something the sandbox forbids: {exc.message}"
                    if forbidden
                    else f"template uses an undefined value: {exc.message}"
                ),
                hint=None
                if forbidden
                else "the context holds platform, cluster, tenant and namespace (docs/templates.md)",
            )
        ]
    except jinja2.exceptions.SecurityError as exc:  # what the sandbox and its limits raise
        return [], [
            Diagnostic(
                rule="template-error",
                message=f"template did something the sandbox forbids: {exc}",
                file=tpl.file,
                line=_template_line(exc, tpl.file),
                column=1,
            )
        ]
    except Exception as exc:  # a template is user code: any error it raises is a finding about it
        return [], [
            Diagnostic(
                rule="template-error",
                message=f"template failed: {type(exc).__name__}: {exc}",
                file=tpl.file,
                line=_template_line(exc, tpl.file),
                column=1,
            )
        ]
    docs, diags = load_documents(text, tpl.file, multi=True)
    if diags:
        return [], [
            dataclasses.replace(
                d,
                message=f"template output is not valid YAML: {d.message}",
                hint="template lines are reported as rendered",
            )
            for d in diags
        ]
    out, problems = [], []
    for doc in docs:
        # The one secret detector on what Jinja wrote, at the line of the template's output (as rendered):
        # an object holding a secret goes no further.
        leaks = scan_document(doc, allowed)
        if leaks:
            problems.extend(leaks)
            continue
        data = doc.data
        if (
            not isinstance(data, dict)
            or not data.get("apiVersion")
            or not data.get("kind")
            or not isinstance(data.get("metadata"), dict)
            or not data["metadata"].get("name")
        ):
            problems.append(
                Diagnostic(
                    rule="template-object",
                    message="each template document must be an object with apiVersion, kind and metadata.name",
                    file=tpl.file,
                    line=doc.line,
                    column=1,
                )
            )
            continue
        out.append(
            RenderedObject(
                data, Origin(tpl.file, doc.line, anchor=_template_anchor(data)), bundle=bundle, file=file, tenant=tenant
            )
        )
    return out, problems


def merge(builtin: list[RenderedObject], extra: list[RenderedObject]) -> list[RenderedObject]:
    """Template objects replace built-in ones with the same identity and add the rest."""

    def key(o: RenderedObject) -> tuple[str, str, str, str]:
        return (o.api_version, o.kind, o.namespace or "", o.name)

    replacing = {key(o): o for o in extra}
    out = [replacing.pop(key(o), o) for o in builtin]
    out.extend(o for o in extra if key(o) in replacing)
    return out


def _template_anchor(data: dict[str, t.Any]) -> str:
    """A template object's anchor: its kind, namespace and name (its line moves with the template's context)."""
    meta = data["metadata"]
    ns = meta.get("namespace")
    return f"{data['kind']}/{ns}/{meta['name']}" if ns else f"{data['kind']}/{meta['name']}"
