"""What a real tenant runs: offering outputs wired into services, Deployments beside Knative Services,
builds sized by their pipeline templates and pushed with the tenant's own credentials."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from genplat.rendering import crossplane

from .conftest import REPO, Rendered, render_all, with_platform

DEV = "dev/dev-eu"
NS = "initech-dev"
BUILD_NS = "initech-dev-build"
CONNECTION = "reports-db-connection"


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container["env"]}


def test_deployment_service_hpa_and_pdb_for_the_worker(examples: Rendered) -> None:
    dep = examples.one(DEV, "Deployment", "report-worker", NS)
    assert dep["apiVersion"] == "apps/v1"
    assert "replicas" not in dep["spec"]  # the HorizontalPodAutoscaler owns the count
    assert dep["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "report-worker"}}
    pod = dep["spec"]["template"]
    assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == "report-worker"  # the platform's required label
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "workload"
    assert spec["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    (c,) = spec["containers"]
    assert c["securityContext"]["allowPrivilegeEscalation"] is False and c["securityContext"]["capabilities"] == {
        "drop": ["ALL"]
    }
    assert c["ports"] == [
        {"name": "http", "containerPort": 8081, "protocol": "TCP"},
        {"name": "metrics", "containerPort": 9102, "protocol": "TCP"},  # metrics on a port of their own
    ]
    assert c["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 8081}}
    assert c["livenessProbe"] == {"httpGet": {"path": "/healthz", "port": 8081}, "periodSeconds": 20}
    assert c["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
    svc = examples.one(DEV, "Service", "report-worker", NS)
    assert svc["apiVersion"] == "v1"
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
    assert svc["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
        {"name": "metrics", "port": 9102, "targetPort": "metrics", "protocol": "TCP"},
    ]
    hpa = examples.one(DEV, "HorizontalPodAutoscaler", "report-worker", NS)
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "report-worker"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 6)
    assert hpa["spec"]["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 75}}}
    ]
    pdb = examples.one(DEV, "PodDisruptionBudget", "report-worker", NS)
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": {"app.kubernetes.io/name": "report-worker"}},
    }
    # Not also a Knative Service.
    assert not [o for o in examples.find(DEV, "Service", "report-worker", NS) if o.api_version.startswith("serving.")]


def test_worker_reads_its_database_connection_secret(examples: Rendered) -> None:
    (c,) = examples.one(DEV, "Deployment", "report-worker", NS)["spec"]["template"]["spec"]["containers"]
    env = _env(c)
    assert env["QUEUE"] == {"name": "QUEUE", "value": "reports"}
    for var, key in (("DB_HOST", "host"), ("DB_PORT", "port"), ("DB_USER", "username"), ("DB_PASSWORD", "password")):
        assert env[var] == {"name": var, "valueFrom": {"secretKeyRef": {"name": CONNECTION, "key": key}}}
    # The Secret is the one the database's composition writes, in the same namespace as the XR.
    db = examples.one(DEV, "PostgresInstance", "reports-db", NS)
    assert f"{db['metadata']['name']}-connection" == CONNECTION
    comp = examples.one(DEV, "Composition", "postgres-gke")
    fn_input = comp["spec"]["pipeline"][0]["input"]
    (patch,) = fn_input["writeConnectionSecretToRef"]["patches"]
    assert patch["fromFieldPath"] == "metadata.name" and patch["toFieldPath"] == "name"
    assert patch["transforms"][0]["string"]["fmt"] == "%s-connection"
    (instance,) = fn_input["resources"]
    assert {d["name"] for d in instance["connectionDetails"]} == {"host", "port", "username", "password"}
    assert {d["name"]: d["type"] for d in instance["connectionDetails"]}["password"] == "FromConnectionSecretKey"
    # The instance writes its own connection secret where the function reads it.
    assert {
        "type": "FromCompositeFieldPath",
        "fromFieldPath": "metadata.name",
        "toFieldPath": "spec.writeConnectionSecretToRef.name",
        "transforms": [{"type": "string", "string": {"type": "Format", "fmt": "%s-instance-connection"}}],
    } in instance["patches"]


def test_crossplane_v1_claims_get_the_connection_secret(examples: Rendered) -> None:
    v1 = with_platform(examples, crossplane={**examples.platform.crossplane, "apiVersion": "v1"})
    xrd = v1.one(DEV, "CompositeResourceDefinition", "xpostgresinstances.platform.acme.example")
    assert xrd["spec"]["connectionSecretKeys"] == ["host", "port", "username", "password"]
    comp = v1.one(DEV, "Composition", "postgres-gke")
    assert comp["spec"]["writeConnectionSecretsToNamespace"] == "crossplane-system"
    assert "writeConnectionSecretToRef" not in comp["spec"]["pipeline"][0]["input"]
    (instance,) = comp["spec"]["pipeline"][0]["input"]["resources"]
    assert instance["base"]["spec"]["writeConnectionSecretToRef"] == {"namespace": "crossplane-system"}
    claim = v1.one(DEV, "PostgresInstance", "reports-db", NS)
    assert claim["spec"]["writeConnectionSecretToRef"] == {"name": CONNECTION}
    # The claim CRD genplat derives for checking accepts the field.
    crd = crossplane.composite_crd(xrd)
    assert (
        "writeConnectionSecretToRef"
        in crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    )
    # Offerings that publish nothing get no connection secret.
    assert "writeConnectionSecretToRef" not in v1.one(DEV, "VirtualCluster", "sandbox", NS)["spec"]


def test_maven_pipeline_three_tasks_through_resolvers(examples: Rendered) -> None:
    p = examples.one(DEV, "Pipeline", "report-worker-build", BUILD_NS)
    tasks = p["spec"]["tasks"]
    assert [t["name"] for t in tasks] == ["clone", "maven", "image"]
    assert all(t["taskRef"]["resolver"] in ("bundles", "hub") for t in tasks)
    assert {t["taskRef"]["resolver"] for t in tasks} == {"bundles", "hub"}
    assert [t.get("runAfter") for t in tasks] == [None, ["clone"], ["maven"]]
    assert {p["name"]: p.get("default") for p in p["spec"]["params"]}["context-dir"] == "worker"


def test_build_namespace_has_the_templates_own_quota_and_limits(examples: Rendered) -> None:
    quota = examples.one(DEV, "ResourceQuota", "tenant-quota", BUILD_NS)["spec"]["hard"]
    assert (quota["limits.cpu"], quota["limits.memory"], quota["pods"], quota["requests.storage"]) == (
        "8",
        "16Gi",
        "10",
        "50Gi",
    )
    workload_quota = examples.one(DEV, "ResourceQuota", "tenant-quota", NS)["spec"]["hard"]
    assert workload_quota["limits.cpu"] == "64"  # the tier's, unchanged
    (limits,) = examples.one(DEV, "LimitRange", "tenant-limits", BUILD_NS)["spec"]["limits"]
    assert limits["max"] == {"cpu": "4", "memory": "8Gi"} and limits["default"] == {"cpu": "2", "memory": "4Gi"}
    # tools builds with container-build: that template's sizes.
    tools = examples.one(DEV, "ResourceQuota", "tenant-quota", "tools-dev-build")["spec"]["hard"]
    assert tools["limits.cpu"] == "4"
    ws = _run_workspaces(examples, "report-worker-build")
    for name in ("source", "maven-settings"):
        assert ws[name]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert (
        _run_workspaces(examples, "docs-build", "tools-dev-build")["source"]["volumeClaimTemplate"]["spec"][
            "resources"
        ]["requests"]["storage"]
        == "2Gi"
    )


def _run_workspaces(examples: Rendered, name: str, ns: str = BUILD_NS) -> dict[str, dict]:
    tt = examples.one(DEV, "TriggerTemplate", name, ns)
    (run,) = tt["spec"]["resourcetemplates"]
    return {w["name"]: w for w in run["spec"]["workspaces"]}


def test_push_credentials_are_the_tenants_own(examples: Rendered) -> None:
    ws = _run_workspaces(examples, "report-worker-build")
    assert ws["docker-config"]["secret"]["secretName"] == "registry-push"
    es = examples.one(DEV, "ExternalSecret", "registry-push", BUILD_NS)
    assert es["spec"]["data"] == [{"secretKey": ".dockerconfigjson", "remoteRef": {"key": "initech/registry-push"}}]
    assert es["spec"]["target"]["template"] == {"type": "kubernetes.io/dockerconfigjson"}
    assert examples.platform.secrets["imagePullSecret"]["name"] != "registry-push"


def test_exposed_listener_gets_an_ingress_and_certificate(examples: Rendered) -> None:
    host = "report-worker-push.initech-dev.hooks.acme.example"
    ing = examples.one(DEV, "Ingress", "report-worker-push", BUILD_NS)
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert ing["spec"]["tls"] == [{"hosts": [host], "secretName": "report-worker-push-tls"}]
    (rule,) = ing["spec"]["rules"]
    assert rule["host"] == host
    assert rule["http"]["paths"][0]["backend"] == {
        "service": {"name": "el-report-worker-push", "port": {"number": 8080}}
    }
    cert = examples.one(DEV, "Certificate", "report-worker-push", BUILD_NS)
    assert cert["spec"] == {
        "secretName": "report-worker-push-tls",
        "dnsNames": [host],
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt"},
    }
    # tools' template does not ask for it.
    assert not examples.find(DEV, "Ingress", namespace="tools-dev-build")
    # Without cert-manager on the cluster: the Ingress, no certificate, no TLS.
    clusters = [
        dataclasses.replace(c, capabilities=c.capabilities - {"cert-manager"}) for c in examples.platform.clusters
    ]
    by_name = {c.bundle: c for c in clusters}
    bundles = {b: [dataclasses.replace(tt, cluster=by_name[b]) for tt in ts] for b, ts in examples.bundles.items()}
    plain = render_all(dataclasses.replace(examples.platform, clusters=clusters), bundles)
    assert not plain.find(DEV, "Certificate")
    assert "tls" not in plain.one(DEV, "Ingress", "report-worker-push", BUILD_NS)["spec"]


def test_function_stays_without_offerings(examples: Rendered) -> None:
    bare = with_platform(examples, offerings=[])
    assert bare.one(DEV, "Function", "function-patch-and-transform")
    assert not bare.find(DEV, "Composition") and not bare.find(DEV, "CompositeResourceDefinition")


def test_trigger_delivers_to_a_deployment_through_its_core_service(examples: Rendered) -> None:
    bundles = {}
    for b, ts in examples.bundles.items():
        out = []
        for tt in ts:
            if tt.name == "umbrella":
                tt = dataclasses.replace(
                    tt, services=[dataclasses.replace(s, workload="deployment") for s in tt.services]
                )
            out.append(tt)
        bundles[b] = out
    r = render_all(examples.platform, bundles)
    trigger = r.one(DEV, "Trigger", "order-created", "umbrella-dev")
    assert trigger["spec"]["subscriber"] == {"ref": {"apiVersion": "v1", "kind": "Service", "name": "notifier"}}
    assert r.one(DEV, "Deployment", "notifier", "umbrella-dev")


def test_no_secret_value_in_the_committed_output() -> None:
    out = REPO / "out"
    for path in sorted(out.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            if isinstance(doc, dict):
                assert not (doc.get("kind") == "Secret" and (doc.get("data") or doc.get("stringData"))), path
    text = "\n".join(p.read_text("utf-8") for p in sorted(out.rglob("*.yaml")))
    assert "secretKeyRef:\n" in text and f"name: {CONNECTION}" in text
    assert "attribute.root_password" in text  # a key name of the composed resource's secret, not a value


def test_examples_file_holds_them(examples: Rendered) -> None:
    text = (REPO / "out" / "dev" / "dev-eu" / "tenants" / "initech.yaml").read_text("utf-8")
    for kind in ("Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "Certificate"):
        assert f"\nkind: {kind}\n" in text
    # The worker reads all four connection details (the cronjob and the job beside it read theirs too).
    assert (
        Path(REPO / "blueprints" / "tenants" / "initech.yaml").read_text("utf-8").count("fromResource: reports-db") >= 4
    )


def test_deployment_without_resources_gets_the_tiers_defaults(examples: Rendered) -> None:
    bundles = {
        b: [
            dataclasses.replace(
                tt,
                services=[
                    dataclasses.replace(s, resources={"limits": {"memory": "1Gi"}}) if s.name == "report-worker" else s
                    for s in tt.services
                ],
            )
            for tt in ts
        ]
        for b, ts in examples.bundles.items()
    }
    r = render_all(examples.platform, bundles)
    (c,) = r.one(DEV, "Deployment", "report-worker", NS)["spec"]["template"]["spec"]["containers"]
    # initech's tier (large): defaultRequest 500m/512Mi, default 2/2Gi; the service's own limit wins.
    assert c["resources"] == {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi", "cpu": "2"}}
