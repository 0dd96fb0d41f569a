"""The open workload model: command and args, config and secret files, scratch space, cronjobs and jobs,
and per-cluster overrides beside the per-environment ones (the most specific wins)."""

from __future__ import annotations

import shutil
import typing as t
from pathlib import Path

import pytest
import yaml

import genplat
from genplat.core.names import config_map_name
from genplat.resolver.model import resolve

from .conftest import EXAMPLES, Rendered

DEV = "dev/dev-eu"
NS = "initech-dev"
HOST = "              hostnames: [us.shop.globex.example]\n"  # in globex's clusterOverrides for prod-us


def _pod(obj: dict[str, t.Any]) -> dict[str, t.Any]:
    if obj["kind"] == "CronJob":
        return t.cast("dict[str, t.Any]", obj["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    return t.cast("dict[str, t.Any]", obj["spec"]["template"]["spec"])


def test_config_file_secret_file_and_scratch_on_the_worker(examples: Rendered) -> None:
    pod = _pod(examples.one(DEV, "Deployment", "report-worker", NS))
    volumes = {v["name"]: v for v in pod["volumes"]}
    files = {"worker.yaml": "queue: reports\nconcurrency: 4\nformats: [pdf, csv]\n"}
    cm_name = config_map_name("report-worker", "config", files)
    assert volumes["config"] == {"name": "config", "configMap": {"name": cm_name}}
    assert volumes["tls"] == {"name": "tls", "secret": {"secretName": "report-worker-tls"}}
    assert volumes["scratch"] == {"name": "scratch", "emptyDir": {"sizeLimit": "2Gi"}}
    (c,) = pod["containers"]
    assert c["volumeMounts"] == [
        {"name": "config", "mountPath": "/etc/report-worker", "readOnly": True},
        {"name": "tls", "mountPath": "/etc/report-worker/tls", "readOnly": True},
        {"name": "scratch", "mountPath": "/var/tmp/reports"},
    ]
    cm = examples.one(DEV, "ConfigMap", cm_name, NS)
    assert cm["data"] == files and cm["immutable"] is True
    es = examples.one(DEV, "ExternalSecret", "report-worker-tls", NS)
    assert es["spec"]["target"] == {"name": "report-worker-tls", "creationPolicy": "Owner"}
    assert es["spec"]["data"] == [
        {"secretKey": "tls.crt", "remoteRef": {"key": "initech/report-worker-tls", "property": "certificate"}},
        {"secretKey": "tls.key", "remoteRef": {"key": "initech/report-worker-tls", "property": "private-key"}},
    ]
    assert es["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault"}


def test_config_map_name_follows_the_content() -> None:
    a = config_map_name("web", "config", {"app.yaml": "a: 1\n"})
    assert a.startswith("web-config-") and len(a) == len("web-config-") + 10
    assert config_map_name("web", "config", {"app.yaml": "a: 1\n"}) == a
    assert config_map_name("web", "config", {"app.yaml": "a: 2\n"}) != a
    assert config_map_name("web", "config", {"other.yaml": "a: 1\n"}) != a


def test_cronjob(examples: Rendered) -> None:
    cj = examples.one(DEV, "CronJob", "report-cleanup", NS)
    assert cj["apiVersion"] == "batch/v1"
    spec = cj["spec"]
    assert spec["schedule"] == "30 2 * * *" and spec["timeZone"] == "Europe/Berlin"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 3)
    assert spec["startingDeadlineSeconds"] == 600
    job = spec["jobTemplate"]["spec"]
    assert (job["backoffLimit"], job["activeDeadlineSeconds"]) == (2, 3600)
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["serviceAccountName"] == "workload"
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    (c,) = pod["containers"]
    assert c["command"] == ["/app/report-worker"] and c["args"] == ["cleanup", "--older-than=30d"]
    assert "ports" not in c and "readinessProbe" not in c
    assert {e["name"] for e in c["env"] if not e["name"].startswith("OTEL_")} == {
        "DB_HOST",
        "DB_PORT",
        "DB_USER",
        "DB_PASSWORD",
    }
    assert pod["volumes"] == [{"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}]
    assert job["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == "report-cleanup"


def test_job_is_named_after_its_spec(examples: Rendered) -> None:
    (job,) = [o for o in examples.objects[DEV] if o.kind == "Job" and o.namespace == NS]
    assert job.name.startswith("reports-migrate-") and len(job.name) == len("reports-migrate-") + 5
    spec = job.obj["spec"]
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"]) == (1, 900)
    (c,) = spec["template"]["spec"]["containers"]
    assert c["command"] == ["/app/reports", "migrate"] and "args" not in c
    # Requests and limits are there for admission to judge (the tier's defaults fill what the service leaves out).
    assert c["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "blueprints"
    shutil.copytree(EXAMPLES, root)
    return root


def _render(root: Path) -> dict[str, bytes]:
    result = genplat.render(genplat.RenderOptions(project=root.parent))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return dict(result.files)


def _objects(files: dict[str, bytes]) -> dict[tuple[str, str, str, str], dict[str, t.Any]]:
    out: dict[tuple[str, str, str, str], dict[str, t.Any]] = {}
    for path, data in files.items():
        if path.startswith("_") or not path.endswith(".yaml") or path.endswith("kustomization.yaml"):
            continue
        bundle = "/".join(path.split("/")[:2])
        for doc in yaml.safe_load_all(data):
            if doc and "metadata" in doc:
                meta = doc["metadata"]
                out[(bundle, doc["kind"], meta.get("namespace", ""), meta["name"])] = doc
    return out


def test_changing_a_config_file_changes_the_config_map_name_and_the_pod_template_only(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    files_before = _render(root)
    tenant = root / "tenants" / "initech.yaml"
    text = tenant.read_text("utf-8")
    assert text.count("concurrency: 4\n") == 1
    tenant.write_text(text.replace("concurrency: 4\n", "concurrency: 8\n"), "utf-8")
    files_after = _render(root)
    # Only the tenant's own files change (and the digests that pin the bundles holding them).
    moved = sorted(f for f in files_before.keys() | files_after.keys() if files_before.get(f) != files_after.get(f))
    assert moved == [
        "_gitops/flux/dev-dev-eu.yaml",
        "_gitops/flux/prod-prod-eu.yaml",
        "dev/dev-eu/tenants/initech.yaml",
        "genplat.lock.json",
        "prod/prod-eu/tenants/initech.yaml",
    ]
    before, after = _objects(files_before), _objects(files_after)
    gone, new = sorted(set(before) - set(after)), sorted(set(after) - set(before))
    # One ConfigMap per cluster the worker runs on, renamed; no other object appears or disappears.
    assert [k[1] for k in gone] == [k[1] for k in new] == ["ConfigMap", "ConfigMap"]
    assert {k[0] for k in gone} == {"dev/dev-eu", "prod/prod-eu"}
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    assert changed == [
        (b, "Deployment", f"initech-{b.split('/')[0]}", "report-worker") for b in sorted({k[0] for k in gone})
    ]
    for key in changed:
        old, cur = before[key], after[key]
        assert {k: v for k, v in old.items() if k != "spec"} == {k: v for k, v in cur.items() if k != "spec"}
        assert old["spec"]["selector"] == cur["spec"]["selector"]
        old_volumes = {v["name"]: v for v in old["spec"]["template"]["spec"]["volumes"]}
        new_volumes = {v["name"]: v for v in cur["spec"]["template"]["spec"]["volumes"]}
        assert old_volumes["config"] != new_volumes["config"]
        assert {k: v for k, v in old_volumes.items() if k != "config"} == {
            k: v for k, v in new_volumes.items() if k != "config"
        }
        assert (new_volumes["config"]["configMap"]["name"],) == tuple(k[3] for k in new if k[0] == key[0])


def test_per_cluster_override_wins_over_the_environment(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    tenant = root / "tenants" / "globex.yaml"
    text = tenant.read_text("utf-8")
    assert text.count(HOST) == 1
    tenant.write_text(
        text.replace(
            "    - name: prod\n",
            "    - name: prod\n      services:\n        checkout:\n          scaling: {min: 1, max: 8}\n"
            "          env: {LOG_LEVEL: info}\n",
        ).replace(HOST, HOST + "              scaling: {max: 12}\n              command: [/checkout, --region=us]\n"),
        "utf-8",
    )
    project = genplat.load_project(root)
    assert [d.message for d in genplat.validate(project) if d.is_error] == []
    _, bundles = resolve(project)
    svc = {
        b: next(s for tt in bundles[b] if tt.name == "globex" for s in tt.services)
        for b in ("prod/prod-eu", "prod/prod-us")
    }
    eu, us = svc["prod/prod-eu"], svc["prod/prod-us"]
    assert eu.scaling == {"min": 1, "max": 8, "target": 100, "metric": "concurrency"} and eu.command is None
    assert us.scaling == {"min": 1, "max": 12, "target": 100, "metric": "concurrency"}
    assert us.command == ["/checkout", "--region=us"]
    assert us.env["LOG_LEVEL"] == "info" == eu.env["LOG_LEVEL"]
    # Each value points at where it was written: the cluster's override, the environment's, the service's.
    assert us.origins["scaling"].path == "spec.environments[1].clusterOverrides.prod-us.services.checkout.scaling"
    assert eu.origins["scaling"].path == "spec.environments[1].services.checkout.scaling"
    assert us.origins["env"].path == "spec.environments[1].services.checkout.env"
    assert us.origins["image"].path == "spec.services[0].image"


@pytest.mark.parametrize(
    ("extra", "rule", "at"),
    [
        ("              scaling: {max: 99}\n", "tier-bounds", "scaling.max"),
        ("        prod-xx:\n          services: {}\n", "unknown-cluster", "clusterOverrides.prod-xx"),
        ("            checkot: {}\n", "unknown-service", "services.checkot"),
    ],
)
def test_cluster_overrides_are_validated_at_their_line(tmp_path: Path, extra: str, rule: str, at: str) -> None:
    root = _copy(tmp_path)
    tenant = root / "tenants" / "globex.yaml"
    text = tenant.read_text("utf-8")
    assert text.count(HOST) == 1
    tenant.write_text(text.replace(HOST, HOST + extra), "utf-8")
    found = [d for d in genplat.validate(genplat.load_project(root)) if d.is_error]
    assert [(d.rule, d.file.endswith("globex.yaml")) for d in found] == [(rule, True)], [d.message for d in found]
    assert found[0].path.startswith("spec.environments[1].clusterOverrides") and found[0].path.endswith(at)
    lines = tenant.read_text("utf-8").splitlines()
    assert at.split(".")[-1].split("[")[0] in lines[found[0].line - 1]
