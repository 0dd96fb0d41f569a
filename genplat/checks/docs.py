"""Generate ``docs/checks.md`` from the rule modules' docstrings: ``python -m genplat.checks.docs``."""

from __future__ import annotations

import inspect

from . import crd_schema, schema
from ..policy import POD_SECURITY
from ..policy import RULES as ADMISSION
from .guardrails import RULES

ENFORCEMENT_HEADER = "| rule | build | Kyverno | ValidatingAdmissionPolicy | Pod Security |"


def enforcement_table() -> list[str]:
    """One row per guardrail: where it is enforced (the build gate, the rendered admission policies,
    Pod Security Admission at the level that covers it)."""
    rows = [ENFORCEMENT_HEADER, "|---|---|---|---|---|"]
    for rid in RULES:
        admitted = f"`{ADMISSION[rid].policy_name}`" if rid in ADMISSION else "—"
        if rid == "guardrail/image-registry":  # one policy per namespace purpose when platform images are scoped
            admitted += " (`-workload`, `-build`)"
        level = POD_SECURITY.get(rid)
        psa = "—" if level is None else level if level == "restricted" else f"{level} and stricter"
        rows.append(f"| `{rid}` | yes | {admitted} | {admitted} | {psa} |")
    return rows

SCHEMA_RULES = [
    ("schema-unknown-field", "error", "A field the schema does not list (a typo, or a field of another API version)."),
    ("schema-required", "error", "A required field is missing (fields with a CRD default are not demanded)."),
    ("schema-type", "error", "A value of the wrong type, e.g. an integer label value."),
    ("schema-enum", "error", "A value outside the field's enum."),
    ("schema", "error", "Any other schema keyword (pattern, minimum, oneOf, …)."),
    ("schema-version", "error", "The kind is known from a CRD but not served in that apiVersion."),
    ("schema-kind", "error", "A document without apiVersion/kind, or not a mapping."),
    ("schema-not-validated", "warning (error with --strict)", "No schema is known for the apiVersion and kind."),
    ("crd-invalid", "error", "A CRD file that cannot be read or converted."),
    ("crd-not-found", "error", "A --crds path (or crds: entry) that does not exist."),
    ("kubernetes-version", "warning", "The Kubernetes version asked for is newer than the schemas shipped."),
]


ENFORCEMENT = """
    genplat's build gate runs every rule on the rendered output. The rules that concern what a tenant
    pod runs are also rendered as admission policies from the same rule model (`genplat/policy/`), so
    a tenant who applies objects by hand meets them in the cluster: as Kyverno `ValidatingPolicy`
    objects (`platform/kyverno.yaml`) on clusters with the `kyverno` capability, as native
    `ValidatingAdmissionPolicy` + `ValidatingAdmissionPolicyBinding` pairs (`platform/admission.yaml`)
    on clusters without it. Each policy matches tenant namespaces (label `genplat.dev/tenant`), on
    CREATE and UPDATE, for Pods (and `pods/ephemeralcontainers`), PodTemplates, ReplicationControllers,
    Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Knative
    Services/Configurations/Revisions (clusters with `knative-serving`), and Tekton
    Tasks/TaskRuns/Pipelines/PipelineRuns/StepActions and Triggers EventListeners (clusters with
    `tekton`), each rule the kinds it concerns. The CEL of a rule is written once and used by every
    form; the message of a refusal starts with the rule id. A rule switched off in the platform is not
    rendered either. Pod Security Admission (namespace labels from `policies.podSecurity`) covers some
    rules too, at the level given.

    Kyverno: `policies.kyverno.policyKind` picks `ValidatingPolicy` (`policies.kyverno.io/v1`, the
    default, for Kyverno 1.17 and later) or `ClusterPolicy` (`kyverno.io/v1` with `validate.cel`, for
    Kyverno 1.11 to 1.16; Kyverno 1.17 and later warn that this API is deprecated). Kinds are matched
    explicitly, so Kyverno's autogen for pod controllers is off.

    Platform images: Knative's `queue-proxy`, Tekton's init containers (`prepare`, `place-scripts`,
    `working-dir-initializer`), its affinity assistant and sidecar stopper, the EventListener sink and
    the pipeline templates' builder steps run images outside the tenants' registries. They are declared
    in `policies.platformImages`, each with the container names (in the pod, `step-<name>` for Tekton
    steps) and the namespaces (`workload`, `build` or `all`) it may run in; the registry rule then
    renders one policy for workload namespaces and one for build namespaces. A declared image is
    allowed nowhere else, and the tenant allowlist stays as it is. Exceptions are by container name
    and namespace purpose, not by pod labels: tenants hold `edit` in their build namespaces and could
    set any label on a pod of their own, so a label-based exception would lift the rule for them too.
    Nothing else is lifted in build namespaces; kaniko runs as root, which their Pod Security level
    (the pipeline template's `podSecurity`, baseline in the examples) allows.
"""


def render() -> str:
    out = ["# Output checks", "",
           "<!-- generated by `python -m genplat.checks.docs > docs/checks.md`; edit the rule modules instead -->", "",
           "`genplat build` runs these on every rendered object before writing; `genplat check [PATH…]` runs them on",
           "any manifests. Findings carry a rule id, a severity, the object (`Kind/namespace/name`), the JSON path",
           "inside it, and the blueprint file:line behind it (or the manifest's own line for `genplat check`).", "",
           "## Schema rules", "", "| rule | severity | what it checks |", "|---|---|---|"]
    out += [f"| `{rid}` | {sev} | {text} |" for rid, sev, text in SCHEMA_RULES]
    out += ["", "### How CRD schemas are made strict", "", inspect.cleandoc(crd_schema.__doc__ or ""), "",
            "### Validator", "", inspect.cleandoc(schema.__doc__ or "").split("\n\nRule ids")[0], "",
            "## Guardrail rules", "",
            "Rules marked *blueprints* need the platform's tenancy facts: they run in `genplat build` and in",
            "`genplat check --blueprints DIR`; the others also run in plain `genplat check`. A platform switches a",
            "rule off under `policies.guardrails.disabled` (rule and reason); the reason is printed in the report.", "",
            "| rule | severity | needs |", "|---|---|---|"]
    for rid, m in RULES.items():
        out.append(f"| `{rid}` | {m.SEVERITY.value} | {'blueprints' if m.NEEDS_BLUEPRINT else '—'} |")
    out += ["", "### Where each rule is enforced", "", inspect.cleandoc(ENFORCEMENT), "", *enforcement_table()]
    for rid, m in RULES.items():
        out += ["", f"### `{rid}`", "", inspect.cleandoc(m.__doc__ or "")]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
