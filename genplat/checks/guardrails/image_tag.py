"""Every image is pinned: no ``:latest`` tag and no untagged image (a digest ``@sha256:…`` is fine).

``latest`` and missing tags make a build's output mean different things on different days. A registry
port is not a tag: ``localhost:5000/builder`` is untagged. Checked for every container in every pod
template and Tekton task (see ``guardrail/privileged``).
"""

from __future__ import annotations

import typing as t

from genplat.checks.guardrails import _admission
from genplat.checks.guardrails._context import Finding, View
from genplat.core.diagnostics import Severity
from genplat.policy.rules import IMAGE_TAG

ID = IMAGE_TAG
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def check(view: View) -> t.Iterator[Finding]:
    yield from _admission.run(view, ID, "pin a version tag or a digest (image@sha256:…)", tenants_only=False)
