"""An add-on version change is a reviewed change: it moves only its cluster's bundle, `genplat diff` names
the cluster, both versions and the schema changes, and a downgrade the cluster's objects do not fit is
refused by build at the blueprint line.

Measured between the pinned releases (tools/upstream.toml): Tekton Pipelines v1.3.1 lacks v1.6.0's Task
``spec.steps[].displayName`` and PipelineRun/TaskRun ``spec.managedBy``; Knative Serving v0.45.0 lacks
v0.47.0's ``spec.template.spec.volumes[].image``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import typing as t
from pathlib import Path

import yaml

from genplat.addons import cluster_crds
from genplat.addons.store import path_of, put_all
from genplat.core.addons import parse_lock
from genplat.diff._addons import upgrade_findings
from genplat.loader.project import load_project
from genplat.resolver.model import resolve
from tests.addons.test_versions import TASK, template

REPO = Path(__file__).resolve().parents[2]


def _copy(dest: Path) -> Path:
    shutil.copytree(REPO / "blueprints", dest / "blueprints")
    return dest


def _set(root: Path, old: str, new: str) -> None:
    platform = root / "blueprints" / "platform.yaml"
    text = platform.read_text()
    assert old in text
    platform.write_text(text.replace(old, new, 1))


def _out_files(root: Path) -> dict[str, bytes]:
    out = root / "out"
    files = (p for p in out.rglob("*") if p.is_file() and ".genplat" not in p.relative_to(out).parts)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in files}


def test_bumping_one_clusters_knative_changes_only_its_bundle_and_the_diff_says_so(
    tmp_path: Path, genplat_cli: t.Any
) -> None:
    base, head = _copy(tmp_path / "base"), _copy(tmp_path / "head")
    _set(head, "{name: knative-serving, version: v0.45.0}", "{name: knative-serving, version: v0.47.0}")
    for root in (base, head):
        assert genplat_cli("addons", "lock", "-C", str(root)).code == 0
        res = genplat_cli("build", "-C", str(root))
        assert res.code == 0, res.stdout + res.stderr
    before, after = _out_files(base), _out_files(head)
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert "prod/prod-us/addons/knative-serving.yaml" in changed
    # Only prod-us's bundle, its wiring and the lock file's entry for it.
    assert {p.split("/")[0] + "/" + p.split("/")[1] for p in changed if not p.startswith(("_gitops", "genplat."))} == {
        "prod/prod-us"
    }
    assert all(p in ("_gitops/kapp/prod-prod-us.yaml", "genplat.lock.json") for p in changed if "prod-us/" not in p)
    res = genplat_cli("diff", str(base), str(head), "--format", "markdown", "-C", str(head))
    assert res.code == 0, res.stderr
    md = res.stdout
    assert "cluster prod/prod-us: add-on knative-serving v0.45.0 → v0.47.0" in md
    assert "**Add-on version changed**" in md and "knative-serving v0.45.0 → v0.47.0" in md
    # Knative v0.47.0 only adds fields: nothing this cluster runs stops validating.
    assert "object(s) of this cluster that use it still validate" in md
    assert "dev/dev-eu" not in md.split("#### Objects")[0]


def test_pinning_dev_eu_to_an_older_tekton_lists_the_fields_it_drops(tmp_path: Path, genplat_cli: t.Any) -> None:
    base, head = _copy(tmp_path / "base"), _copy(tmp_path / "head")
    _set(head, "            - tekton-pipelines\n", "            - {name: tekton-pipelines, version: v1.3.1}\n")
    res = genplat_cli("addons", "lock", "-C", str(head))  # v1.3.1 from the session's loopback Go proxy
    assert res.code == 0, res.stderr
    res = genplat_cli("diff", str(base), str(head), "--format", "markdown", "-C", str(head))
    assert res.code == 0, res.stderr
    md = res.stdout
    assert "cluster dev/dev-eu: add-on tekton-pipelines v1.6.0 → v1.3.1" in md
    (flag,) = [line for line in md.splitlines() if line.startswith("- **Add-on version changed**")]
    assert "cluster dev/dev-eu: tekton-pipelines v1.6.0 → v1.3.1" in flag
    assert "Task.tekton.dev v1 drops field(s)" in flag and "spec.steps[].displayName" in flag
    assert "PipelineRun.tekton.dev v1 drops field(s)" in flag and "spec.managedBy" in flag


def test_a_downgrade_the_clusters_objects_do_not_fit_is_refused_by_build_at_the_blueprint_line(
    tmp_path: Path, genplat_cli: t.Any
) -> None:
    root = _copy(tmp_path / "acme")
    template(root, "task.yaml.j2", TASK.replace("%s", "dev-eu"))
    assert genplat_cli("build", "-C", str(root)).code == 0  # v1.6.0 has displayName
    built = _out_files(root)
    _set(root, "            - tekton-pipelines\n", "            - {name: tekton-pipelines, version: v1.3.1}\n")
    assert genplat_cli("addons", "lock", "-C", str(root)).code == 0
    res = genplat_cli("build", "-C", str(root))
    assert res.code == 1
    # At the template's Task (line 1 is its {% if %}), in one line with the cluster and the version.
    assert (
        res.stdout.startswith("blueprints/templates/platform/task.yaml.j2:2:") and "nothing was written" in res.stderr
    )
    assert "unknown field 'displayName' (cluster dev-eu: tekton-pipelines v1.3.1)" in res.stdout
    assert _out_files(root) == built  # nothing written


def test_upgrade_findings_name_unserved_versions_removed_fields_and_objects_that_stop_validating() -> None:
    lock, _ = parse_lock((REPO / "blueprints" / "addons.lock.json").read_bytes())
    assert lock is not None
    platform, _ = resolve(load_project(REPO / "blueprints"))
    cluster_crds(platform)  # fill the cache from the lock (loopback mirror)
    v160 = lock.get("tekton-pipelines", "v1.6.0")
    task = {
        "apiVersion": "tekton.dev/v1",
        "kind": "Task",
        "metadata": {"name": "hello", "namespace": "ops"},
        "spec": {"steps": [{"name": "hello", "displayName": "Say hello", "image": "busybox:1.37.0"}]},
    }
    # The same version on both sides: nothing dropped, the Task validates.
    same = upgrade_findings(v160, v160, [task], kubernetes_version="1.33")
    assert same == ["all 1 object(s) of this cluster that use it still validate"]

    # A "new" release whose Task CRD no longer serves v1beta1 and lacks displayName, built from v1.6.0's.
    def shrunk(doc: dict[str, t.Any]) -> dict[str, t.Any]:
        if doc["spec"]["names"]["kind"] != "Task":
            return doc
        doc = json.loads(json.dumps(doc))
        doc["spec"]["versions"] = [v for v in doc["spec"]["versions"] if v["name"] == "v1"]
        v1 = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        del v1["properties"]["spec"]["properties"]["steps"]["items"]["properties"]["displayName"]
        return doc

    assert v160 is not None
    files = []
    blobs = {}
    for f in v160.crds:
        doc = shrunk(yaml.safe_load(path_of(f.digest).read_text()))
        data = yaml.safe_dump(doc).encode()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        files.append(dataclasses.replace(f, digest=digest))
    put_all(blobs)
    newer = dataclasses.replace(v160, version="v9.9.9", crds=tuple(files))
    beta = {**task, "apiVersion": "tekton.dev/v1beta1", "metadata": {"name": "old", "namespace": "ops"}}
    found = upgrade_findings(v160, newer, [task, beta], kubernetes_version="1.33")
    text = "\n".join(found)
    assert "Task.tekton.dev v1beta1 is no longer served: 1 object(s) of this cluster use it (Task ops/old)" in text
    assert "Task.tekton.dev v1 drops field(s) spec.steps[].displayName" in text
    assert "Task ops/hello sets spec.steps[].displayName" in text
    assert "objects that stop validating: Task/ops/hello: unknown field 'displayName'" in text
