"""Each cluster is checked against exactly its own add-on versions (the examples: prod-us runs Knative
Serving v0.45.0, the other clusters v0.47.0), and its own Kubernetes version.

Fields measured between the pinned releases (tools/upstream.toml): Knative Serving v0.47.0 adds
``spec.template.spec.volumes[].image`` to Service and Configuration; Tekton Pipelines v1.6.0 adds Task
``spec.steps[].displayName``.
"""

from __future__ import annotations

import json
import shutil
import typing as t
from pathlib import Path

import pytest

import genplat
from genplat.checks.kubernetes import KubernetesSchemas
from genplat.core.diagnostics import Severity
from genplat.core.images import is_tool_config
from genplat.loader.project import load_project
from genplat.resolver.model import resolve

REPO = Path(__file__).resolve().parents[2]

STATUS_PAGE = """\
# A status page wherever Knative serves: its static files come from an image volume.
{% if "knative-serving" in cluster.capabilities %}
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: status-page
  namespace: platform-status
spec:
  template:
    spec:
      containers:
        - image: registry.acme.example/status/nginx:1.27.0
          volumeMounts:
            - {name: site, mountPath: /usr/share/nginx/html}
      volumes:
        - name: site
          image: {reference: "registry.acme.example/status/site:2026.12.1"}
{% endif %}
"""

TASK = """\
{% if cluster.name == "%s" %}
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: hello
  namespace: platform-status
spec:
  steps:
    - name: hello
      displayName: Say hello
      image: registry.acme.example/tools/busybox:1.37.0
      script: echo hello
{% else %}
apiVersion: v1
kind: ConfigMap
metadata:
  name: hello
  namespace: platform-status
data: {greeting: hello}
{% endif %}
"""


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    shutil.copytree(REPO / "blueprints", root / "blueprints")
    return root


def template(root: Path, name: str, text: str) -> None:
    folder = root / "blueprints" / "templates" / "platform"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def render(root: Path) -> genplat.RenderResult:
    return genplat.render(genplat.RenderOptions(project=root, jobs=1))


def errors(result: genplat.RenderResult) -> list[genplat.Diagnostic]:
    return [d for d in result.diagnostics if d.severity is Severity.ERROR]


def test_the_examples_check_every_custom_resource_against_their_clusters_addons() -> None:
    result = render(REPO)
    assert result.ok and result.diagnostics == []
    platform, _ = resolve(load_project(REPO / "blueprints"))
    builtin = KubernetesSchemas(platform.kubernetes_version)
    checked = 0
    for path, data in result.files.items():
        env, _, rest = path.partition("/")
        if env.startswith("_") or not path.endswith(".yaml") or "/" not in rest:
            continue
        cluster = next(c for c in platform.clusters if c.bundle == "/".join(path.split("/")[:2]))
        for doc in _docs(data):
            api, kind = doc.get("apiVersion", ""), doc.get("kind", "")
            if "/" in api and builtin.schema(api, kind) is None and not is_tool_config(doc) and kind != "Kustomization":
                group, version = api.rsplit("/", 1)
                served = [a.name for a in cluster.addons.values() if version in a.serves_kind(group, kind)]
                derived = kind in {o["kind"] for o in platform.offerings} and group == "platform.acme.example"
                assert served or derived, (cluster.name, api, kind)
                checked += 1
    assert checked > 40


def _docs(data: bytes) -> t.Iterator[dict[str, t.Any]]:
    import yaml

    for doc in yaml.safe_load_all(data):
        if isinstance(doc, dict):
            yield doc


def test_a_field_only_the_newer_knative_has_fails_only_on_the_cluster_pinned_older(examples: Path) -> None:
    template(examples, "status-page.yaml.j2", STATUS_PAGE)
    result = render(examples)
    (finding,) = errors(result)
    assert finding.rule == "schema-unknown-field" and finding.path == "spec.template.spec.volumes[0].image"
    assert finding.message == "unknown field 'image' (cluster prod-us: knative-serving v0.45.0)"
    assert (finding.file, finding.line) == ("blueprints/templates/platform/status-page.yaml.j2", 3) or (
        finding.file.endswith("templates/platform/status-page.yaml.j2") and finding.line == 3
    )
    # The platform team upgrades prod-us (v0.47.0 is locked already): the same template passes.
    platform = examples / "blueprints" / "platform.yaml"
    platform.write_text(
        platform.read_text().replace("- {name: knative-serving, version: v0.45.0}", "- knative-serving")
    )
    assert errors(render(examples)) == []


def test_pinning_a_cluster_to_an_older_tekton_is_a_locked_reviewed_change(examples: Path, genplat_cli: t.Any) -> None:
    platform = examples / "blueprints" / "platform.yaml"
    text = platform.read_text()
    platform.write_text(
        text.replace("            - tekton-pipelines\n", "            - {name: tekton-pipelines, version: v1.3.1}\n", 1)
    )
    res = genplat_cli("validate", str(examples / "blueprints"))
    assert (
        res.code == 1 and "add-on tekton-pipelines v1.3.1 of cluster 'dev-eu' is not in addons.lock.json" in res.stdout
    )
    before = json.loads((examples / "blueprints" / "addons.lock.json").read_text())["addons"]
    res = genplat_cli("addons", "lock", "-C", str(examples))  # fetched from the session's loopback Go proxy
    assert res.code == 0, res.stderr
    after = json.loads((examples / "blueprints" / "addons.lock.json").read_text())["addons"]
    changed = {(e["name"], e["version"]) for e in after} ^ {(e["name"], e["version"]) for e in before}
    assert changed == {("tekton-pipelines", "v1.3.1")}
    # v1.6.0 stays the platform's blessed version, locked though no cluster runs it now.
    blessed = next(e for e in after if (e["name"], e["version"]) == ("tekton-pipelines", "v1.6.0"))
    assert blessed["clusters"] == []
    template(examples, "task.yaml.j2", TASK.replace("%s", "dev-eu"))
    (finding,) = errors(render(examples))
    assert finding.message == "unknown field 'displayName' (cluster dev-eu: tekton-pipelines v1.3.1)"
    assert finding.path == "spec.steps[0].displayName"


def test_a_kind_no_addon_of_the_cluster_serves_is_an_error_naming_one_that_does(examples: Path) -> None:
    template(examples, "task.yaml.j2", TASK.replace("%s", "prod-us"))
    (finding,) = errors(render(examples))
    assert finding.rule == "kind-not-served"
    assert finding.message == "Task.tekton.dev is served by no add-on of cluster prod-us"
    assert finding.hint is not None and finding.hint.startswith("tekton-pipelines v1.6.0 serves it")
    assert finding.file is not None and finding.file.endswith("task.yaml.j2") and finding.line == 2


def test_a_clusters_own_kubernetes_version(examples: Path) -> None:
    platform = examples / "blueprints" / "platform.yaml"
    platform.write_text(
        platform.read_text().replace(
            "          provider: eks\n          region: us-east-1\n",
            '          provider: eks\n          region: us-east-1\n          kubernetesVersion: "1.32"\n',
        )
    )
    result = render(examples)
    assert result.ok
    namespaces = {
        path.split("/")[1]: data.decode()
        for path, data in result.files.items()
        if path.endswith("tenants/globex.yaml") and path.startswith("prod/")
    }
    assert "pod-security.kubernetes.io/enforce-version: v1.32" in namespaces["prod-us"]
    assert "pod-security.kubernetes.io/enforce-version: v1.33" in namespaces["prod-eu"]


def test_check_of_a_locked_projects_out_uses_each_clusters_addons(
    examples: Path, genplat_cli: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`genplat check` (no PATHS) checks each bundle, and the GitOps wiring that delivers it, against its
    cluster's locked add-ons: nothing is left unvalidated. Without the lock out/ is checked as any folder."""
    shutil.copytree(REPO / "out", examples / "out", ignore=shutil.ignore_patterns(".oci", ".genplat"))
    monkeypatch.chdir(examples)
    res = genplat_cli("check", "--format", "json")
    assert res.code == 0 and json.loads(res.stdout)["diagnostics"] == []
    (examples / "blueprints" / "addons.lock.json").unlink()
    res = genplat_cli("check", "--format", "json")
    unvalidated = {d["message"].split(" not validated")[0] for d in json.loads(res.stdout)["diagnostics"]}
    assert res.code == 0 and {"serving.knative.dev/v1 Service", "kappctrl.k14s.io/v1alpha1 App"} <= unvalidated
