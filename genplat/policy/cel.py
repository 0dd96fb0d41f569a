"""The walk of :mod:`._workloads` as CEL variables, shared by every admission rule.

Only what Kubernetes 1.30's CEL environment offers is used (optional fields ``.?``, ``orValue``, the
strings library's ``split``/``lastIndexOf``/``substring``), nothing newer such as ``flatten``, so the
same text runs in Kyverno and in any API server that serves ValidatingAdmissionPolicy v1. Variables are
evaluated lazily, so a rule pays only for the ones it reads.

``variables.groups`` is a list of container groups (the pod spec's containers first, then one group
per Tekton task spec), each a list of ``{name, list, c}`` (the name in the pod, the list it came from,
the container). ``variables.images`` is the same with every container that names an image parsed
into ``image``, ``repo`` (as written, without tag and digest), ``tag`` (``''`` when none), ``digest``
(bool) and ``ref`` (``repo`` with Docker's defaults: ``nginx`` is ``docker.io/library/nginx``).
"""

from __future__ import annotations

import json

_CONTROLLER_KINDS = "['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController']"


def quote(text: str) -> str:
    """A CEL string literal (JSON's escapes are CEL's, for the characters that occur here)."""
    return json.dumps(text)


def _entry(var: str, name: str, listname: str) -> str:
    return f"{{'name': dyn({name}), 'list': dyn({quote(listname)}), 'c': dyn({var})}}"


def _pod_list(key: str) -> str:
    entry = _entry("c", "c.?name.orValue('')", key)
    return f"variables.podSpec.?{key}.orValue([]).map(c, {entry})"


def _task_specs_of(pipeline: str) -> str:
    return " + ".join(
        f"{pipeline}.?{key}.orValue([]).filter(t, t.?taskSpec.hasValue()).map(t, t.taskSpec)"
        for key in ("tasks", "finally")
    )


_STEP = _entry("s", "'step-' + s.?name.orValue('')", "steps")
_SIDECAR = _entry("s", "'sidecar-' + s.?name.orValue('')", "sidecars")
_TEMPLATE = _entry("ts.stepTemplate", "''", "stepTemplate")
_BASE = "e.c.image.split('@')[0]"
_TAGGED = f"({_BASE}.lastIndexOf(':') > {_BASE}.lastIndexOf('/'))"
_FIRST = "e.repo.split('/')[0]"

VARIABLES: list[tuple[str, str]] = [
    (
        "podSpec",
        " :\n".join(
            [
                "object.apiVersion == 'v1' && object.kind == 'Pod' ? object.spec",
                "object.apiVersion == 'v1' && object.kind == 'PodTemplate' ? object.?template.?spec.orValue({})",
                "object.apiVersion.startsWith('batch/') && object.kind == 'CronJob' ? "
                "object.?spec.?jobTemplate.?spec.?template.?spec.orValue({})",
                f"(object.apiVersion.startsWith('apps/') || object.apiVersion.startsWith('batch/') || object.apiVersion == 'v1') && "
                f"object.kind in {_CONTROLLER_KINDS} ? object.?spec.?template.?spec.orValue({{}})",
                "object.apiVersion.startsWith('serving.knative.dev/') && object.kind == 'Revision' ? object.spec",
                "object.apiVersion.startsWith('serving.knative.dev/') ? object.?spec.?template.?spec.orValue({})",
                "object.apiVersion.startsWith('triggers.tekton.dev/') && object.kind == 'EventListener' ? "
                "object.?spec.?resources.?kubernetesResource.?spec.?template.?spec.orValue({})",
                "{}",
            ]
        ),
    ),
    ("podContainers", " +\n".join(_pod_list(k) for k in ("containers", "initContainers", "ephemeralContainers"))),
    (
        "taskSpecs",
        " :\n".join(
            [
                "!object.apiVersion.startsWith('tekton.dev/') ? []",
                "object.kind in ['Task', 'ClusterTask'] ? [object.spec]",
                "object.kind == 'TaskRun' ? (object.?spec.?taskSpec.hasValue() ? [object.spec.taskSpec] : [])",
                "object.kind == 'StepAction' ? [{'steps': [object.spec]}]",
                f"object.kind == 'Pipeline' ? {_task_specs_of('object.spec')}",
                f"object.kind == 'PipelineRun' ? (object.?spec.?pipelineSpec.hasValue() ? {_task_specs_of('object.spec.pipelineSpec')} : [])",
                "[]",
            ]
        ),
    ),
    (
        "groups",
        "[variables.podContainers] +\nvariables.taskSpecs.map(ts,\n"
        f"  ts.?steps.orValue([]).map(s, {_STEP}) +\n  ts.?sidecars.orValue([]).map(s, {_SIDECAR}) +\n  "
        f"(ts.?stepTemplate.hasValue() ? [{_TEMPLATE}] : []))",
    ),
    (
        "parsed",
        "variables.groups.map(g, g.filter(e, e.c.?image.orValue('') != '').map(e, {"
        "\n  'name': e.name, 'list': e.list, 'c': e.c, 'image': dyn(e.c.image),\n  "
        "'digest': dyn(e.c.image.contains('@')),\n  "
        f"'repo': dyn({_TAGGED} ? {_BASE}.substring(0, {_BASE}.lastIndexOf(':')) : {_BASE}),\n  "
        f"'tag': dyn({_TAGGED} ? {_BASE}.substring({_BASE}.lastIndexOf(':') + 1) : '')}}))",
    ),
    (
        "images",
        "variables.parsed.map(g, g.map(e, {"
        "\n  'name': e.name, 'list': e.list, 'image': e.image, 'digest': e.digest, 'repo': e.repo, 'tag': e.tag,\n  "
        f"'ref': dyn(e.repo.contains('/') && ({_FIRST}.contains('.') || {_FIRST}.contains(':') || {_FIRST} == 'localhost') ? "
        "e.repo : (e.repo.contains('/') ? 'docker.io/' + e.repo : 'docker.io/library/' + e.repo))}))",
    ),
    (
        "podSpecs",
        "[variables.podSpec] +\n(object.apiVersion.startsWith('tekton.dev/') && object.kind in ['TaskRun', 'PipelineRun'] ? "
        "[object.?spec.?podTemplate.orValue({}), object.?spec.?taskRunTemplate.?podTemplate.orValue({})] : [])",
    ),
    (
        "labelSets",
        " :\n".join(
            [
                "(object.apiVersion == 'v1' && object.kind == 'Pod') || (object.apiVersion.startsWith('serving.knative.dev/') && "
                "object.kind == 'Revision') || (object.apiVersion.startsWith('tekton.dev/') && object.kind in ['TaskRun', 'PipelineRun']) ? "
                "[object.metadata.?labels.orValue({})]",
                "object.apiVersion.startsWith('triggers.tekton.dev/') ? [object.metadata.?labels.orValue({}), "
                "object.?spec.?resources.?kubernetesResource.?spec.?template.?metadata.?labels.orValue({})]",
                "object.apiVersion == 'v1' && object.kind == 'PodTemplate' ? [object.?template.?metadata.?labels.orValue({})]",
                "object.kind == 'CronJob' ? [object.?spec.?jobTemplate.?spec.?template.?metadata.?labels.orValue({})]",
                "[object.?spec.?template.?metadata.?labels.orValue({})]",
            ]
        ),
    ),
]
_DEPENDS = {
    "podContainers": ["podSpec"],
    "groups": ["podContainers", "taskSpecs"],
    "parsed": ["groups"],
    "images": ["parsed"],
    "podSpecs": ["podSpec"],
}


def variables(needed: list[str]) -> list[dict[str, str]]:
    """The variables (in dependency order) that the named ones need."""
    want: set[str] = set()

    def add(name: str) -> None:
        if name not in want:
            want.add(name)
            for dep in _DEPENDS.get(name, []):
                add(dep)

    for name in needed:
        add(name)
    return [{"name": name, "expression": expr} for name, expr in VARIABLES if name in want]
