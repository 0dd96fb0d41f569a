"""The real kube-apiserver enforces the rendered ValidatingAdmissionPolicies.

Every corpus violation is refused by the server with its rule's policy and message, every compliant case
is admitted and stored; then, with the policies rendered from the example platform, every example
bundle applies and so does everything the platform's controllers would make of it (``derived.py``).
The policies are removed again at the end, so other tests on the shared control plane are not judged.
"""

from __future__ import annotations

import copy
import time
import typing as t
from pathlib import Path

import pytest

from genplat.core.objects import RenderedObject
from genplat.rendering.crossplane import composite_crd

from . import corpus, derived

pytestmark = pytest.mark.cluster
OUT = corpus.REPO / "out"
ADMISSION = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
CORE_PODS = ("v1", "apps/v1", "batch/v1")


def _namespace(name: str, labels: t.Mapping[str, str]) -> dict[str, t.Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels)}}


def _service_account(namespace: str, name: str = "default") -> dict[str, t.Any]:
    # No controller-manager runs: stand in for the one that makes every namespace's default ServiceAccount.
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}}


def _probes(names: t.Mapping[str, str]) -> dict[str, dict[str, t.Any]]:
    """For each policy, a corpus violation of its rule in a namespace it judges (no privileged pod
    template, which this server refuses itself; no ephemeral containers, which need a live pod)."""
    out = {}
    for name, rule in names.items():
        for case in corpus.cases():
            build = case.namespace == corpus.BUILD_NS
            if (
                case.rule == rule
                and case.refused
                and not (name.endswith("-build") and not build)
                and not (name.endswith("-workload") and build)
                and rule != "guardrail/privileged"
                and "ephemeralContainers" not in case.obj.get("spec", {})
            ):
                out[name] = case.obj
                break
        else:
            out[name] = next(c.obj for c in corpus.cases() if c.id == "fail-privileged-step")
    return out


def _wait(cp: t.Any, probes: t.Mapping[str, dict[str, t.Any]], *, active: bool) -> None:
    """Until every probe is refused by its own policy (``active``) or by none of them (after deletion):
    the admission plugin sees policy changes through an informer, a moment after the write."""
    deadline = time.monotonic() + 60
    while True:
        errors = {name: cp.apply_one(obj, dry_run=True).error or "" for name, obj in probes.items()}
        if active:
            pending = [n for n, e in errors.items() if f"ValidatingAdmissionPolicy '{n}'" not in e]
        else:
            pending = [n for n, e in errors.items() if any(f"ValidatingAdmissionPolicy '{p}'" in e for p in probes)]
        if not pending:
            return
        assert time.monotonic() < deadline, f"policies still {'inactive' if active else 'active'} after 60 s: {errors}"
        time.sleep(0.5)


def _install(cp: t.Any, policies: t.Sequence[RenderedObject]) -> t.Callable[[], None]:
    """Replace any policies of the same names (the bundle tests leave prod-us's), apply these and wait
    until the server enforces each of them; returns the cleanup."""
    docs = [copy.deepcopy(p.obj) for p in policies if p.kind in ADMISSION]
    cp.apply([_namespace(ns, labels) for ns, labels in corpus.NAMESPACE_LABELS.items()])
    cp.apply([_service_account(ns) for ns in corpus.NAMESPACE_LABELS])
    probes = _probes(
        {
            d["metadata"]["name"]: d["metadata"]["annotations"]["genplat.dev/rule"]
            for d in docs
            if d["kind"] == "ValidatingAdmissionPolicy"
        }
    )

    def cleanup() -> None:
        for d in docs:
            cp.delete(d["apiVersion"], d["kind"], d["metadata"]["name"])
        _wait(cp, probes, active=False)

    cleanup()
    cp.apply(docs)
    _wait(cp, probes, active=True)
    return cleanup


@pytest.fixture(scope="module")
def corpus_cluster(control_plane: t.Any) -> t.Iterator[tuple[t.Any, dict[str, str]]]:
    policies = corpus.rendered_policies(kyverno=None)
    cp = control_plane
    cleanup = _install(cp, policies)
    try:
        yield cp, corpus.policy_names(policies)
    finally:
        cleanup()


def _ephemeral_update(cp: t.Any, obj: dict[str, t.Any]) -> tuple[str | None, dict[str, t.Any] | None]:
    """Create the pod without its ephemeral containers, then add them as ``kubectl debug`` does."""
    pod = copy.deepcopy(obj)
    ephemeral = pod["spec"].pop("ephemeralContainers")
    created = cp.apply_one(pod)
    assert created.error is None, created.error
    live = created.obj
    live["spec"]["ephemeralContainers"] = ephemeral
    path = cp.path("v1", "Pod", pod["metadata"]["name"], pod["metadata"]["namespace"]) + "/ephemeralcontainers"
    r = cp.request("PUT", path, json=live)
    if r.status_code >= 400:
        return r.json().get("message", r.text), None
    return None, r.json()


@pytest.mark.parametrize("case", corpus.cases(), ids=lambda c: c.id)
def test_server_judges_the_corpus(corpus_cluster: tuple[t.Any, dict[str, str]], case: corpus.Case) -> None:
    cp, names = corpus_cluster
    obj = copy.deepcopy(case.obj)
    if obj["kind"] == "Pod" and obj["spec"].get("ephemeralContainers"):
        error, stored = _ephemeral_update(cp, obj)
    else:
        result = cp.apply_one(obj)
        error, stored = result.error, result.obj
    if case.refused and case.rule == "guardrail/privileged" and obj["apiVersion"] in CORE_PODS:
        # The fixture's server runs with --allow-privileged=false: its own validation refuses privileged
        # pod templates before admission runs (the Kyverno CLI judges these; the TaskRun case here).
        assert error is not None and "privileged: Forbidden: disallowed by cluster policy" in error, error
    elif case.refused:
        assert error is not None, f"{case.name} was admitted"
        refusing = {rule for name, rule in names.items() if f"ValidatingAdmissionPolicy '{name}'" in error}
        assert refusing == {case.rule}, error
        assert case.rule + ":" in error, error  # the policy's own message
    else:
        assert error is None, error
        assert stored is not None and stored["metadata"].get("uid")
        live = cp.get(obj["apiVersion"], obj["kind"], obj["metadata"]["name"], obj["metadata"]["namespace"])
        assert live is not None and live["metadata"]["uid"] == stored["metadata"]["uid"]


def _bundle_docs(bundle: Path) -> list[dict[str, t.Any]]:
    """What the controllers apply: the bundle's kustomization (kapp bundles also hold kbld's and kapp's
    own Config files beside it, which are read by those tools, not applied)."""
    from tests.cluster.bundles import kustomize

    return kustomize(bundle)


def test_example_bundles_and_what_controllers_make_of_them_are_admitted(control_plane: t.Any) -> None:
    cp = control_plane
    # The example platform's own rules, for a cluster with every capability but kyverno (prod-us's, plus
    # Tekton's kinds); prod-us's bundle, applied last, brings its own.
    cleanup = _install(cp, corpus.rendered_policies(kyverno=None, examples=True))
    try:
        bundles = sorted(p.parent for p in OUT.glob("*/*/kustomization.yaml"))
        assert [b.relative_to(OUT).as_posix() for b in bundles] == ["dev/dev-eu", "prod/prod-eu", "prod/prod-us"]
        judged = 0
        for bundle in bundles:
            docs = [d for d in _bundle_docs(bundle) if d["kind"] not in ADMISSION or bundle.name == "prod-us"]
            # No Crossplane runs: stand in for it, making the composite resources' CRDs from the XRDs.
            xrds = [d for d in docs if d["kind"] == "CompositeResourceDefinition"]
            if xrds:
                cp.install_crds([composite_crd(d) for d in xrds])
            cp.apply(docs)
            made = derived.derive(docs)
            namespaces = sorted({d["metadata"]["namespace"] for d in made})
            cp.apply([_service_account(ns) for ns in namespaces])
            results = cp.apply(made, check=False)
            judged += len(results)
            for r in results:
                assert r.error is None and r.obj is not None and r.obj["metadata"].get("uid"), (r.key, r.error)
                # Build namespaces enforce their template's level but warn at the platform's (kaniko runs as root).
                for w in r.warnings:
                    assert r.key.split()[-1].split("/")[0].endswith("-build") and "PodSecurity" in w, (r.key, w)
        assert judged >= 30
    finally:
        cleanup()
