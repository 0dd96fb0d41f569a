"""docs/reference.md, generated from the blueprint JSON Schemas (``python -m genplat.authoring._reference``).

Every field of both kinds with its type, default, allowed values, an example and what it renders.
Types, defaults and allowed values come from the schema; examples from the starter project
(``genplat init``) where it sets the field, else from the schema's description or allowed values;
"renders" from :data:`RENDERS` (by field path) or, for fields that only refine their parent, the
schema's description. ``tests/authoring/test_reference.py`` keeps the file current.
"""

from __future__ import annotations

import json
import re
import typing as t

from genplat.authoring._roundtrip import RoundTrip
from genplat.authoring._starter import FILES
from genplat.validation.schema import load_schema

# What a field turns into in the rendered output (see docs/blueprints.md for whole examples).
RENDERS: dict[str, str] = {
    "Platform spec.registry": "`out/_gitops/` OCIRepository URLs / kapp App image refs; `genplat push`'s default target",
    "Platform spec.registryInsecure": "`insecure: true` on Flux OCIRepositories",
    "Platform spec.signing": "signed bundles: Flux verifies them before applying",
    "Platform spec.signing.publicKey": "per Flux bundle: `spec.verify` (provider cosign) on the OCIRepository and a Secret `<bundle>-cosign-pub` holding the key",
    "Platform spec.kubernetesVersion": "which Kubernetes schemas rendered objects are checked against",
    "Platform spec.crds": "nothing; CRDs the build checks custom resources against",
    "Platform spec.validator": "nothing; which schema checker the build runs",
    "Platform spec.environments[].name": "bundles `out/<env>/<cluster>/`; tenant namespaces `<tenant>-<env>`",
    "Platform spec.environments[].clusters[].name": "one bundle `out/<env>/<cluster>/` with its kustomization.yaml",
    "Platform spec.environments[].clusters[].provider": "which offering composition the cluster's XRs select",
    "Platform spec.addons": "nothing by itself; the versions clusters run, pinned in `blueprints/addons.lock.json` (`genplat addons lock`)",
    "Platform spec.environments[].clusters[].kubernetesVersion": "which Kubernetes schemas this cluster's objects are checked against; Pod Security version labels",
    "Platform spec.environments[].clusters[].addons": "which families render on the cluster, and the CRDs (those versions') its objects are checked against",
    "Platform spec.environments[].clusters[].capabilities": "the same as addons: the catalog add-ons each capability stands for (Knative, Tekton, Crossplane, Kyverno, ExternalSecrets, …)",
    "Platform spec.environments[].clusters[].gitops": "`out/_gitops/flux/` OCIRepository + Kustomization, or `out/_gitops/kapp/` App",
    "Platform spec.tiers": "per tenant namespace: a ResourceQuota and a LimitRange",
    "Platform spec.tiers.*.quota": "ResourceQuota `spec.hard` (cpu → requests.cpu/limits.cpu, …)",
    "Platform spec.tiers.*.container": "LimitRange `Container` limits (defaultRequest, default, max)",
    "Platform spec.tiers.*.maxReplicas": "the ceiling validate holds `scaling.max` to; Knative max-scale",
    "Platform spec.secrets.store": "`secretStoreRef` of every ExternalSecret",
    "Platform spec.secrets.refreshInterval": "`refreshInterval` of every ExternalSecret",
    "Platform spec.secrets.imagePullSecret": "an ExternalSecret of type dockerconfigjson in each tenant namespace, used by the `workload` ServiceAccount",
    "Platform spec.crossplane": "Crossplane's Function object and the XRD/Composition API versions",
    "Platform spec.offerings": "per offering: a CompositeResourceDefinition and one Composition per provider (`platform/crossplane.yaml`)",
    "Platform spec.offerings[].parameters": "the XRD's `spec.parameters` schema; defaults filled into tenants' XRs",
    "Platform spec.offerings[].compositions": "Compositions (pipeline mode, patch-and-transform)",
    "Platform spec.pipelines": "per building tenant: a Tekton Pipeline in `<tenant>-<env>-build`",
    "Platform spec.pipelines[].podSecurity": "the Pod Security level of the build namespace",
    "Platform spec.pipelines[].triggers": "EventListener, TriggerBinding and TriggerTemplate per building service",
    "Platform spec.policies.podSecurity": "`pod-security.kubernetes.io/*` labels on tenant namespaces",
    "Platform spec.policies.allowedRegistries": "a Kyverno ClusterPolicy; the `guardrail/image-registry` check",
    "Platform spec.policies.requireLimits": "a Kyverno ClusterPolicy requiring requests and limits",
    "Platform spec.policies.forbidLatest": "a Kyverno ClusterPolicy; the `guardrail/image-tag` check",
    "Platform spec.policies.forbidPrivileged": "a Kyverno ClusterPolicy; the privileged and host-namespace checks",
    "Platform spec.policies.defaultDenyNetwork": "a default-deny NetworkPolicy per tenant namespace",
    "Platform spec.policies.requiredLabels": "a Kyverno ClusterPolicy; the `guardrail/pod-labels` check",
    "Platform spec.network": "the `allow-platform` NetworkPolicy's peers (ingress, DNS)",
    "Platform spec.network.egressProxy": "where clusters without cilium or calico-enterprise route services' calls to hosts: `egress-<service>-proxy` NetworkPolicies and HTTPS_PROXY/HTTP_PROXY/NO_PROXY",
    "Platform spec.environments[].clusters[].domains": "which `hostnames` tenants may have there; each name's Certificate issuer",
    "Platform spec.environments[].clusters[].gateway": "the `parentRef` of Deployments' ListenerSets",
    "Platform spec.offerings[].egress": "per service reading an instance: `NetworkPolicy egress-<service>-<resource>` to these networks",
    "Platform spec.tiers.*.maxScratch": "the ceiling validate holds `volumes[].scratch.sizeLimit` to",
    "Platform spec.observability.prometheus": "labels of every ServiceMonitor, PodMonitor, PrometheusRule; the peer of `ingress-<service>-metrics`",
    "Platform spec.observability.openTelemetry": "OTEL_* in every workload container; `NetworkPolicy allow-telemetry`",
    "Platform spec.observability.slo": "how services' SLO rules measure and alert (PrometheusRule `<service>-slo`)",
    "Tenant metadata.name": "namespaces `<name>-<env>` (and `<name>-<env>-build`)",
    "Tenant metadata.labels": "labels on every object of the tenant",
    "Tenant spec.description": "the namespace's `genplat.dev/description` annotation",
    "Tenant spec.tier": "the namespace's ResourceQuota and LimitRange",
    "Tenant spec.access.admins": "RoleBinding to ClusterRole `admin`",
    "Tenant spec.access.developers": "RoleBinding to ClusterRole `edit`",
    "Tenant spec.access.viewers": "RoleBinding to ClusterRole `view`",
    "Tenant spec.environments": "the tenant's objects on every cluster of each environment",
    "Tenant spec.environments[].clusters": "the tenant's objects on these clusters only",
    "Tenant spec.services": "per service: a Knative Service (and its ExternalSecrets, build objects)",
    "Tenant spec.services[].image": "the Knative Service's container image",
    "Tenant spec.services[].port": "the container's `ports[0].containerPort`",
    "Tenant spec.services[].env": "container `env` entries",
    "Tenant spec.services[].secrets": "an ExternalSecret per reference; container `env` from its Secret",
    "Tenant spec.services[].scaling": "Knative autoscaling annotations (min/max scale, target, metric)",
    "Tenant spec.services[].resources": "the container's `resources`",
    "Tenant spec.services[].traffic": "the Knative Service's `spec.traffic`",
    "Tenant spec.services[].visibility": "the `networking.knative.dev/visibility` label",
    "Tenant spec.services[].build": "Tekton Pipeline, ServiceAccount and triggers in `<tenant>-<env>-build`",
    "Tenant spec.services[].workload": "a Knative Service, a Deployment (+ Service, HPA, PDB), a CronJob or a Job `<service>-<hash>`",
    "Tenant spec.services[].command": "the container's `command`",
    "Tenant spec.services[].args": "the container's `args`",
    "Tenant spec.services[].volumes": "pod `volumes` and container `volumeMounts`: ConfigMap `<service>-<volume>-<hash>`, ExternalSecret `<service>-<volume>`, emptyDir",
    "Tenant spec.services[].schedule": "the CronJob's schedule, time zone, concurrency policy and history limits",
    "Tenant spec.services[].job": "the Job spec of a job or cronjob run (backoffLimit, deadline, parallelism, completions)",
    "Tenant spec.services[].egress": "`egress-<service>-<name>`: a NetworkPolicy, CiliumNetworkPolicy or Calico NetworkPolicy (or the egress proxy)",
    "Tenant spec.services[].hostnames": "per name a Certificate and a DomainMapping (knative) or a ListenerSet listener and HTTPRoute (deployment)",
    "Tenant spec.services[].metrics": "a ServiceMonitor (deployment) or PodMonitor (knative), and `ingress-<service>-metrics`",
    "Tenant spec.services[].slo": "PrometheusRule `<service>-slo`: recording rules and four burn-rate alerts per objective",
    "Tenant spec.environments[].clusterOverrides": "the tenant's objects on that cluster, with these changes over the environment's",
    "Tenant spec.resources": "per resource: a Crossplane XR (v2) or claim (v1) of the offering's kind",
    "Tenant spec.resources[].parameters": "the XR's `spec.parameters`",
    "Tenant spec.events": "per subscription: a Knative Trigger (and the Broker it names)",
    "Tenant spec.network.allowFrom": "NetworkPolicy ingress from the named tenants' namespaces",
}


def _deref(root: dict[str, t.Any], node: t.Any) -> tuple[dict[str, t.Any], str | None]:
    """The schema a node stands for (refs followed, local keys winning) and the $defs name it used."""
    name = None
    merged: dict[str, t.Any] = {}
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        name = name or ref.rsplit("/", 1)[-1]
        merged = {**{k: v for k, v in node.items() if k != "$ref"}, **merged}
        target: t.Any = root
        for part in ref.lstrip("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        node = target
    return ({**(node if isinstance(node, dict) else {}), **merged}), name


def _type(root: dict[str, t.Any], schema: dict[str, t.Any], ref: str | None) -> str:
    if ref == "name":
        return "name (DNS label)"
    if ref == "quantity":
        return "quantity"
    ty = schema.get("type")
    if ty == "array":
        item, item_ref = _deref(root, schema.get("items"))
        return f"list of {_type(root, item, item_ref)}"
    if ty == "object" and isinstance(schema.get("additionalProperties"), dict) and not schema.get("properties"):
        value, value_ref = _deref(root, schema["additionalProperties"])
        return f"map of {_type(root, value, value_ref)}"
    if isinstance(ty, list):
        return " or ".join(ty)
    if ty is None and "const" in schema:
        return {str: "string", bool: "boolean", int: "integer"}.get(type(schema["const"]), "any")
    if ty == "object":
        return "object"
    return str(ty) if ty else "any"


def _allowed(schema: dict[str, t.Any]) -> str:
    parts = []
    if "enum" in schema:
        parts.append(", ".join(f"`{json.dumps(v)}`" if not isinstance(v, str) else f"`{v}`" for v in schema["enum"]))
    if "const" in schema:
        parts.append(f"`{schema['const']}`")
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None or hi is not None:
        parts.append(f"{lo if lo is not None else '…'}–{hi if hi is not None else '…'}")
    if schema.get("maxLength"):
        parts.append(f"at most {schema['maxLength']} characters")
    if schema.get("minItems"):
        parts.append(f"at least {schema['minItems']} item(s)")
    if schema.get("uniqueItems"):
        parts.append("no repeats")
    return "; ".join(parts)


def _starter_values() -> dict[str, dict[str, t.Any]]:
    out: dict[str, dict[str, t.Any]] = {}
    for path, text in FILES.items():
        if path.endswith(".yaml") and path.startswith("blueprints/"):
            data = RoundTrip(text).data
            out.setdefault(str(data["kind"]), {})
            _collect(data, "", out[str(data["kind"])])
    return out


def _collect(node: t.Any, path: str, into: dict[str, t.Any]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _collect(v, f"{path}.{k}" if path else str(k), into)
    elif isinstance(node, list):
        for v in node:
            _collect(v, f"{path}[]", into)
    if path and path not in into:
        into[path] = node


def _generic(path: str, values: dict[str, t.Any]) -> t.Any:
    """A starter value for ``path``, where map keys (``tiers.*``) match any key."""
    if path in values:
        return values[path]
    pattern = re.compile("^" + re.escape(path).replace(r"\*", r"[^.\[\]]+") + "$")
    return next((v for k, v in values.items() if pattern.match(k)), None)


def _example(schema: dict[str, t.Any], value: t.Any) -> str:
    if value is not None and not isinstance(value, (dict, list)):
        return f"`{json.dumps(value) if not isinstance(value, str) or value in ('true', 'false') or value[:1].isdigit() else value}`"
    if isinstance(value, list) and value and all(not isinstance(v, (dict, list)) for v in value):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    m = re.search(r"e\.g\. (.+?)\.?$", str(schema.get("description") or ""))
    if m:
        return m.group(1).replace("'", "`")
    if schema.get("enum"):
        return f"`{schema['enum'][0]}`"
    if "default" in schema:
        return f"`{json.dumps(schema['default'])}`"
    return ""


def _cell(text: t.Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _rows(
    root: dict[str, t.Any], node: t.Any, path: str, kind: str, values: dict[str, t.Any], out: list[str], depth: int = 0
) -> None:
    schema, _ref = _deref(root, node)
    if depth > 12:
        return
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    for key, sub in props.items():
        child = f"{path}.{key}" if path else key
        s, r = _deref(root, sub)
        default = f"`{json.dumps(s['default'])}`" if "default" in s else ("required" if key in required else "")
        renders = RENDERS.get(f"{kind} {child}", "")
        out.append(
            "| "
            + " | ".join(
                _cell(c)
                for c in (
                    f"`{child}`",
                    _type(root, s, r),
                    default,
                    _allowed(s),
                    _example(s, _generic(child, values)),
                    renders or s.get("description", ""),
                )
            )
            + " |"
        )
        if renders and s.get("description"):
            out[-1] = out[-1][:-2] + _cell(f" — {s['description']}") + " |"
        _descend(root, s, child, kind, values, out, depth)


def _descend(
    root: dict[str, t.Any],
    s: dict[str, t.Any],
    child: str,
    kind: str,
    values: dict[str, t.Any],
    out: list[str],
    depth: int,
) -> None:
    if s.get("properties"):
        _rows(root, s, child, kind, values, out, depth + 1)
    elif s.get("type") == "array":
        item, _ = _deref(root, s.get("items"))
        if item.get("properties"):
            _rows(root, item, f"{child}[]", kind, values, out, depth + 1)
    elif isinstance(s.get("additionalProperties"), dict):
        value, _ = _deref(root, s["additionalProperties"])
        if value.get("properties"):
            _rows(root, value, f"{child}.*", kind, values, out, depth + 1)


HEADER = """\
# Blueprint reference

<!-- Generated from genplat/schemas/*.schema.json by `python -m genplat.authoring._reference`; do not edit.
     tests/authoring/test_reference.py fails when it is not current. -->

Every field of the two blueprint kinds. `[]` is "each item of the list", `*` "each key of the
map" (`tiers.*` is each tier). **Default** is the schema's (or *required*); **Example** is from the
starter project `genplat init` writes where it sets the field; **Renders** says what the field turns
into, followed by the schema's description. Whole rendered examples are in
[blueprints.md](blueprints.md); editors show the same descriptions through the `yaml-language-server`
modeline (`genplat schema platform|tenant`).
"""


def generate() -> str:
    values = _starter_values()
    parts = [HEADER]
    for kind, name in (("Platform", "platform"), ("Tenant", "tenant")):
        root = load_schema(name)
        rows: list[str] = []
        _rows(root, root, "", kind, values.get(kind, {}), rows)
        parts.append(
            f"\n## {kind} (`{name}.schema.json`)\n\n{root.get('description', '')}\n\n"
            "| Field | Type | Default | Allowed | Example | Renders |\n|---|---|---|---|---|---|\n"
            + "\n".join(rows)
            + "\n"
        )
    return "".join(parts)


if __name__ == "__main__":  # pragma: no cover - the docs' regeneration entry point
    import sys

    sys.stdout.write(generate())
