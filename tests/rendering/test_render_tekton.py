"""Tekton: the pipeline from the platform template, its ServiceAccount, push triggers and their traffic."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import genplat
from genplat.rendering import tekton
from genplat.resolver.model import resolve

from .conftest import EXAMPLES, Rendered, render_all, with_platform

DEV = "dev/dev-eu"
NS = "tools-dev-build"  # builds run in the tenant's build namespace


def test_pipeline_params_workspaces_and_task_order(examples: Rendered) -> None:
    p = examples.one(DEV, "Pipeline", "docs-build", NS)
    assert p["apiVersion"] == "tekton.dev/v1"
    labels = p["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "docs-build"  # propagates to the run's pods (required label)
    assert labels["genplat.dev/pipeline-template"] == "container-build"
    spec = p["spec"]
    params = {x["name"]: x for x in spec["params"]}
    assert [x["name"] for x in spec["params"]] == ["repo-url", "revision", "image", "dockerfile"]
    assert params["repo-url"]["default"] == "https://github.com/acme/docs"
    assert params["revision"]["default"] == "main"
    assert params["image"]["default"] == "ghcr.io/acme/docs:main"  # repository without tag and digest
    assert params["dockerfile"]["default"] == "./build/Dockerfile"  # the tenant's value over the template's
    assert [w["name"] for w in spec["workspaces"]] == ["source", "docker-config"]
    clone, build = spec["tasks"]
    assert (clone["name"], build["name"]) == ("clone", "build")
    assert "runAfter" not in clone
    assert build["runAfter"] == ["clone"]
    assert clone["taskRef"] == {
        "resolver": "bundles",
        "params": [
            {"name": "bundle", "value": "ghcr.io/tektoncd/catalog/upstream/tasks/git-clone:0.9"},
            {"name": "name", "value": "git-clone"},
            {"name": "kind", "value": "task"},
        ],
    }
    assert "bundle" not in build["taskRef"]
    assert build["params"] == [
        {"name": "IMAGE", "value": "$(params.image)"},
        {"name": "DOCKERFILE", "value": "$(params.dockerfile)"},
    ]
    assert build["workspaces"] == [
        {"name": "source", "workspace": "source"},
        {"name": "dockerconfig", "workspace": "docker-config"},
    ]


def test_service_account_has_pull_secret(examples: Rendered) -> None:
    sa = examples.one(DEV, "ServiceAccount", "build", NS)
    assert sa["imagePullSecrets"] == [{"name": "acme-registry"}]


def test_triggers_filter_push_to_branch(examples: Rendered) -> None:
    el = examples.one(DEV, "EventListener", "docs-push", NS)
    assert el["apiVersion"] == "triggers.tekton.dev/v1beta1"
    assert el["spec"]["serviceAccountName"] == "build-triggers"
    (trigger,) = el["spec"]["triggers"]
    (interceptor,) = trigger["interceptors"]
    assert interceptor["ref"] == {"name": "cel", "kind": "ClusterInterceptor"}
    assert interceptor["params"] == [{"name": "filter", "value": "body.ref == 'refs/heads/main'"}]
    assert trigger["bindings"] == [{"ref": "docs-push"}]
    assert trigger["template"] == {"ref": "docs-build"}
    binding = examples.one(DEV, "TriggerBinding", "docs-push", NS)
    assert binding["spec"]["params"] == [{"name": "revision", "value": "$(body.after)"}]
    tt = examples.one(DEV, "TriggerTemplate", "docs-build", NS)
    (run,) = tt["spec"]["resourcetemplates"]
    assert run["kind"] == "PipelineRun"
    assert run["spec"]["pipelineRef"] == {"name": "docs-build"}
    assert {p["name"]: p["value"] for p in run["spec"]["params"]} == {
        "repo-url": "https://github.com/acme/docs",
        "revision": "$(tt.params.revision)",
        "image": "ghcr.io/acme/docs:$(tt.params.revision)",
    }
    ws = {w["name"]: w for w in run["spec"]["workspaces"]}
    # The tenant's own push credentials (spec.builds.pushSecret), not the platform's pull secret.
    assert ws["docker-config"]["secret"] == {
        "secretName": "registry-push",
        "items": [{"key": ".dockerconfigjson", "path": "config.json"}],
    }
    assert "volumeClaimTemplate" in ws["source"]
    assert run["spec"]["taskRunTemplate"]["serviceAccountName"] == "build"
    rb = examples.one(DEV, "RoleBinding", "build-triggers", NS)
    assert rb["roleRef"]["name"] == "tekton-triggers-eventlistener-roles"
    crb = examples.one(DEV, "ClusterRoleBinding", "genplat-tekton-triggers")
    assert crb["subjects"] == [
        {"kind": "ServiceAccount", "name": "build-triggers", "namespace": ns} for ns in ("initech-dev-build", NS)
    ]  # initech's report-worker builds too


def test_branch_with_quote_is_escaped() -> None:
    assert tekton.cel_filter("it's") == "body.ref == 'refs/heads/it\\'s'"


def test_network_policies_for_builds(examples: Rendered) -> None:
    build = examples.one(DEV, "NetworkPolicy", "allow-build-egress", NS)
    assert build["spec"]["podSelector"] == {"matchExpressions": [{"key": "tekton.dev/taskRun", "operator": "Exists"}]}
    assert build["spec"]["egress"] == [{"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 22}]}]
    assert examples.find(DEV, "NetworkPolicy", "allow-listener-egress", NS)
    # Tenants without builds get neither.
    assert not examples.find(DEV, "NetworkPolicy", "allow-build-egress", "globex-dev")


def test_no_triggers_when_template_disables_them(examples: Rendered) -> None:
    pipelines = {k: {**v, "triggers": {"enabled": False}} for k, v in examples.platform.pipelines.items()}
    r = with_platform(examples, pipelines=pipelines)
    assert r.find(DEV, "Pipeline", "docs-build", NS)
    for kind in ("EventListener", "TriggerBinding", "TriggerTemplate", "ClusterRoleBinding"):
        assert not r.find(DEV, kind), kind
    assert not r.find(DEV, "ServiceAccount", "build-triggers")


@pytest.mark.parametrize(
    ("image", "repo"),
    [
        ("ghcr.io/acme/docs:2.3.1@sha256:abc", "ghcr.io/acme/docs"),
        ("registry.local:5000/team/app:1.0", "registry.local:5000/team/app"),
        ("registry.local:5000/team/app@sha256:abc", "registry.local:5000/team/app"),
        ("app", "app"),
    ],
)
def test_image_repository(image: str, repo: str) -> None:
    assert tekton.image_repository(image) == repo


def test_builds_get_a_namespace_at_the_templates_pod_security_level(examples: Rendered) -> None:
    ns = examples.one(DEV, "Namespace", NS)
    labels = ns["metadata"]["labels"]
    assert labels["genplat.dev/purpose"] == "build" and labels["genplat.dev/tenant"] == "tools"
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"  # container-build: kaniko runs as root
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"  # weaker pods stay visible
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    workloads = examples.one(DEV, "Namespace", "tools-dev")["metadata"]["labels"]
    assert workloads["pod-security.kubernetes.io/enforce"] == "restricted"
    for kind, name in (
        ("ResourceQuota", "tenant-quota"),
        ("LimitRange", "tenant-limits"),
        ("RoleBinding", "tenant-developers"),
        ("ExternalSecret", "acme-registry"),
        ("NetworkPolicy", "default-deny"),
        ("NetworkPolicy", "allow-dns"),
    ):
        assert examples.one(DEV, kind, name, NS)
    # Workloads never land in the build namespace, builds never in the workload namespace.
    assert not examples.find(DEV, "Service", None, NS)
    assert not examples.find(DEV, "Pipeline", None, "tools-dev")
    # Tenants that do not build get no build namespace.
    assert not examples.find(DEV, "Namespace", "globex-dev-build")


def _examples_with(tmp_path: Path, old: str, new: str) -> Rendered:
    shutil.copytree(EXAMPLES, tmp_path / "blueprints")
    platform = tmp_path / "blueprints" / "platform.yaml"
    assert old in platform.read_text()
    platform.write_text(platform.read_text().replace(old, new))
    return render_all(*resolve(genplat.load_project(tmp_path / "blueprints")))


def test_taskrun_pods_may_run_as_root_only_below_restricted(examples: Rendered, tmp_path: Path) -> None:
    tt = examples.one(DEV, "TriggerTemplate", "docs-build", NS)
    (run,) = tt["spec"]["resourcetemplates"]
    sc = run["spec"]["taskRunTemplate"]["podTemplate"]["securityContext"]
    assert sc == {"seccompProfile": {"type": "RuntimeDefault"}}  # baseline template: kaniko may run as root
    restricted = _examples_with(tmp_path, "podSecurity: baseline", "podSecurity: restricted")
    tt = restricted.one(DEV, "TriggerTemplate", "docs-build", NS)
    sc = tt["spec"]["resourcetemplates"][0]["spec"]["taskRunTemplate"]["podTemplate"]["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert (
        restricted.one(DEV, "Namespace", NS)["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    )
