"""Platform-team templates (Jinja2) that override or add rendered objects.

Layout: ``blueprints/templates/platform/*.yaml.j2`` render once per cluster bundle,
``blueprints/templates/tenant/*.yaml.j2`` once per tenant placement. An object a template renders
replaces the built-in object with the same apiVersion, kind, namespace and name; others are added.

Values never change structure: every ``{{ expression }}`` is written out as a JSON scalar (a valid
YAML flow scalar, quoted and escaped), so a tenant's ``"\\nkind: ClusterRoleBinding"`` stays one
string. Templates run sandboxed with StrictUndefined. Write ``name: {{ tenant.name ~ "-x" }}``,
not ``name: {{ tenant.name }}-x``, and never wrap an expression in quotes yourself.
"""

from __future__ import annotations

import dataclasses
import json
import typing as t
from pathlib import Path

import jinja2
import jinja2.sandbox

from .._diagnostics import Diagnostic
from .._objects import Origin, RenderedObject
from .._yaml import load_documents

SCOPES = ("platform", "tenant")


def _as_yaml_scalar(value: t.Any) -> str:
    if isinstance(value, jinja2.runtime.Undefined):
        return str(value)  # StrictUndefined raises UndefinedError here: finalize sees undefined values first
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
    env = jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, finalize=_as_yaml_scalar, autoescape=False, keep_trailing_newline=True,
    )
    items, diags = [], []
    for scope in SCOPES:
        folder = templates_dir / scope
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.j2")):
            display = path.relative_to(display_root).as_posix()
            try:
                items.append(Template(scope, display, env.from_string(path.read_text("utf-8"))))
            except jinja2.TemplateSyntaxError as exc:
                diags.append(Diagnostic(rule="template-syntax", message=f"template syntax error: {exc.message}", file=display,
                                        line=exc.lineno, column=1))
            except (OSError, UnicodeDecodeError) as exc:
                diags.append(Diagnostic(rule="template-syntax", message=f"cannot read template: {exc}", file=display, line=1, column=1))
    return Templates(items), diags


def _template_line(exc: BaseException) -> int:
    """The template line of the expression that raised: Jinja rewrites tracebacks so that the frames of
    template code carry the template's file name ("<template>" for ours) and line numbers."""
    line = 1
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_template(tpl: Template, context: dict[str, t.Any], *, bundle: str, file: str, tenant: str | None) -> tuple[list[RenderedObject], list[Diagnostic]]:
    try:
        text = tpl.template.render(**context)
    except jinja2.UndefinedError as exc:
        return [], [Diagnostic(rule="template-error", message=f"template uses an undefined value: {exc.message}", file=tpl.file,
                               line=_template_line(exc), column=1, hint="check the names against docs/templates.md")]
    except jinja2.exceptions.SecurityError as exc:  # what the sandbox raises
        return [], [Diagnostic(rule="template-error", message=f"template did something the sandbox forbids: {exc}", file=tpl.file,
                               line=_template_line(exc), column=1)]
    except Exception as exc:  # a template is user code: any error it raises is a finding about it
        return [], [Diagnostic(rule="template-error", message=f"template failed: {type(exc).__name__}: {exc}", file=tpl.file,
                               line=_template_line(exc), column=1)]
    docs, diags = load_documents(text, tpl.file, multi=True)
    if diags:
        return [], [dataclasses.replace(d, message=f"template output is not valid YAML: {d.message}",
                                        hint="template lines are reported as rendered") for d in diags]
    out, problems = [], []
    for doc in docs:
        data = doc.data
        if not isinstance(data, dict) or not data.get("apiVersion") or not data.get("kind") or not isinstance(data.get("metadata"), dict) \
                or not data["metadata"].get("name"):
            problems.append(Diagnostic(rule="template-object", message="each template document must be an object with apiVersion, kind and metadata.name",
                                       file=tpl.file, line=doc.line, column=1))
            continue
        out.append(RenderedObject(data, Origin(tpl.file, doc.line), bundle=bundle, file=file, tenant=tenant))
    return out, problems


def merge(builtin: list[RenderedObject], extra: list[RenderedObject]) -> list[RenderedObject]:
    """Template objects replace built-in ones with the same identity and add the rest."""
    def key(o: RenderedObject) -> tuple[str, str, str, str]:
        return (o.api_version, o.kind, o.namespace or "", o.name)

    replacing = {key(o): o for o in extra}
    out = [replacing.pop(key(o), o) for o in builtin]
    out.extend(o for o in extra if key(o) in replacing)
    return out
