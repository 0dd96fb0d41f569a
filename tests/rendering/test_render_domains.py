"""Public host names with TLS: a Certificate each, a DomainMapping (and the platform's ClusterDomainClaim)
for Knative Services, a ListenerSet and an HTTPRoute on the cluster's Gateway for Deployments."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import genplat

from .conftest import EXAMPLES, Rendered


def test_knative_service_gets_a_domain_mapping_claim_and_certificate(examples: Rendered) -> None:
    bundle, ns, host = "prod/prod-eu", "globex-prod", "shop.globex.example"
    cert = examples.one(bundle, "Certificate", host, ns)
    assert cert["apiVersion"] == "cert-manager.io/v1"
    assert cert["spec"] == {
        "secretName": host,
        "dnsNames": [host],
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt"},
    }
    mapping = examples.one(bundle, "DomainMapping", host, ns)
    assert mapping["apiVersion"] == "serving.knative.dev/v1beta1"
    assert mapping["spec"] == {
        "ref": {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "checkout"},
        "tls": {"secretName": host},
    }
    (claim,) = examples.find(bundle, "ClusterDomainClaim", host)
    assert claim.tenant is None and claim.file == "platform/domains.yaml"  # the platform grants it
    assert "namespace" not in claim.obj["metadata"] and claim.obj["spec"] == {"namespace": ns}


def test_most_specific_host_names_per_cluster_and_environment(examples: Rendered) -> None:
    def hosts(bundle: str) -> set[str]:
        return {o.name for o in examples.objects[bundle] if o.kind == "DomainMapping"}

    assert hosts("prod/prod-eu") == {"shop.globex.example"}
    assert hosts("prod/prod-us") == {"us.shop.globex.example"}  # the cluster's override
    assert hosts("dev/dev-eu") == {"checkout.globex.apps.dev.acme.example"}  # the environment's
    cert = examples.one("dev/dev-eu", "Certificate", "checkout.globex.apps.dev.acme.example", "globex-dev")
    assert cert["spec"]["issuerRef"]["name"] == "letsencrypt-staging"


def test_deployment_gets_a_listener_set_route_policy_and_certificate(examples: Rendered) -> None:
    bundle, ns, host = "prod/prod-us", "umbrella-prod", "status.umbrella.apps.acme.example"
    listeners = examples.one(bundle, "ListenerSet", "status", ns)
    assert listeners["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert listeners["spec"]["parentRef"] == {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "namespace": "gateway-system",
        "name": "public",
    }
    assert listeners["spec"]["listeners"] == [
        {
            "name": host,
            "hostname": host,
            "port": 443,
            "protocol": "HTTPS",
            "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": host}]},
        }
    ]
    route = examples.one(bundle, "HTTPRoute", "status", ns)
    assert route["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "ListenerSet", "name": "status"}
    ]
    assert route["spec"]["hostnames"] == [host]
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": "status", "port": 80}]}]
    # The route's backend is the Deployment's Service, on the port it serves.
    assert examples.one(bundle, "Service", "status", ns)["spec"]["ports"][0]["port"] == 80
    cert = examples.one(bundle, "Certificate", host, ns)
    assert cert["spec"]["secretName"] == host and cert["spec"]["dnsNames"] == [host]
    policy = examples.one(bundle, "NetworkPolicy", "ingress-status-gateway", ns)
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "status"}}
    assert policy["spec"]["ingress"] == [
        {
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}}}],
            "ports": [{"protocol": "TCP", "port": 8080}],
        }
    ]
    assert not examples.find(bundle, "DomainMapping", host)  # a Deployment is not Knative


def test_services_without_host_names_get_none(examples: Rendered) -> None:
    named = {
        (o.namespace, o.obj["spec"]["ref"]["name"] if o.kind == "DomainMapping" else o.name)
        for objects in examples.objects.values()
        for o in objects
        if o.kind in ("DomainMapping", "HTTPRoute")
    }
    assert named == {
        ("globex-dev", "checkout"),
        ("globex-prod", "checkout"),
        ("umbrella-dev", "status"),
        ("umbrella-prod", "status"),
    }


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "blueprints"
    shutil.copytree(EXAMPLES, root)
    return root


@pytest.mark.parametrize(
    ("old", "new", "rule", "message"),
    [
        (
            "hostnames: [status.umbrella.apps.acme.example]",
            "hostnames: [status.globex.apps.acme.example]",
            "hostname-not-allowed",
            "outside the domains cluster 'prod-eu' allows tenant 'umbrella'",
        ),
        (
            "hostnames: [status.umbrella.apps.acme.example]",
            "hostnames: [shop.globex.example]",
            "hostname-not-allowed",
            "'shop.globex.example' of service 'status' is outside",
        ),
    ],
)
def test_a_host_name_outside_the_tenants_suffixes_is_refused_at_its_line(
    tmp_path: Path, old: str, new: str, rule: str, message: str
) -> None:
    root = _project(tmp_path)
    umbrella = root / "tenants" / "umbrella.yaml"
    text = umbrella.read_text("utf-8")
    assert text.count(old) == 1
    umbrella.write_text(text.replace(old, new), "utf-8")
    found = [d for d in genplat.validate(genplat.load_project(root)) if d.rule == rule]
    assert found and all(message in d.message for d in found[:1]), [d.message for d in found]
    line = umbrella.read_text("utf-8").splitlines()[found[0].line - 1]
    assert new.split("[")[1].rstrip("]") in line


def test_a_host_name_another_tenant_holds_is_refused_naming_both(tmp_path: Path) -> None:
    root = _project(tmp_path)
    platform = root / "platform.yaml"
    text = platform.read_text("utf-8")
    # The platform lets umbrella use globex's domain too: the suffix is allowed, the name is still taken.
    platform.write_text(text.replace("tenants: [globex]", "tenants: [globex, umbrella]"), "utf-8")
    umbrella = root / "tenants" / "umbrella.yaml"
    umbrella.write_text(
        umbrella.read_text("utf-8").replace(
            "hostnames: [status.umbrella.apps.acme.example]", "hostnames: [shop.globex.example]"
        ),
        "utf-8",
    )
    found = [d for d in genplat.validate(genplat.load_project(root)) if d.is_error]
    assert sorted((d.rule, Path(d.file).name) for d in found) == [
        ("hostname-taken", "globex.yaml"),
        ("hostname-taken", "umbrella.yaml"),
    ]
    by_file = {Path(d.file).name: d for d in found}
    assert "tenant 'umbrella'" in by_file["globex.yaml"].message and "tenant 'globex'" in by_file["globex.yaml"].message
    line = umbrella.read_text("utf-8").splitlines()[by_file["umbrella.yaml"].line - 1]
    assert "shop.globex.example" in line
