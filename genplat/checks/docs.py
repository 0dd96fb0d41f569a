"""Generate ``docs/checks.md`` from the rule modules' docstrings: ``python -m genplat.checks.docs``."""

from __future__ import annotations

import inspect

from genplat.checks import composed, compositions, crd_schema, schema
from genplat.checks.guardrails import RULES
from genplat.policy import POD_SECURITY
from genplat.policy import RULES as ADMISSION

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
    (
        "schema-not-validated",
        "warning (error with --strict)",
        "No schema is known for the apiVersion and kind (a project without an add-on lock, or `genplat check`).",
    ),
    (
        "kind-not-served",
        "error",
        "Build, on a cluster whose add-ons are locked: a custom resource of a kind none of the cluster's add-on "
        "versions (nor --crds) serves; reported at the blueprint line that rendered it, naming the add-on that "
        "would serve it (docs/addons.md).",
    ),
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
    rules too, at the level given. Each policy names its rule (annotation `genplat.dev/rule`) and the
    rule's inputs (`genplat.dev/allowed-registries`, `genplat.dev/platform-images`,
    `genplat.dev/required-labels`: sorted sets), which `genplat diff` reads to flag a loosened policy
    between two outputs (docs/diff.md).

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

WHERE_CHECKS_RUN = """\
## Where each check runs

**Offline, in every `genplat validate`, `build` and `check`** (no cluster, no network): the blueprints'
schemas and rules (docs/rules.md), including the rules that repeat what the API server and Knative's
webhook would refuse (labels, annotation size, quantities, duplicate env entries, colliding secret
names, Knative's reserved ports, variables and container name); every rendered object against the
Kubernetes OpenAPI schemas of the platform's version and the pinned upstream CRDs, made strict as
above, with non-nullable nulls pruned first as the server prunes them; composite resources against the
CRD derived from their XRD (a version without a schema is valid, as the API server takes it); the
guardrail rules below; kubeconform when asked. In `validate` and `build` also what the offerings'
Compositions compose, against the Crossplane providers' CRDs, and every tenant order composed offline
(below).

**Against a real API server, in the test suite** (`tests/cluster`, marker `cluster`: kube-apiserver
v1.35.4 and etcd v3.6.5 built from the pinned sources, RBAC, the default admission plugins with
PodSecurity, ResourceQuota, LimitRanger, ServiceAccount and ValidatingAdmissionPolicy, every pinned CRD
installed and Established):
- every example bundle and a generated 36-tenant project, through `kubectl kustomize`, applied
  server-side with strict field validation in kustomize-controller's order (CRDs and Namespaces
  first): zero refusals, zero warnings, and a second apply changes nothing (the comparison
  `kubectl diff --server-side` makes); the server runs the CRDs' CEL rules (`x-kubernetes-validations`),
  which genplat does not run offline;
- the GitOps wiring (`out/_gitops`) against the Flux and kapp-controller CRDs in their namespaces;
- the Pods that Knative (revision with queue-proxy) and Tekton (task pods with their init containers)
  would create, dry-run created in their namespaces: each meets its namespace's enforced Pod Security
  level without a warning;
- each server-mirroring validate rule against the objects its inputs become, value by value
  (`test_server_agrees.py`): genplat refuses exactly what the server refuses.
- the guardrails' ValidatingAdmissionPolicies (`tests/policy`): every case of the violation corpus
  (`tests/policy/corpus`) refused by its rule's policy with its message, every compliant case admitted
  and stored, every example bundle and the objects Knative, Tekton and Triggers would make of it
  admitted (the server runs with `--allow-privileged=false`, so it refuses privileged pod templates
  itself before admission; the Tekton case and the Kyverno CLI cover those).

**With the crossplane CLI** (v2.1.0, pinned, with function-patch-and-transform v0.10.7 serving on
loopback as a development runtime; `tests/rendering/test_composed_crossplane.py`,
`tests/checks/test_composition_corpus.py`): every order of the examples, of a generated project, of the
same project on Crossplane v1 (claims) and of a project that exercises every transform genplat renders
is composed by `crossplane render` and by genplat, and the composed resources are equal (apiVersion,
kind, spec, and the metadata genplat sets); `crossplane beta validate` accepts them against the
providers' CRDs. Every planted composition defect of the validation corpus is refused by genplat with
its own rule and by `crossplane render` + `crossplane beta validate`, for the defect's reason.

**With the Kyverno CLI** (v1.19.1, pinned, `tests/policy`): the rendered Kyverno policies in both
forms against the same corpus, each case matched by the policies meant for its kind and refused by its
rule alone; every example object of a matched kind and the controller-made objects admitted, with
`--warnings-as-errors`; genplat's gate gives the same verdicts on the corpus and on a batch of tricky
image references.

**What no test covers**: admission webhooks (Knative's, Tekton's, Crossplane's, Kyverno's own
admission controller, external-secrets', cert-manager's) do not run on the test control plane; only their CRDs' schemas and
CEL rules are enforced, and Knative's reservations are checked against Knative's source, not its webhook.
Controllers do not run either: nothing reconciles, so Knative makes no Deployments, Tekton no Pods (the
policy tests model what they would make, `tests/policy/derived.py`),
Crossplane composes nothing and derives no CRDs (the tests install genplat's own derivation in its place;
Crossplane v2.1 itself does not establish an XRD version without a schema), Flux and kapp-controller pull
no bundles (the OCI tests cover fetching with their clients), external-secrets fetches no secret.
Scheduling, the kubelet, image pulls and the effect of NetworkPolicies are untested; kapp-controller's
App CRD is a stand-in written from its documented API.
"""


def render() -> str:
    out = [
        "# Output checks",
        "",
        "<!-- generated by `python -m genplat.checks.docs > docs/checks.md`; edit the rule modules instead -->",
        "",
        "`genplat build` runs these on every rendered object before writing; `genplat check [PATH…]` runs them on",
        "any manifests. Findings carry a rule id, a severity, the object (`Kind/namespace/name`), the JSON path",
        "inside it, and the blueprint file:line behind it (or the manifest's own line for `genplat check`).",
        "",
        "## Schema rules",
        "",
        "| rule | severity | what it checks |",
        "|---|---|---|",
    ]
    out += [f"| `{rid}` | {sev} | {text} |" for rid, sev, text in SCHEMA_RULES]
    out += [
        "",
        "### How CRD schemas are made strict",
        "",
        inspect.cleandoc(crd_schema.__doc__ or ""),
        "",
        "### Validator",
        "",
        inspect.cleandoc(schema.__doc__ or "").split("\n\nRule ids")[0],
        "",
        "## Guardrail rules",
        "",
        "Rules marked *blueprints* need the platform's tenancy facts: they run in `genplat build` and in",
        "`genplat check --blueprints DIR`; the others also run in plain `genplat check`. A platform switches a",
        "rule off under `policies.guardrails.disabled` (rule and reason); the reason is printed in the report.",
        "",
        "| rule | severity | needs |",
        "|---|---|---|",
    ]
    for rid, m in RULES.items():
        out.append(f"| `{rid}` | {m.SEVERITY.value} | {'blueprints' if m.NEEDS_BLUEPRINT else '—'} |")
    out += ["", "### Where each rule is enforced", "", inspect.cleandoc(ENFORCEMENT), "", *enforcement_table()]
    for rid, m in RULES.items():
        out += ["", f"### `{rid}`", "", inspect.cleandoc(m.__doc__ or "")]
    out += [
        "",
        "## Composition checks",
        "",
        inspect.cleandoc(compositions.__doc__ or ""),
        "",
        "### Every order, composed",
        "",
        inspect.cleandoc(composed.__doc__ or ""),
    ]
    out += ["", WHERE_CHECKS_RUN.rstrip("\n")]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
