"""The gate's Python and the policies' CEL read image references alike, on many tricky references.

Image parsing is the most intricate part of the CEL (tags vs registry ports, digests, Docker's
defaults for short names, prefixes that are not path boundaries, platform images by container name and
namespace), so besides the corpus every reference below goes through both the Kyverno CLI and genplat's
gate, in a workload and a build namespace, under several container names; the verdicts must agree.
"""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

import pytest

from genplat.checks.build import guardrail_context
from genplat.checks.guardrails import run_guardrails
from genplat.core.diagnostics import Severity
from genplat.core.objects import Origin, RenderedObject

from . import corpus
from .test_policy_kyverno import _policy_docs, kyverno_apply

D = "@sha256:" + "ab" * 32
IMAGES = [
    "nginx",
    "nginx:1.27",
    "nginx:latest",
    "nginx" + D,
    "library/nginx:1",
    "docker.io/library/nginx:1",
    "docker.io/nginx:1",
    "index.docker.io/library/nginx:1",
    "acme/tool:1",
    "localhost/x:1",
    "localhost:5000/builder",
    "localhost:5000/builder:1.0",
    "localhost:5000/builder:latest",
    "localhost:5001/builder:1.0",
    "ghcr.io/acme/x",
    "ghcr.io/acme/x:1",
    "ghcr.io/acme/x:latest",
    "ghcr.io/acme/x" + D,
    "ghcr.io/acme/x:latest" + D,
    "ghcr.io/acme/x:",
    "ghcr.io/acme:1",
    "ghcr.io/acmex/y:1",
    "ghcr.io/acme/deep/er/path:2",
    "ghcr.io:443/acme/x:1",
    "registry.acme.example/x:1",
    "registry.acme.example:5000/x:1",
    "registry.acme.example",
    "registry.acme.example.evil.io/x:1",
    "gcr.io/knative-releases/knative.dev/serving/cmd/queue" + D,
    "gcr.io/knative-releases/knative.dev/serving/cmd/queue:v1",
    "gcr.io/knative-releases/knative.dev/serving/cmd/queue-x" + D,
    "gcr.io/kaniko-project/executor:v1.23.2",
    "ghcr.io/tektoncd/pipeline/nop-8eac7c133edad5df719dc37b36b62482" + D,
]
CONTAINERS = ["app", "queue-proxy", "sidecar-x"]
SETTINGS = {
    "allowedRegistries": ["ghcr.io/acme", "registry.acme.example", "docker.io/library", "localhost:5000"],
    "requiredLabels": ["app.kubernetes.io/name"],
    "platformImages": [
        {
            "name": "queue",
            "image": "gcr.io/knative-releases/knative.dev/serving/cmd/queue",
            "containers": ["queue-proxy"],
            "namespaces": "workload",
        },
        {
            "name": "kaniko",
            "image": "gcr.io/kaniko-project/executor",
            "containers": ["sidecar-x"],
            "namespaces": "build",
        },
        {
            "name": "nop",
            "image": "ghcr.io/tektoncd/pipeline/nop-8eac7c133edad5df719dc37b36b62482",
            "containers": ["affinity-assistant", "sidecar-*"],
        },
    ],
}
RULES = ("guardrail/image-registry", "guardrail/image-tag")


def _pods() -> list[dict[str, t.Any]]:
    out = []
    for ns in corpus.NAMESPACE_LABELS:
        for i, image in enumerate(IMAGES):
            for j, name in enumerate(CONTAINERS):
                out.append(
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {
                            "name": f"img-{i}-{j}",
                            "namespace": ns,
                            "labels": {"app.kubernetes.io/name": "x"},
                        },
                        "spec": {
                            "containers": [
                                {
                                    "name": name,
                                    "image": image,
                                    "resources": {
                                        "requests": {"cpu": "1", "memory": "1Mi"},
                                        "limits": {"cpu": "1", "memory": "1Mi"},
                                    },
                                }
                            ]
                        },
                    }
                )
    return out


@pytest.mark.tools
def test_cel_and_python_agree_on_image_references(tmp_path: Path) -> None:
    pods = _pods()
    rendered = [
        o
        for o in corpus.rendered_policies(kyverno="ValidatingPolicy", policies=SETTINGS)
        if o.obj["metadata"]["annotations"]["genplat.dev/rule"] in RULES
    ]
    names = corpus.policy_names(rendered)
    verdicts = kyverno_apply(tmp_path, _policy_docs(rendered), pods, corpus.NAMESPACE_LABELS, warnings_as_errors=True)
    model = dataclasses.replace(corpus.platform(), policies=SETTINGS)
    ctx = dataclasses.replace(
        guardrail_context(model),
        tenant_namespaces={corpus.TENANT: set(corpus.NAMESPACE_LABELS)},
        build_namespaces=frozenset({corpus.BUILD_NS}),
    )
    disagree, refused = [], 0
    for pod in pods:
        ro = RenderedObject(pod, Origin("x", 1, 1), bundle="dev/dev-eu", file="x", tenant=corpus.TENANT)
        gate = {
            r for r, sev, _f in run_guardrails([ro], ctx, report_disabled=False) if sev is Severity.ERROR and r in RULES
        }
        got = verdicts[("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])]
        cel = {names[p] for p, r in got.items() if r != "pass"}
        assert {names[p] for p in got} == set(RULES)  # both rules matched every pod
        refused += bool(cel)
        if gate != cel:
            c = pod["spec"]["containers"][0]
            disagree.append((pod["metadata"]["namespace"], c["name"], c["image"], sorted(gate), sorted(cel)))
    assert not disagree, "\n".join(map(str, disagree))
    assert 0 < refused < len(pods)
