"""``genplat validate`` refuses what the real API server refuses: the two agree, input by input.

For each rule of docs/rules.md's "What the API server … would refuse", the object the input becomes is
written here by hand and sent to the real kube-apiserver; genplat's verdict on the same input must match
the server's, for bad inputs and for good ones at the edges. Knative's webhook is not part of the test
control plane, so its reservations are checked two ways: genplat's lists equal the ones in Knative's own
source (read from the pinned module), and the Pod Knative would build from such a service draws the
server's warnings (which every cluster test treats as failures).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest

import genplat
from genplat.core.quantity import quantity_problem
from genplat.validation import pods
from genplat.validation.cron import schedule_problem, time_zone_problem
from genplat.validation.pods import MAX_CONFIG_BYTES, MAX_CRONJOB_NAME, RESERVED_MOUNT_PATHS
from genplat.validation.server_rules import (
    ANNOTATIONS_LIMIT,
    DESCRIPTION_ANNOTATION,
    KNATIVE_RESERVED_CONTAINERS,
    KNATIVE_RESERVED_ENV,
    KNATIVE_RESERVED_PORTS,
    label_key_problem,
    label_value_problem,
)
from tests.upstream_parts import tool, upstream

pytestmark = pytest.mark.cluster

NS = "agree"
BASE = Path(__file__).resolve().parents[1] / "validation" / "base"


@pytest.fixture(scope="module")
def cp(control_plane: t.Any) -> t.Any:
    control_plane.apply(
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": NS}},
        ]
    )
    return control_plane


def _refused(cp: t.Any, doc: dict[str, t.Any], *, server_side: bool = True) -> str | None:
    (r,) = cp.apply([doc], dry_run=True, check=False, server_side=server_side)
    return r.error


def _ns(
    name: str, *, labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None
) -> dict[str, t.Any]:
    meta: dict[str, t.Any] = {"name": name, "labels": labels or {}, "annotations": annotations or {}}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def _validate(tmp_path: Path, tenant: str) -> list[genplat.Diagnostic]:
    root = tmp_path / "blueprints"
    shutil.copytree(BASE, root)
    (root / "tenants" / "acme.yaml").write_text(tenant, "utf-8")
    return genplat.validate(genplat.load_project(root))


LABEL_KEYS = [
    "team",
    "acme.example/cost-center",
    "a.b_c-d",
    "k" * 63,
    "cost center",
    "team/rocket/x",
    "/x",
    "k" * 64,
    "Acme.Example/x",
    "-x",
    "x-",
    "acme.example/",
]
LABEL_VALUES = ["", "Team-Rocket", "a.b_c-d", "v" * 63, "Team Rocket", "team/rocket", "v" * 70, "-x", "x.", "ü"]


@pytest.mark.parametrize("key", LABEL_KEYS)
def test_label_keys(cp: t.Any, key: str) -> None:
    refused = _refused(cp, _ns("agree-labels", labels={key: "v"}))
    assert (label_key_problem(key) is not None) == (refused is not None), (key, refused)


@pytest.mark.parametrize("value", LABEL_VALUES)
def test_label_values(cp: t.Any, value: str) -> None:
    refused = _refused(cp, _ns("agree-labels", labels={"team": value}))
    assert (label_value_problem(value) is not None) == (refused is not None), (value, refused)


# Odd ones the server takes too: " 1Gi" (trimmed), "Mi", "e3" and "." (an empty number is zero).
QUANTITIES = [
    "8192mi",
    "128mi",
    "500mi",
    "1.2.3",
    "1K",
    "2GB",
    "1 Gi",
    "1Gi\n",
    "\t1",
    "",
    "1e1.5",
    "1e",
    "0x10",
    "1Gi",
    "500m",
    "1e3",
    "1E-2",
    "1E",
    "1.5Gi",
    "+1",
    ".5",
    "5.",
    "1k",
    "0",
    "12Pi",
    " 1Gi",
    "Mi",
    "e3",
    ".",
    "-1",
    "-500m",
]


@pytest.mark.parametrize("value", QUANTITIES)
def test_quantities(cp: t.Any, value: str) -> None:
    """As genplat writes a tier into a ResourceQuota and a LimitRange, and a service into its container."""
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q", "namespace": NS},
        "spec": {"hard": {"requests.memory": value}},
    }
    limits = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "l", "namespace": NS},
        "spec": {"limits": [{"type": "Container", "defaultRequest": {"memory": value}}]},
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": NS},
        "spec": {
            "containers": [{"name": "c", "image": "registry.example/c:1", "resources": {"requests": {"memory": value}}}]
        },
    }
    verdicts = {kind: _refused(cp, doc) for kind, doc in (("quota", quota), ("limits", limits), ("pod", pod))}
    problem = quantity_problem(value)
    if problem and "negative" in problem[0]:
        # A LimitRange takes a negative amount, the quota and the Pod it would default do not.
        assert verdicts["quota"] and verdicts["pod"] and "must be greater than or equal to 0" in verdicts["pod"]
        return
    assert all((v is not None) == (problem is not None) for v in verdicts.values()), (value, problem, verdicts)


def test_did_you_mean_is_what_the_server_takes(cp: t.Any) -> None:
    for bad in ("8192mi", "128mi", "500mi", "1K", "2GB"):
        problem = quantity_problem(bad)
        assert problem is not None
        fixed = re.search(r"did you mean '([^']+)'", problem[1])
        assert fixed, problem
        quota = {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "q", "namespace": NS},
            "spec": {"hard": {"requests.memory": fixed.group(1)}},
        }
        assert _refused(cp, quota) is None, fixed.group(1)


@pytest.mark.parametrize("extra", [-1, 0, 1])
def test_annotation_size_limit(cp: t.Any, tmp_path: Path, extra: int) -> None:
    description = "x" * (ANNOTATIONS_LIMIT - len(DESCRIPTION_ANNOTATION) + extra)
    refused = _refused(cp, _ns("agree-annotations", annotations={DESCRIPTION_ANNOTATION: description}))
    tenant = (
        (BASE / "tenants" / "acme.yaml")
        .read_text("utf-8")
        .replace("  tier: small\n", f"  tier: small\n  description: {description}\n")
    )
    found = [d.rule for d in _validate(tmp_path, tenant)]
    assert ("annotations-too-large" in found) == (refused is not None) == (extra > 0), (extra, refused, found)


def _ksvc(env: list[dict[str, t.Any]], port: int = 8080) -> dict[str, t.Any]:
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": NS},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "registry.example/web:1",
                            "ports": [{"containerPort": port}],
                            "env": env,
                        }
                    ]
                }
            }
        },
    }


def test_env_and_secret_of_one_name(cp: t.Any, tmp_path: Path) -> None:
    tenant = (
        (BASE / "tenants" / "acme.yaml")
        .read_text("utf-8")
        .replace(
            "      port: 8080\n",
            "      port: 8080\n      env: {LOG_LEVEL: info}\n      secrets: [{env: LOG_LEVEL, key: acme/log}]\n",
        )
    )
    assert [d.rule for d in _validate(tmp_path, tenant)] == ["env-duplicate"]
    both = _ksvc(
        [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "LOG_LEVEL", "valueFrom": {"secretKeyRef": {"name": "web-log-level", "key": "LOG_LEVEL"}}},
        ]
    )
    refused = _refused(cp, both)
    assert refused and 'duplicate entries for key [name="LOG_LEVEL"]' in refused
    assert _refused(cp, _ksvc([{"name": "LOG_LEVEL", "value": "info"}])) is None


def test_colliding_secret_names(cp: t.Any, tmp_path: Path) -> None:
    tenant = (
        (BASE / "tenants" / "acme.yaml")
        .read_text("utf-8")
        .replace(
            "      port: 8080\n", "      port: 8080\n      secrets: [{env: DB_PASS, key: a}, {env: DB__PASS, key: b}]\n"
        )
    )
    assert [d.rule for d in _validate(tmp_path, tenant)] == ["secret-name-collision"]

    def external_secret(env: str) -> dict[str, t.Any]:
        return {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "web-db-pass", "namespace": NS},
            "spec": {
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
                "target": {"name": "web-db-pass"},
                "data": [{"secretKey": env, "remoteRef": {"key": "a"}}],
            },
        }

    # kubectl kustomize (what Flux builds the bundle with) refuses the whole bundle ...
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    import yaml

    (bundle / "secrets.yaml").write_text(yaml.safe_dump_all([external_secret("DB_PASS"), external_secret("DB__PASS")]))
    (bundle / "kustomization.yaml").write_text("resources: [secrets.yaml]\n")
    proc = subprocess.run(
        [tool("kubectl"), "kustomize", str(bundle)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode != 0 and "already registered id" in proc.stderr, proc.stderr
    # ... and the server keeps one object per name: the second create is refused.
    first = external_secret("DB_PASS")
    (r1,) = cp.apply([first], server_side=False, check=False)
    (r2,) = cp.apply([external_secret("DB__PASS")], server_side=False, check=False)
    cp.delete("external-secrets.io/v1", "ExternalSecret", "web-db-pass", NS)
    assert r1.error is None and r2.code == 409, (r1.error, r2.error)


def _upstream_set(source: str, name: str) -> list[str]:
    m = re.search(rf"{name}\s*=\s*sets\.New(?:Int32)?\(([^)]*)\)", source)
    assert m, name
    return [x.strip().strip('"') for x in m.group(1).split(",") if x.strip() and not x.strip().startswith("//")]


def test_knative_reservations_match_knative_source() -> None:
    source = (upstream.module_dir("knative-serving") / "pkg" / "apis" / "serving" / "k8s_validation.go").read_text(
        "utf-8"
    )
    assert sorted(_upstream_set(source, "reservedEnvVars")) == sorted(KNATIVE_RESERVED_ENV)
    assert _upstream_set(source, "reservedContainerNames") == list(KNATIVE_RESERVED_CONTAINERS)
    ports = _upstream_set(source, "reservedPorts")
    assert ports == [
        "networking.BackendHTTPPort",
        "networking.BackendHTTP2Port",
        "networking.QueueAdminPort",
        "networking.AutoscalingQueueMetricsPort",
        "networking.UserQueueMetricsPort",
        "runtime.ProfilingDefaultPort",
    ]
    assert sorted(KNATIVE_RESERVED_PORTS) == [8008, 8012, 8013, 8022, 9090, 9091] and len(ports) == 6


def test_knative_reserved_inputs_break_the_pod_knative_builds(cp: t.Any) -> None:
    """Knative appends PORT, K_REVISION, … to the user container and adds queue-proxy on its ports: a user
    PORT or a port 9090 gives the server's warnings on the Pod it creates (and Knative's webhook refuses
    the Service before that)."""
    knative_env = [
        {"name": "PORT", "value": "9090"},
        {"name": "K_REVISION", "value": "web-00001"},
        {"name": "K_CONFIGURATION", "value": "web"},
        {"name": "K_SERVICE", "value": "web"},
    ]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-00001-deployment-x", "namespace": NS},
        "spec": {
            "containers": [
                {
                    "name": "web",
                    "image": "registry.example/web:1",
                    "ports": [{"name": "user-port", "containerPort": 9090}],
                    "env": [{"name": "PORT", "value": "8080"}, *knative_env],
                },
                {
                    "name": "queue-proxy",
                    "image": "gcr.io/knative-releases/knative.dev/serving/cmd/queue:v1",
                    "ports": [
                        {"name": "http-queueadm", "containerPort": 8022},
                        {"name": "http-autometric", "containerPort": 9090},
                        {"name": "http-usermetric", "containerPort": 9091},
                        {"name": "queue-port", "containerPort": 8012},
                    ],
                },
            ]
        },
    }
    (r,) = cp.apply([pod], dry_run=True, check=False, server_side=False)  # Knative creates, it does not apply
    assert r.error is None
    assert any('hides previous definition of "PORT"' in w for w in r.warnings), r.warnings
    assert any("duplicate port definition" in w for w in r.warnings), r.warnings
    # Knative's Service itself, applied server-side, is refused outright for the duplicate PORT.
    refused = _refused(cp, _ksvc([{"name": "PORT", "value": "8080"}, {"name": "PORT", "value": "9090"}]))
    assert refused and 'duplicate entries for key [name="PORT"]' in refused


# --- cronjobs: schedules and time zones; volumes -------------------------------------------------------

SCHEDULES = [
    "0 3 * * *",
    "*/15 * * * MON-FRI",
    "0 0 1-31/2 jan,jul *",
    "@daily",
    "@every 1h30m",
    "0 3 * *",
    "0 3 * * * *",
    "61 * * * *",
    "0 3 * * 7",
    "5-1 * * * *",
    "0 3 * * mon-fry",
    "*/0 * * * *",
    "TZ=UTC 0 3 * * *",
    "@fortnightly",
]
ZONES = [
    "Europe/Berlin",
    "UTC",
    "America/Argentina/Buenos_Aires",
    "Etc/GMT+5",
    "Local",
    "Mars/Olympus",
    "Europe//Berlin",
]


def _cronjob(schedule: str, zone: str | None = None) -> dict[str, t.Any]:
    spec: dict[str, t.Any] = {
        "schedule": schedule,
        "jobTemplate": {
            "spec": {
                "template": {
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "registry.example/c:1"}]}
                }
            }
        },
    }
    if zone is not None:
        spec["timeZone"] = zone
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": NS}, "spec": spec}


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_cron_schedules(cp: t.Any, schedule: str) -> None:
    refused = _refused(cp, _cronjob(schedule))
    assert (schedule_problem(schedule) is not None) == (refused is not None), (schedule, refused)


@pytest.mark.parametrize("zone", ZONES)
def test_time_zones(cp: t.Any, zone: str) -> None:
    refused = _refused(cp, _cronjob("@daily", zone))
    assert (time_zone_problem(zone) is not None) == (refused is not None), (zone, refused)


@pytest.mark.parametrize("length", [MAX_CRONJOB_NAME, MAX_CRONJOB_NAME + 1])
def test_cronjob_name_length(cp: t.Any, tmp_path: Path, length: int) -> None:
    name = "c" * length
    doc = _cronjob("@daily")
    doc["metadata"]["name"] = name
    refused = _refused(cp, doc)
    tenant = (
        (BASE / "tenants" / "acme.yaml")
        .read_text("utf-8")
        .replace(
            "    - name: web\n", f"    - name: {name}\n      workload: cronjob\n      schedule: {{cron: '@daily'}}\n"
        )
        .replace("      port: 8080\n      scaling: {min: 1, max: 3}\n", "")
    )
    found = [d.rule for d in _validate(tmp_path, tenant)]
    assert ("name-too-long" in found) == (refused is not None) == (length > MAX_CRONJOB_NAME), (found, refused)


def _pod_with(volumes: list[dict[str, t.Any]], mounts: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": NS},
        "spec": {
            "volumes": volumes,
            "containers": [{"name": "c", "image": "registry.example/c:1", "volumeMounts": mounts}],
        },
    }


def test_volumes_the_server_refuses(cp: t.Any, tmp_path: Path) -> None:
    """Each volume problem genplat reports is one the server reports for the pod genplat would render.
    (Two mounts on ``/a`` and ``/a/`` pass the API server but not Knative's webhook, which compares
    ``path.Clean``-ed paths; genplat refuses them for every workload.)"""
    scratch = {"emptyDir": {"sizeLimit": "100Mi"}}
    twice = _pod_with([{"name": "a", **scratch}, {"name": "a", **scratch}], [{"name": "a", "mountPath": "/a"}])
    assert 'duplicate entries for key [name="a"]' in (_refused(cp, twice) or "")
    same_path = _pod_with(
        [{"name": "a", **scratch}, {"name": "b", **scratch}],
        [{"name": "a", "mountPath": "/a"}, {"name": "b", "mountPath": "/a"}],
    )
    assert 'duplicate entries for key [mountPath="/a"]' in (_refused(cp, same_path) or "")
    # Created (as Knative creates pods) rather than applied, the server's own validation says it too.
    assert "must be unique" in (_refused(cp, same_path, server_side=False) or "")
    fine = _pod_with(
        [{"name": "a", **scratch}, {"name": "b", **scratch}],
        [{"name": "a", "mountPath": "/a"}, {"name": "b", "mountPath": "/a/b"}],
    )
    assert _refused(cp, fine) is None
    for key, bad in (("app.yaml", False), ("..data", True), ("x" * 253, False), ("x" * 254, True), (".", True)):
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": NS}, "data": {key: "1"}}
        assert (_refused(cp, cm) is not None) == bad == (pods._file_name_problem(key) is not None), key
    for size, bad in ((MAX_CONFIG_BYTES, False), (MAX_CONFIG_BYTES + 1, True)):
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": NS},
            "data": {"a": "x" * size},
        }
        assert (_refused(cp, cm, server_side=False) is not None) == bad, size
    tenant = (
        (BASE / "tenants" / "acme.yaml")
        .read_text("utf-8")
        .replace(
            "      port: 8080\n",
            "      port: 8080\n      volumes:\n"
            "        - {name: a, mountPath: /a, scratch: {sizeLimit: 100Mi}}\n"
            "        - {name: a, mountPath: /a/, scratch: {sizeLimit: 100Mi}}\n",
        )
    )
    assert [d.message.split(" ")[0] for d in _validate(tmp_path, tenant)] == ["volume", "mountPath"]


def test_knative_reserved_mount_paths_match_knative_source() -> None:
    source = (upstream.module_dir("knative-serving") / "pkg" / "apis" / "serving" / "k8s_validation.go").read_text(
        "utf-8"
    )
    assert _upstream_set(source, "reservedPaths") == list(RESERVED_MOUNT_PATHS)
