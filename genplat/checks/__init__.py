"""Offline checks of rendered output: Kubernetes and CRD schemas, kubeconform, the tenant guardrail gate.

Public entry points: :func:`check_objects` (what ``genplat build`` calls per bundle), :func:`check_paths`
(``genplat check``), :class:`Checker` (load schemas once, check many times), :class:`GuardrailContext`
(platform settings for the gate), :func:`load_crds` and the export helpers behind
``genplat schemas export``.
"""

from __future__ import annotations

from genplat.checks.build import guardrail_context, make_build_checker
from genplat.checks.checker import Checker, check_objects, check_paths, get_checker
from genplat.checks.crd_schema import CrdSet, CrdVersion, convert_crd, convert_schema, load_crds
from genplat.checks.export import export_crd_schemas, export_kubernetes_schemas
from genplat.checks.guardrails import RULES as GUARDRAIL_RULES
from genplat.checks.guardrails import GuardrailContext
from genplat.checks.kubernetes import KubernetesSchemas
from genplat.core.kube import available_versions, default_version

__all__ = [
    "GUARDRAIL_RULES",
    "Checker",
    "CrdSet",
    "CrdVersion",
    "GuardrailContext",
    "KubernetesSchemas",
    "available_versions",
    "check_objects",
    "check_paths",
    "convert_crd",
    "convert_schema",
    "default_version",
    "export_crd_schemas",
    "export_kubernetes_schemas",
    "get_checker",
    "guardrail_context",
    "load_crds",
    "make_build_checker",
]
