"""Validate stage: each blueprint against its schema, then the checks across files.

Cross-file checks read the data defensively (a value of the wrong type was already reported by the
schema), so one run reports every problem it can find, not just the first.
"""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.core.diagnostics import Diagnostic, sort_diagnostics
from genplat.core.secrets import redact
from genplat.loader.project import Project, project_folder
from genplat.validation import preflight
from genplat.validation.addons import check_addons
from genplat.validation.catalog import Catalog
from genplat.validation.connections import (
    check_offerings,
    check_platform_builds,
    check_services,
    check_tenant_builds,
)
from genplat.validation.domains import check_hostnames_taken, check_tenant_hostnames
from genplat.validation.egress import check_platform_egress, check_tenant_egress
from genplat.validation.observability import (
    check_platform_observability,
    check_tenant_observability,
    check_tenant_slos,
)
from genplat.validation.platform import check_platform, check_signing
from genplat.validation.schema import SCHEMA_NAMES, load_schema, validate_blueprint
from genplat.validation.secrets import check_inline_secrets
from genplat.validation.server_rules import check_blueprint as server_rules
from genplat.validation.tenant import check_tenant, tenant_names


def validate(project: Project) -> list[Diagnostic]:
    """All findings for a loaded project: load, schema and cross-file, sorted by file and line."""
    findings = list(project.diagnostics)
    blueprints = ([project.platform] if project.platform else []) + project.tenants
    for bp in blueprints:
        findings.extend(validate_blueprint(bp))
        schema = SCHEMA_NAMES.get(bp.kind or "")
        if schema:
            findings.extend(server_rules(bp, load_schema(schema), tenant=bp.kind == "Tenant"))
    secrets: set[str] = set()
    findings.extend(
        check_inline_secrets(
            blueprints, templates_dir=project.templates_dir, display_root=project_folder(project.root), found=secrets
        )
    )
    if project.platform is not None:
        findings.extend(check_platform(project.platform))
        findings.extend(check_offerings(project.platform))
        findings.extend(check_platform_builds(project.platform))
        findings.extend(check_platform_egress(project.platform))
        findings.extend(check_platform_observability(project.platform))
        findings.extend(check_signing(project.platform, project.root))
        findings.extend(check_addons(project))
        catalog = Catalog(project.platform)
        names = tenant_names(project, findings)
        for bp in project.tenants:
            findings.extend(check_tenant(bp, catalog, names))
            findings.extend(check_services(bp, project.platform, catalog.environments))
            findings.extend(check_tenant_builds(bp, project.platform))
            findings.extend(check_tenant_egress(bp, project.platform, catalog.environments))
            findings.extend(check_tenant_hostnames(bp, catalog.environments))
            findings.extend(check_tenant_observability(bp, project.platform, catalog.environments))
            findings.extend(check_tenant_slos(bp, project.platform))
        findings.extend(check_hostnames_taken(project.tenants))
    # An unknown-field finding for a secret value is the same problem as inline-secret: keep the clearer one.
    secret_spots = {(d.file, d.path) for d in findings if d.rule == "inline-secret"}
    findings = [d for d in findings if not (d.rule == "schema-unknown-field" and (d.file, d.path) in secret_spots)]
    # A wrong apiVersion or kind is reported once by the loader (blueprint-*), not again by the schema's const.
    header_spots = {(d.file, d.path) for d in findings if d.rule in ("blueprint-api-version", "blueprint-kind")}
    findings = [d for d in findings if not (d.rule.startswith("schema-") and (d.file, d.path) in header_spots)]
    # Guardrails on blueprint values, so validate fails wherever build would.
    findings = preflight.tidy(project, [*findings, *preflight.check(project)])
    # A quantity the schema's pattern refuses is reported once, with the server's reading and a hint.
    quantity_spots = {(d.file, d.path) for d in findings if d.rule == "quantity-invalid"}
    findings = [d for d in findings if not (d.rule.startswith("schema-") and (d.file, d.path) in quantity_spots)]
    return sort_diagnostics(_dedupe(_without_secrets(findings, secrets)))


def _without_secrets(findings: list[Diagnostic], secrets: set[str]) -> list[Diagnostic]:
    """No message repeats secret material (a schema error about a value quotes it, for one)."""
    return [
        dataclasses.replace(d, message=redact(d.message, secrets), hint=redact(d.hint, secrets) if d.hint else None)
        for d in findings
    ]


def _dedupe(findings: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[t.Any, ...]] = set()
    out = []
    for d in findings:
        key = (d.file, d.line, d.column, d.rule, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
