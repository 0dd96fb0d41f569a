"""The Kyverno CLI (pinned, tools/upstream.toml) runs genplat's rendered policies.

``kyverno apply … --policy-report`` lists a result for every policy that *matched* a resource (a
resource no rule matches is simply absent, where ``kyverno test`` would count it as a pass), so each
test asserts which policies matched, not only that nothing failed. Namespace labels come from a
values file (``namespaceSelector``): without them no namespace-selected policy matches at all.

* the violation corpus: each ``fail-*`` object refused by its rule's policy alone, each ``pass-*``
  admitted, for the default ValidatingPolicy form (with ``--warnings-as-errors``: no deprecation
  warning) and the ClusterPolicy form for older Kyverno;
* every object the examples render of a kind the policies match (the CLI panics on two resources
  with one namespace/name, which other kinds share: ServiceAccount and RoleBinding ``build-triggers``),
  and everything the controllers make of them (``derived.py``), against the policies rendered for
  their own cluster: all admitted, every one matched by each policy meant for its kind.
"""

from __future__ import annotations

import json
import subprocess
import typing as t
from pathlib import Path

import pytest
import yaml

from genplat.policy import RULES
from genplat.policy.workloads import is_target
from tests.upstream_parts import tool

from . import corpus, derived

pytestmark = pytest.mark.tools  # the real Kyverno CLI

Verdicts = dict[tuple[str, str, str], dict[str, str]]  # (kind, namespace, name) → policy → pass/fail


def _dump(path: Path, docs: t.Iterable[dict[str, t.Any]]) -> Path:
    path.write_text(yaml.safe_dump_all(list(docs), sort_keys=False), "utf-8")
    return path


def run_kyverno(
    tmp: Path,
    policies: t.Sequence[dict[str, t.Any]],
    resources: t.Sequence[dict[str, t.Any]],
    namespaces: t.Mapping[str, t.Mapping[str, str]] | None,
    *,
    warnings_as_errors: bool,
) -> subprocess.CompletedProcess[str]:
    args = [
        tool("kyverno"),
        "apply",
        str(_dump(tmp / "policies.yaml", policies)),
        "--resource",
        str(_dump(tmp / "resources.yaml", resources)),
        "--policy-report",
        "--output-format",
        "json",
        "--remove-color",
    ]
    if namespaces is not None:
        values = {
            "apiVersion": "cli.kyverno.io/v1alpha1",
            "kind": "Values",
            "namespaceSelector": [{"name": ns, "labels": dict(labels)} for ns, labels in sorted(namespaces.items())],
        }
        args += ["--values-file", str(_dump(tmp / "values.yaml", [values]))]
    if warnings_as_errors:
        args.append("--warnings-as-errors")
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def kyverno_apply(
    tmp: Path,
    policies: t.Sequence[dict[str, t.Any]],
    resources: t.Sequence[dict[str, t.Any]],
    namespaces: t.Mapping[str, t.Mapping[str, str]] | None,
    *,
    warnings_as_errors: bool,
) -> Verdicts:
    """policy → result for every (kind, namespace, name) a policy matched, from the CLI's policy report."""
    proc = run_kyverno(tmp, policies, resources, namespaces, warnings_as_errors=warnings_as_errors)
    out = proc.stdout
    start = out.find("{")
    assert start >= 0, f"no report (exit {proc.returncode}):\n{out[-3000:]}\n{proc.stderr[-3000:]}"
    if warnings_as_errors:
        assert "Warning:" not in out[:start] + proc.stderr, (out[:start] + proc.stderr)[-2000:]
    report = json.loads(out[start : out.rfind("}") + 1])
    verdicts: Verdicts = {}
    for item in report.get("items", [report]):
        for result in item.get("results") or []:
            for res in result.get("resources") or []:
                key = (res["kind"], res.get("namespace", ""), res["name"])
                verdicts.setdefault(key, {})[result["policy"]] = result["result"]
    return verdicts


def _policy_docs(objects: t.Sequence[t.Any]) -> list[dict[str, t.Any]]:
    return [o.obj for o in objects if o.kind in ("ValidatingPolicy", "ClusterPolicy")]


def _matching(policies: t.Sequence[dict[str, t.Any]], obj: dict[str, t.Any], labels: t.Mapping[str, str]) -> set[str]:
    """The policies whose kinds and namespace selector take in ``obj`` (what must show in the report)."""
    out = set()
    for p in policies:
        rule = RULES[p["metadata"]["annotations"]["genplat.dev/rule"]]
        kinds = {(tg.group, tg.kind) for tg in rule.targets}
        group = obj["apiVersion"].rpartition("/")[0]
        if (group, obj["kind"]) not in kinds:
            continue
        name = p["metadata"]["name"]
        build = labels.get("genplat.dev/purpose") == "build"
        if (name.endswith("-build") and not build) or (name.endswith("-workload") and build):
            continue
        out.add(name)
    return out


@pytest.fixture(scope="module", params=["ValidatingPolicy", "ClusterPolicy"])
def corpus_verdicts(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Verdicts, list[dict[str, t.Any]]]:
    kind = str(request.param)
    policies = _policy_docs(corpus.rendered_policies(kyverno=kind))
    assert {p["kind"] for p in policies} == {kind}
    verdicts = kyverno_apply(
        tmp_path_factory.mktemp(kind),
        policies,
        [c.obj for c in corpus.cases()],
        corpus.NAMESPACE_LABELS,
        warnings_as_errors=kind == "ValidatingPolicy",
    )
    return kind, verdicts, policies


@pytest.mark.parametrize("case", corpus.cases(), ids=lambda c: c.id)
def test_kyverno_judges_the_corpus(
    corpus_verdicts: tuple[str, Verdicts, list[dict[str, t.Any]]], case: corpus.Case
) -> None:
    kind, verdicts, policies = corpus_verdicts
    names = {p["metadata"]["name"]: p["metadata"]["annotations"]["genplat.dev/rule"] for p in policies}
    got = verdicts.get((case.obj["kind"], case.namespace, case.name), {})
    expected = _matching(policies, case.obj, corpus.NAMESPACE_LABELS[case.namespace])
    assert set(got) == expected, f"{kind}: matched {sorted(got)}, expected {sorted(expected)}"
    failed = {names[p] for p, r in got.items() if r != "pass"}
    assert failed == ({case.rule} if case.refused else set()), got


def _examples(bundle: str) -> tuple[list[t.Any], list[dict[str, t.Any]]]:
    rendered = [r for r in corpus.example_objects() if r.bundle == bundle]
    return rendered, [r.obj for r in rendered]


@pytest.mark.parametrize("bundle", ["dev/dev-eu", "prod/prod-eu"])
def test_kyverno_admits_the_examples_and_what_controllers_make_of_them(bundle: str, tmp_path: Path) -> None:
    rendered, objects = _examples(bundle)
    policies = _policy_docs(rendered)
    assert policies, bundle
    namespaces = {o["metadata"]["name"]: o["metadata"].get("labels") or {} for o in objects if o["kind"] == "Namespace"}
    made = derived.derive(objects)
    judged = [o for o in objects if is_target(o)] + made
    kinds = {o["kind"] for o in made}
    assert {"Deployment", "Pod", "ReplicaSet"} <= kinds, kinds
    if bundle == "dev/dev-eu":
        assert {"PipelineRun", "TaskRun", "StatefulSet"} <= kinds, kinds
    verdicts = kyverno_apply(tmp_path, policies, judged, namespaces, warnings_as_errors=True)
    for o in judged:
        key = (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])
        got = verdicts.get(key, {})
        assert set(got) == _matching(policies, o, namespaces[key[1]]), key
        assert all(r == "pass" for r in got.values()), (key, got)
    queue_proxy = [
        o for o in made if o["kind"] == "Pod" and any(c["name"] == "queue-proxy" for c in o["spec"]["containers"])
    ]
    assert queue_proxy and all(
        verdicts[("Pod", o["metadata"]["namespace"], o["metadata"]["name"])] for o in queue_proxy
    )


def test_deprecated_cluster_policy_form_fails_warnings_as_errors(tmp_path: Path) -> None:
    """The flag bites: the legacy form draws Kyverno's deprecation warnings, the default form none."""
    policies = _policy_docs(corpus.rendered_policies(kyverno="ClusterPolicy"))
    case = corpus.cases()[0].obj
    proc = run_kyverno(tmp_path, policies, [case], corpus.NAMESPACE_LABELS, warnings_as_errors=True)
    assert proc.returncode != 0
    assert "kyverno.io/v1 ClusterPolicy is deprecated" in proc.stdout + proc.stderr
    assert "--warnings-as-errors" in proc.stdout + proc.stderr


def test_without_namespace_labels_nothing_matches(tmp_path: Path) -> None:
    """Why the values file is passed: without the namespaces' labels no policy matches, and every
    resource would count as passing."""
    policies = _policy_docs(corpus.rendered_policies(kyverno="ValidatingPolicy"))
    violation = next(c for c in corpus.cases() if c.refused).obj
    proc = run_kyverno(tmp_path, policies, [violation], None, warnings_as_errors=True)
    assert proc.returncode == 0 and '"fail"' not in proc.stdout and '"pass"' not in proc.stdout, proc.stdout[-2000:]
    assert kyverno_apply(tmp_path, policies, [violation], corpus.NAMESPACE_LABELS, warnings_as_errors=True)
