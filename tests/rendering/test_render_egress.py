"""Egress that matches what a service uses: the resources it reads, the endpoints it declares, nothing else."""

from __future__ import annotations

import dataclasses
import typing as t

import pytest

from genplat.rendering import egress
from genplat.rendering._base import BundleContext
from genplat.resolver.model import Cluster, TenantTarget

from .conftest import Rendered, render_all

Opening = tuple[str, ...]


def _matches(selector: dict[str, t.Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def _peer(peer: dict[str, t.Any]) -> str:
    if "ipBlock" in peer:
        return f"cidr {peer['ipBlock']['cidr']}"
    parts = []
    if "namespaceSelector" in peer:
        sel = peer["namespaceSelector"]
        values = sel.get("matchLabels") or {e["key"]: ",".join(e["values"]) for e in sel.get("matchExpressions", [])}
        parts.append(f"namespaces {sorted(values.values())}")
    if "podSelector" in peer:
        parts.append("pods " + (str(sorted((peer["podSelector"].get("matchLabels") or {}).items())) or "all"))
    return " ".join(parts)


def openings(objects: list[t.Any], namespace: str, labels: dict[str, str]) -> set[Opening]:
    """Every egress opening that applies to a pod with ``labels`` in ``namespace`` (by any policy kind)."""
    out: set[Opening] = set()
    for o in objects:
        obj = o.obj
        if o.namespace != namespace:
            continue
        spec = obj.get("spec", {})
        if o.kind == "NetworkPolicy" and o.api_version == "networking.k8s.io/v1":
            if "Egress" not in spec["policyTypes"] or not _matches(spec["podSelector"], labels):
                continue
            for rule in spec.get("egress", []):
                ports = tuple(sorted(f"{p['protocol']}/{p['port']}" for p in rule.get("ports", []))) or ("any",)
                for peer in rule.get("to", [{"all": True}]):
                    out.add((o.name, _peer(peer), *ports))
        elif o.kind == "CiliumNetworkPolicy" and _matches(spec["endpointSelector"], labels):
            for rule in spec["egress"]:
                ports = tuple(f"{p['protocol']}/{p['port']}" for tp in rule["toPorts"] for p in tp["ports"])
                for fqdn in rule.get("toFQDNs", []):
                    out.add((o.name, f"host {fqdn.get('matchName') or fqdn.get('matchPattern')}", *ports))
                for ep in rule.get("toEndpoints", []):
                    out.add((o.name, f"dns via {sorted(ep['matchLabels'].values())}", *ports))
    return out


def _pod_labels(o: t.Any) -> dict[str, str]:
    spec = o.obj["spec"]
    if o.kind == "CronJob":
        return t.cast("dict[str, str]", spec["jobTemplate"]["spec"]["template"]["metadata"]["labels"])
    return t.cast("dict[str, str]", spec["template"]["metadata"]["labels"])


WORKLOADS = {
    ("Service", "serving.knative.dev/v1"),
    ("Deployment", "apps/v1"),
    ("CronJob", "batch/v1"),
    ("Job", "batch/v1"),
}
DB = {"dev/dev-eu": "10.80.0.0/20", "prod/prod-eu": "10.90.0.0/20"}


def test_examples_open_exactly_what_each_service_uses(examples: Rendered) -> None:
    seen: dict[tuple[str, str, str], set[Opening]] = {}
    for bundle, objects in examples.objects.items():
        for o in objects:
            if (o.kind, o.api_version) not in WORKLOADS:
                continue
            labels = _pod_labels(o)
            service = labels["app.kubernetes.io/name"]
            baseline = openings(objects, o.namespace or "", {"genplat.dev/no-such-label": "x"})
            extra = openings(objects, o.namespace or "", labels) - baseline
            seen[(bundle, o.tenant or "", service)] = extra
            # What every pod of the namespace may reach never leaves the cluster.
            assert not [b for b in baseline if b[1].startswith(("cidr", "host"))], baseline
    expected: dict[tuple[str, str, str], set[Opening]] = {}
    for bundle, cidr in DB.items():
        for service in ("report-worker", "report-cleanup", "reports-migrate"):
            expected[(bundle, "initech", service)] = {(f"egress-{service}-reports-db", f"cidr {cidr}", "TCP/5432")}
    for bundle in ("dev/dev-eu", "prod/prod-eu"):
        expected[(bundle, "globex", "checkout")] = {
            ("egress-checkout-stripe", "host api.stripe.com", "TCP/443"),
            ("egress-checkout-stripe", "dns via ['kube-system']", "ANY/53"),
        }
    # prod-us's CNI cannot enforce host names: checkout reaches the egress proxy, and only it.
    expected[("prod/prod-us", "globex", "checkout")] = {
        (
            "egress-checkout-proxy",
            "namespaces ['egress-proxy'] pods [('app.kubernetes.io/name', 'egress-proxy')]",
            "TCP/3128",
        )
    }
    assert {k: v for k, v in seen.items() if v} == expected
    # The services that declare no endpoint and read no resource: nothing beyond the namespace's baseline.
    assert {k for k, v in seen.items() if not v} >= {
        ("dev/dev-eu", "tools", "docs"),
        ("dev/dev-eu", "umbrella", "notifier"),
        ("dev/dev-eu", "initech", "reports"),
        ("prod/prod-us", "umbrella", "notifier"),
    }


def test_proxy_variables_only_where_the_proxy_carries_the_calls(examples: Rendered) -> None:
    def env(bundle: str) -> dict[str, str]:
        (c,) = examples.one(bundle, "Service", "checkout", f"globex-{bundle.split('/')[0]}")["spec"]["template"][
            "spec"
        ]["containers"]
        return {e["name"]: e.get("value", "") for e in c["env"]}

    us = env("prod/prod-us")
    url = "http://egress-proxy.egress-proxy.svc.cluster.local:3128"
    assert us["HTTPS_PROXY"] == us["https_proxy"] == us["HTTP_PROXY"] == url
    assert us["NO_PROXY"] == ".svc,.cluster.local,localhost,127.0.0.1"
    assert "HTTPS_PROXY" not in env("prod/prod-eu") and "HTTPS_PROXY" not in env("dev/dev-eu")


def _cluster(examples: Rendered, bundle: str, **changes: t.Any) -> Cluster:
    cluster = next(c for c in examples.platform.clusters if c.bundle == bundle)
    return dataclasses.replace(cluster, **changes)


def test_most_specific_offering_entry_wins(examples: Rendered) -> None:
    eu = _cluster(examples, "prod/prod-eu")
    dev = _cluster(examples, "dev/dev-eu")
    us = _cluster(examples, "prod/prod-us")
    assert egress.offering_egress(examples.platform, "postgres", eu)["cidrs"] == ["10.90.0.0/20"]  # type: ignore[index]
    assert egress.offering_egress(examples.platform, "postgres", dev)["cidrs"] == ["10.80.0.0/20"]  # type: ignore[index]
    assert egress.offering_egress(examples.platform, "postgres", us)["cidrs"] == ["10.1.64.0/18"]  # type: ignore[index]
    other = dataclasses.replace(us, provider="aks")
    assert egress.offering_egress(examples.platform, "postgres", other) is None
    assert egress.offering_egress(examples.platform, "dedicated-cluster", eu) is None


def _globex(examples: Rendered, bundle: str) -> TenantTarget:
    return next(tt for tt in examples.bundles[bundle] if tt.name == "globex")


def test_calico_enterprise_gets_its_own_kind(examples: Rendered) -> None:
    cluster = _cluster(examples, "prod/prod-us", capabilities=frozenset({"knative-serving", "calico-enterprise"}))
    tenant = dataclasses.replace(_globex(examples, "prod/prod-us"), cluster=cluster)
    objs = egress.render(BundleContext(examples.platform, cluster, [tenant]), tenant)
    (policy,) = [o for o in objs if o.name == "egress-checkout-stripe"]
    assert policy.api_version == "projectcalico.org/v3" and policy.kind == "NetworkPolicy"
    assert policy.obj["spec"] == {
        "selector": "app.kubernetes.io/name == 'checkout'",
        "types": ["Egress"],
        "egress": [
            {"action": "Allow", "protocol": "TCP", "destination": {"domains": ["api.stripe.com"], "ports": [443]}}
        ],
    }
    assert not [o for o in objs if o.name == "egress-checkout-proxy"]  # no proxy where names are enforced


def test_nothing_without_default_deny(examples: Rendered) -> None:
    platform = dataclasses.replace(
        examples.platform, policies={**examples.platform.policies, "defaultDenyNetwork": False}
    )
    rendered = render_all(platform, examples.bundles)
    for objects in rendered.objects.values():
        assert not [o for o in objects if o.name.startswith("egress-")]
    (c,) = rendered.one("prod/prod-us", "Service", "checkout", "globex-prod")["spec"]["template"]["spec"]["containers"]
    assert "HTTPS_PROXY" not in {e["name"] for e in c["env"]}


@pytest.mark.parametrize("var", ["HTTPS_PROXY", "no_proxy"])
def test_a_service_setting_a_proxy_variable_keeps_its_value(examples: Rendered, var: str) -> None:
    tenant = _globex(examples, "prod/prod-us")
    svc = dataclasses.replace(tenant.services[0], env={**tenant.services[0].env, var: "mine"})
    ctx = BundleContext(examples.platform, tenant.cluster, [tenant])
    names = [e["name"] for e in egress.proxy_env(ctx, svc)]
    assert var not in names and len(names) == 5
