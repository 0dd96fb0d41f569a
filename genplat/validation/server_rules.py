"""Validate stage, part two: what the API server and the admission webhooks would refuse.

A blueprint can pass its schema and still become objects a cluster refuses: labels that are not valid
Kubernetes labels, quantities the server cannot parse, duplicate env entries, names that collide after
derivation, ports and variables Knative reserves. Each rule here mirrors a check in upstream code
(apimachinery's validation, the core API's ValidatePod / ValidateResourceQuota, Knative Serving's
``pkg/apis/serving/k8s_validation.go``), so ``genplat validate`` says at the blueprint's line what the
server would say much later about a rendered object; tests/cluster proves each against the real server.
docs/rules.md lists them.

Findings are per blueprint location, not per environment: an input that breaks every environment is
reported once (``validate`` deduplicates identical findings).
"""

from __future__ import annotations

import re
import typing as t

from genplat.core.diagnostics import Diagnostic
from genplat.core.names import instance_label, secret_object_name, secret_volume_name
from genplat.core.quantity import quantity_problem
from genplat.core.readers import as_dict, as_list
from genplat.loader.project import Blueprint
from genplat.validation.pods import check_pods
from genplat.validation.variants import service_variants

# apimachinery/pkg/util/validation: qualified names (label keys) and label values.
_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE_HELP = (
    "at most 63 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit (or empty)"
)
_KEY_HELP = (
    "an optional DNS-subdomain prefix and '/', then a name of at most 63 characters: letters, digits, '-', "
    "'_' or '.', starting and ending with a letter or digit"
)
# apimachinery's TotalAnnotationSizeLimitB: the sum of all keys' and values' lengths on one object.
ANNOTATIONS_LIMIT = 256 * 1024
# genplat's own annotation from blueprint values (render/tenancy.py): the tenant's description.
DESCRIPTION_ANNOTATION = "genplat.dev/description"
# knative.dev/serving pkg/apis/serving/k8s_validation.go (v0.47): reservedPorts, reservedEnvVars,
# reservedContainerNames. genplat names the user container after the service.
KNATIVE_RESERVED_PORTS = {
    8008: "profiling",
    8012: "queue-proxy HTTP",
    8013: "queue-proxy HTTP/2",
    8022: "queue-proxy admin",
    9090: "autoscaler metrics",
    9091: "user metrics",
}
KNATIVE_RESERVED_ENV = ("PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION")
KNATIVE_RESERVED_CONTAINERS = ("queue-proxy",)


def label_key_problem(key: str) -> str | None:
    """apimachinery's IsQualifiedName, in words (None when valid)."""
    prefix, _, name = key.rpartition("/") if "/" in key else ("", "", key)
    if key.count("/") > 1:
        return "has more than one '/'"
    if "/" in key and not prefix:
        return "has an empty prefix before '/'"
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"prefix {prefix!r} is not a DNS subdomain (lower-case letters, digits, '-' and '.')"
    if not name:
        return "has an empty name"
    if len(name) > 63:
        return f"name part is {len(name)} characters, over 63"
    if not _NAME_PART.match(name):
        return f"name part {name!r} must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"
    return None


def dns_subdomain_problem(name: str) -> str | None:
    """apimachinery's IsDNS1123Subdomain (the rule for Secret, ConfigMap and custom resource names), in
    words (None when valid)."""
    if len(name) > 253:
        return f"is {len(name)} characters, over 253"
    if not _DNS_SUBDOMAIN.match(name):
        return "must consist of lower-case letters, digits, '-' and '.', and start and end with a letter or digit"
    return None


def label_value_problem(value: str) -> str | None:
    """apimachinery's IsValidLabelValue, in words (None when valid)."""
    if len(value) > 63:
        return f"is {len(value)} characters, over 63"
    if value and not _NAME_PART.match(value):
        return "must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"
    return None


def check_labels(bp: Blueprint) -> list[Diagnostic]:
    """metadata.labels are copied onto every object: one bad label makes every object fail."""
    out = []
    for key, value in as_dict(as_dict(bp.data.get("metadata")).get("labels")).items():
        path = ("metadata", "labels", key)
        if isinstance(key, str) and (problem := label_key_problem(key)):
            out.append(
                bp.diagnostic(
                    "label-invalid", f"label key {key!r} {problem}", path, key=True, hint=f"a label key is {_KEY_HELP}"
                )
            )
        if isinstance(value, str) and (problem := label_value_problem(value)):
            out.append(
                bp.diagnostic(
                    "label-invalid",
                    f"label value {value!r} for {key!r} {problem}"[:300],
                    path,
                    hint=f"a label value is {_LABEL_VALUE_HELP}; put longer text in spec.description",
                )
            )
    return out


def check_annotations(bp: Blueprint) -> list[Diagnostic]:
    description = bp.spec.get("description")
    if not isinstance(description, str):
        return []
    size = len(DESCRIPTION_ANNOTATION) + len(description.encode("utf-8"))
    if size <= ANNOTATIONS_LIMIT:
        return []
    return [
        bp.diagnostic(
            "annotations-too-large",
            f"the description becomes the namespace annotation {DESCRIPTION_ANNOTATION}: {size} bytes, over the API server's {ANNOTATIONS_LIMIT} for all of an object's annotations",
            ("spec", "description"),
            hint="shorten the description; link to longer documents instead",
        )
    ]


# --- quantities, wherever the schema says a value is one ------------------------------------------------


def _resolve(schema: dict[str, t.Any], root: dict[str, t.Any]) -> dict[str, t.Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return as_dict(as_dict(root.get("$defs")).get(ref.split("/")[-1]))
    return schema


def _is_quantity(schema: dict[str, t.Any]) -> bool:
    return schema.get("$ref") == "#/$defs/quantity"


def quantity_locations(
    doc: t.Any, schema: dict[str, t.Any], root: dict[str, t.Any], path: tuple[str | int, ...] = ()
) -> t.Iterator[tuple[tuple[str | int, ...], t.Any]]:
    """Every (path, value) of ``doc`` that the schema types as a quantity."""
    if _is_quantity(schema):
        yield path, doc
        return
    schema = _resolve(schema, root)
    if isinstance(doc, dict):
        props = as_dict(schema.get("properties"))
        extra = schema.get("additionalProperties")
        for key, value in doc.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if isinstance(sub, dict):
                yield from quantity_locations(value, sub, root, (*path, key))
    elif isinstance(doc, list) and isinstance(schema.get("items"), dict):
        for i, value in enumerate(doc):
            yield from quantity_locations(value, schema["items"], root, (*path, i))


def check_quantities(bp: Blueprint, schema: dict[str, t.Any]) -> list[Diagnostic]:
    out = []
    for path, value in quantity_locations(bp.data, schema, schema):
        problem = quantity_problem(value)
        if problem:
            out.append(bp.diagnostic("quantity-invalid", problem[0], path, hint=problem[1]))
    return out


# --- services: env entries, secret names, Knative's reservations ------------------------------------------


def check_services(bp: Blueprint) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    derived: dict[str, tuple[str, str]] = {}  # ExternalSecret name -> (service, env var) that took it first
    for v in service_variants(bp):
        si, svc = v.index, v.effective
        override = v.layers[0][0] if v.layers else None
        base = ("spec", "services", si)
        sname = str(svc["name"]) if isinstance(svc.get("name"), str) else ""
        env = as_dict(svc.get("env"))
        secrets = [as_dict(s) for s in as_list(svc.get("secrets"))]
        secret_envs: dict[str, int] = {}
        for i, ref in enumerate(secrets):
            name = ref.get("env")
            if not isinstance(name, str):
                continue
            where: tuple[str | int, ...] = (*base, "secrets", i, "env")
            if name in env:
                out.append(
                    bp.diagnostic(
                        "env-duplicate",
                        f"{name!r} is both a plain variable (env) and a secret of service {sname!r}",
                        where,
                        hint="the container would get two entries of that name, which the API server refuses: keep one",
                    )
                )
            if name in secret_envs:
                out.append(
                    bp.diagnostic(
                        "env-duplicate",
                        f"secret variable {name!r} is listed twice in service {sname!r}",
                        where,
                        hint="remove one of the two entries",
                    )
                )
            secret_envs.setdefault(name, i)
            if override is None:  # secrets are not overridden per environment
                obj = secret_object_name(sname, name)
                if sname and (problem := dns_subdomain_problem(obj)):
                    out.append(
                        bp.diagnostic(
                            "derived-name-invalid",
                            f"secret {name!r} of service {sname!r} becomes ExternalSecret and Secret {obj!r}, which "
                            f"the API server refuses: a name {problem}",
                            where,
                            hint="the name is <service>-<variable, lower-case, runs of other characters as '-'>: "
                            "give the variable a letter or digit",
                        )
                    )
                first = derived.get(obj)
                if first and first != (sname, name):
                    out.append(
                        bp.diagnostic(
                            "secret-name-collision",
                            f"secret {name!r} of service {sname!r} becomes ExternalSecret {obj!r}, as {first[1]!r} of service {first[0]!r} already does",
                            where,
                            hint="names are lower-cased and runs of other characters become '-': rename one variable",
                        )
                    )
                derived.setdefault(obj, (sname, name))
        if override is None:  # volumes' ExternalSecrets share the namespace with the secrets' above
            for i, volume in enumerate(as_list(svc.get("volumes"))):
                vname = as_dict(volume).get("name")
                if "secret" not in as_dict(volume) or not isinstance(vname, str):
                    continue
                obj = secret_volume_name(sname, vname)
                first = derived.get(obj)
                if first and first != (sname, f"volume {vname}"):
                    out.append(
                        bp.diagnostic(
                            "secret-name-collision",
                            f"secret volume {vname!r} of service {sname!r} becomes ExternalSecret {obj!r}, as "
                            f"{first[1]!r} of service {first[0]!r} already does",
                            (*base, "volumes", i, "name"),
                            hint="rename the volume or the variable",
                        )
                    )
                derived.setdefault(obj, (sname, f"volume {vname}"))
        for name in [*env, *secret_envs]:
            if name in KNATIVE_RESERVED_ENV:
                if name not in env:
                    where = (*base, "secrets", secret_envs[name], "env")
                else:
                    where = next(
                        ((*path, "env", name) for path, values in v.layers if name in as_dict(values.get("env"))),
                        (*base, "env", name),
                    )
                out.append(
                    bp.diagnostic(
                        "knative-reserved-env",
                        f"Knative sets {name} itself and refuses a service that sets it",
                        where,
                        key=name in env,
                        hint=f"rename the variable; {', '.join(KNATIVE_RESERVED_ENV)} are reserved",
                    )
                )
        port = svc.get("port")
        if isinstance(port, int) and not isinstance(port, bool) and port in KNATIVE_RESERVED_PORTS:
            ppath = (*v.at("port"), "port")
            out.append(
                bp.diagnostic(
                    "knative-reserved-port",
                    f"port {port} is reserved by Knative ({KNATIVE_RESERVED_PORTS[port]})",
                    ppath,
                    hint=f"serve on another port, e.g. 8080; {', '.join(map(str, KNATIVE_RESERVED_PORTS))} are reserved",
                )
            )
        mport = as_dict(svc.get("metrics")).get("port")
        if (
            isinstance(mport, int)
            and not isinstance(mport, bool)
            and mport in KNATIVE_RESERVED_PORTS
            and svc.get("workload", "knative") == "knative"
        ):
            out.append(
                bp.diagnostic(
                    "knative-reserved-port",
                    f"metrics port {mport} is reserved by Knative ({KNATIVE_RESERVED_PORTS[mport]}) in its pods",
                    (*v.at("metrics"), "metrics", "port"),
                    hint="serve the metrics on the service's port, or on one Knative leaves free, e.g. 9464",
                )
            )
        if override is None and sname in KNATIVE_RESERVED_CONTAINERS:
            out.append(
                bp.diagnostic(
                    "knative-reserved-name",
                    f"service name {sname!r} is the name of Knative's own sidecar container",
                    (*base, "name"),
                    hint="choose another name",
                )
            )
    return out


def check_instance_labels(bp: Blueprint) -> list[Diagnostic]:
    """A service's objects carry ``app.kubernetes.io/instance: <service>-<environment>``: a label value."""
    out = []
    envs = [e for e in (as_dict(x).get("name") for x in as_list(bp.spec.get("environments"))) if isinstance(e, str)]
    for si, svc in enumerate(as_list(bp.spec.get("services"))):
        sname = as_dict(svc).get("name")
        if not isinstance(sname, str) or not sname:
            continue
        for env in envs:
            label = instance_label(sname, env)
            if problem := label_value_problem(label):
                out.append(
                    bp.diagnostic(
                        "derived-name-invalid",
                        f"service {sname!r} in environment {env!r} gets the label app.kubernetes.io/instance="
                        f"{label!r}, which the API server refuses: a label value {problem}",
                        ("spec", "services", si, "name"),
                        hint="shorten the service name (or the environment's)",
                    )
                )
    return out


def check_blueprint(bp: Blueprint, schema: dict[str, t.Any], *, tenant: bool) -> list[Diagnostic]:
    """Every server-side rule for one blueprint (``schema``: its kind's JSON schema, for quantities)."""
    out = check_labels(bp) + check_quantities(bp, schema)
    if tenant:
        out += check_annotations(bp) + check_services(bp) + check_pods(bp) + check_instance_labels(bp)
    return out
