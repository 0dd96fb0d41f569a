"""Every object name genplat derives from blueprint values is one the real API server accepts, or
``genplat validate`` refuses the blueprint first (property-based, against kube-apiserver).

Hypothesis picks what the schema accepts: an environment name, a service name, a resource name (DNS
labels up to 63 characters) and the service's secret and plain variable names (``[A-Za-z_][A-Za-z0-9_]*``).
When validate passes, the tenant's rendered objects (the ExternalSecrets, the Secret each one makes,
the Knative Service and its labels, the composite resource and its connection Secret, the namespace's
objects) are applied to the server (the namespace for real, the rest as a dry run) and every one must
be accepted. When validate refuses with ``derived-name-invalid``, the object it names is sent to the
server too, which must refuse it: validate neither lets a bad name through nor refuses a good one.
"""

from __future__ import annotations

import collections
import os
import shutil
import tempfile
import typing as t
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import genplat
from genplat.core.names import instance_label, secret_object_name
from tests.cluster.bundles import composite_crds
from tests.control_plane import load_yaml

pytestmark = pytest.mark.cluster

BASE = Path(__file__).resolve().parents[1] / "validation" / "base"
EXAMPLES = int(os.environ.get("GENPLAT_HYPOTHESIS_EXAMPLES", "25"))

dns_labels = st.from_regex(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
variables = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,40}", fullmatch=True)


def _project(root: Path, env: str, service: str, resource: str, secrets: list[str], plain: list[str]) -> Path:
    shutil.copytree(BASE, root)
    platform = (root / "platform.yaml").read_text("utf-8").replace("    - name: dev\n", f"    - name: {env}\n", 1)
    # An offering group of its own: the composite CRD this test installs is no other test's.
    platform = platform.replace("group: platform.example.com", "group: derived-names.example.com")
    (root / "platform.yaml").write_text(platform, "utf-8")
    tenant = {
        "apiVersion": "genplat.dev/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "acme"},
        "spec": {
            "tier": "small",
            "environments": [{"name": env}],
            "services": [
                {
                    "name": service,
                    "image": "ghcr.io/acme/web:1.0.0",
                    "port": 8080,
                    "env": {v: "x" for v in plain},
                    "secrets": [{"env": v, "key": "acme/web", "property": "p"} for v in secrets],
                    "scaling": {"min": 1, "max": 3},
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                }
            ],
            "resources": [{"name": resource, "offering": "postgres", "parameters": {"zone": "europe-west1"}}],
        },
    }
    (root / "tenants" / "acme.yaml").write_text(yaml.safe_dump(tenant, sort_keys=False), "utf-8")
    (root / "tenants" / "beta.yaml").unlink()
    return root


def _target_secrets(docs: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """The Secret external-secrets makes for each ExternalSecret (its target name, its keys)."""
    out = []
    for d in docs:
        if d.get("kind") == "ExternalSecret":
            spec = d["spec"]
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": spec["target"]["name"], "namespace": d["metadata"]["namespace"]},
                    "data": {item["secretKey"]: "" for item in spec["data"]},
                }
            )
    return out


def _external_secret(name: str, namespace: str, key: str) -> dict[str, t.Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
            "target": {"name": name},
            "data": [{"secretKey": key, "remoteRef": {"key": "acme/web"}}],
        },
    }


def test_every_derived_name_is_accepted_or_refused_first(control_plane: t.Any) -> None:
    cp = control_plane
    seen: collections.Counter[str] = collections.Counter()
    crds_done: set[str] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        derandomize=True,  # the same examples on every run, so CI is repeatable
        phases=(Phase.explicit, Phase.generate),  # shrinking against a real server takes minutes
    )
    @given(
        env=dns_labels,
        service=dns_labels,
        resource=dns_labels,
        secrets=st.lists(variables, min_size=1, max_size=3, unique_by=str.lower),
        plain=st.lists(variables, max_size=2, unique=True),
    )
    @example(env="dev", service="checkout", resource="db", secrets=["_"], plain=[])  # the measured case
    @example(env="e" * 30, service="s" * 40, resource="db", secrets=["TOKEN"], plain=[])  # label over 63
    @example(env="dev", service="web", resource="r" * 63, secrets=["A" * 40, "B__C"], plain=["LOG"])
    def check(env: str, service: str, resource: str, secrets: list[str], plain: list[str]) -> None:
        plain = [p for p in plain if p not in secrets]
        with tempfile.TemporaryDirectory() as tmp:
            root = _project(Path(tmp) / "blueprints", env, service, resource, secrets, plain)
            findings = [d for d in genplat.validate(genplat.load_project(root)) if d.is_error]
            namespace = f"acme-{env}"
            if findings:
                seen["refused"] += 1
                for d in findings:
                    if d.rule != "derived-name-invalid":
                        continue
                    seen["derived-name-invalid"] += 1
                    if "ExternalSecret" in d.message:
                        var = next(v for v in secrets if f"secret {v!r}" in d.message)
                        doc = _external_secret(secret_object_name(service, var), "agree-names", var)
                    else:
                        labels = {"app.kubernetes.io/instance": instance_label(service, env)}
                        doc = {
                            "apiVersion": "v1",
                            "kind": "ConfigMap",
                            "metadata": {"name": "probe", "namespace": "agree-names", "labels": labels},
                        }
                    (r,) = cp.apply([doc], dry_run=True, check=False)
                    assert r.error, f"validate refused what the server accepts: {d.message}"
                return
            result = genplat.render(genplat.RenderOptions(project=root))
            assert result.ok, [d.message for d in result.diagnostics if d.is_error]
            platform_docs, tenant_docs = [], []
            for path, data in result.files.items():
                if path.endswith("/tenants/acme.yaml"):
                    tenant_docs += load_yaml(data.decode())
                elif "/platform/" in path and path.endswith(".yaml"):
                    platform_docs += load_yaml(data.decode())
            for crd in composite_crds(platform_docs):
                if crd["metadata"]["name"] not in crds_done:
                    cp.install_crds([crd])
                    crds_done.add(crd["metadata"]["name"])
            namespaces = [d for d in tenant_docs if d.get("kind") == "Namespace"]
            assert [n["metadata"]["name"] for n in namespaces] == [namespace]
            cp.apply(namespaces, check=False)
            rest = [d for d in tenant_docs if d.get("kind") != "Namespace"] + _target_secrets(tenant_docs)
            assert {"ExternalSecret", "Secret", "Service"} <= {d["kind"] for d in rest}
            refused = [f"{r.key}: {r.error}" for r in cp.apply(rest, dry_run=True, check=False) if r.error]
            assert not refused, refused
            seen["accepted"] += 1

    cp.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "agree-names"}}])
    check()
    # The property was exercised both ways: objects the server stored (dry run) and names validate refused.
    assert seen["accepted"] >= 1 and seen["derived-name-invalid"] >= 2, seen
