"""Validate stage, second half: what ``build`` would refuse, found from blueprint values alone.

The guardrail gate (:mod:`genplat.checks.guardrails`) judges rendered objects; some of its rules
depend only on values written in the blueprints, and so does the platform's ``kubernetesVersion``.
This package runs those judgements on the blueprint values themselves, so ``genplat validate`` (a
pre-commit hook) fails wherever ``genplat build`` (CI) would, and says so once, at the value's line,
rather than once per environment the value renders into. Each finding uses the rule id the gate
uses (``guardrail/image-tag``, ``guardrail/image-registry``), and the same platform switches turn
it off (``policies.forbidLatest: false``, ``policies.guardrails.disabled``, no ``allowedRegistries``).

Quantities are judged by :mod:`genplat.validation.server_rules` (``quantity-invalid``), as the API server
parses them. Modules: ``images`` (tenant service images: pinned tags, allowed registries), ``labels``
(a required pod label written empty in a tenant's labels), ``platform``
(a ``kubernetesVersion`` genplat has schemas for; a secret store when secrets are fetched), ``once``
(no findings that are consequences of a file that did not load; one finding per value, not per
environment).
"""

from __future__ import annotations

import typing as t

from genplat.core.diagnostics import Diagnostic
from genplat.validation.preflight import images, labels, platform
from genplat.validation.preflight.once import drop_consequences, merge_environments

if t.TYPE_CHECKING:
    from genplat.loader.project import Project


def check(project: Project) -> list[Diagnostic]:
    """Findings for the project's blueprint values (none while there is no platform blueprint)."""
    if project.platform is None:
        return []
    return [*platform.check(project), *images.check(project), *labels.check(project)]


def tidy(project: Project, findings: list[Diagnostic]) -> list[Diagnostic]:
    """Each problem said once: no unknown-tenant for a tenant whose file did not load, and a value
    that is wrong in several environments reported once, naming them."""
    return merge_environments(drop_consequences(project, findings))


__all__ = ["check", "tidy"]
