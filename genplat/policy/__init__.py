"""The guardrail rule model: one definition per admission rule, many enforcers.

Place in the pipeline: between *resolve* and *render*/*check*. The render stage turns the rules into
Kyverno ``ValidatingPolicy`` (or legacy ``ClusterPolicy``) objects and native
``ValidatingAdmissionPolicy`` + ``Binding`` pairs (:mod:`genplat.rendering.policy`); the check stage runs
the same rules as genplat's build gate (:mod:`genplat.checks.guardrails`). Each rule carries

* its CEL, written once and used verbatim by every admission form (ValidatingPolicy, ClusterPolicy's
  ``validate.cel`` and ValidatingAdmissionPolicy), over the variables of :mod:`._cel`; and
* its Python check for the build gate, over the same walk of workload objects (:mod:`._workloads`).

The corpus under ``tests/policy/corpus`` runs through all three (genplat's gate, the Kyverno CLI and a
real kube-apiserver) and must get the same verdict from each, so the forms cannot drift.
"""

from __future__ import annotations

from genplat.policy.rules import (
    ALLOWED_REGISTRIES,
    PLATFORM_IMAGES,
    POD_SECURITY,
    REQUIRED_LABELS,
    RULES,
    AdmissionRule,
    Variant,
    input_items,
    input_value,
)
from genplat.policy.settings import KYVERNO_KINDS, PlatformImage, PolicySettings, settings_from
from genplat.policy.workloads import Entry, entries, pod_label_sets, pod_like_specs

__all__ = [
    "ALLOWED_REGISTRIES",
    "KYVERNO_KINDS",
    "PLATFORM_IMAGES",
    "POD_SECURITY",
    "REQUIRED_LABELS",
    "RULES",
    "AdmissionRule",
    "Entry",
    "PlatformImage",
    "PolicySettings",
    "Variant",
    "entries",
    "input_items",
    "input_value",
    "pod_label_sets",
    "pod_like_specs",
    "settings_from",
]
