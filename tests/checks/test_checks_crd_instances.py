"""Well-formed and broken instances of the upstream custom resources, against the real CRDs."""

from __future__ import annotations

import typing as t

import pytest
import yaml

from genplat.checks import Checker

from .conftest import rendered

GOOD: dict[str, str] = {
    "composition": """
apiVersion: apiextensions.crossplane.io/v1
kind: Composition
metadata: {name: xpostgres, labels: {tier: small}}
spec:
  compositeTypeRef: {apiVersion: platform.acme.io/v1alpha1, kind: XPostgres}
  mode: Pipeline
  pipeline:
    - step: render
      functionRef: {name: function-go-templating}
      input:
        apiVersion: gotemplating.fn.crossplane.io/v1beta1
        kind: GoTemplate
        source: Inline
""",
    "xrd-v1": """
apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata: {name: xpostgres.platform.acme.io}
spec:
  group: platform.acme.io
  names: {kind: XPostgres, plural: xpostgres}
  claimNames: {kind: Postgres, plural: postgres}
  versions:
    - name: v1alpha1
      served: true
      referenceable: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: string}}}
""",
    "xrd-v2": """
apiVersion: apiextensions.crossplane.io/v2
kind: CompositeResourceDefinition
metadata: {name: postgres.platform.acme.io}
spec:
  group: platform.acme.io
  scope: Namespaced
  names: {kind: Postgres, plural: postgres}
  versions:
    - name: v1alpha1
      served: true
      referenceable: true
      schema:
        openAPIV3Schema:
          type: object
""",
    "pipeline": """
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: build, namespace: payments-dev}
spec:
  params: [{name: revision, type: string, default: main}]
  tasks:
    - name: clone
      taskRef:
        resolver: bundles
        params:
          - {name: bundle, value: ghcr.io/tektoncd/catalog/upstream/tasks/git-clone:0.9}
          - {name: name, value: git-clone}
      params: [{name: revision, value: $(params.revision)}]
""",
    "task": """
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: echo, namespace: payments-dev}
spec:
  params: [{name: message, type: string}]
  steps:
    - name: echo
      image: alpine:3.20
      script: echo $(params.message)
      computeResources: {limits: {cpu: 100m}}
""",
    "knative-service": """
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: api, namespace: payments-dev}
spec:
  template:
    metadata:
      annotations: {autoscaling.knative.dev/max-scale: "5"}
    spec:
      containers:
        - image: ghcr.io/acme/api:1.2.3
          ports: [{containerPort: 8080}]
          env: [{name: MODE, value: prod}]
  traffic: [{latestRevision: true, percent: 100}]
""",
    "broker": """
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: payments-dev}
spec:
  delivery: {retry: 3, backoffPolicy: exponential, backoffDelay: PT0.5S}
""",
    "trigger": """
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: {name: orders, namespace: payments-dev}
spec:
  broker: default
  filter: {attributes: {type: order.created}}
  subscriber:
    ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: api}
""",
    "clusterpolicy": """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: disallow-latest}
spec:
  validationFailureAction: Enforce
  background: true
  rules:
    - name: no-latest
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate:
        message: no latest
        pattern: {spec: {containers: [{image: "!*:latest"}]}}
""",
    "ocirepository": """
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: platform, namespace: flux-system}
spec:
  interval: 5m
  url: oci://registry.acme.io/platform/dev-eu
  ref: {tag: "1.0.0"}
""",
    "kustomization": """
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: platform, namespace: flux-system}
spec:
  interval: 10m
  prune: true
  sourceRef: {kind: OCIRepository, name: platform}
  path: ./
""",
    "app": """
apiVersion: kappctrl.k14s.io/v1alpha1
kind: App
metadata: {name: platform, namespace: kapp-controller}
spec:
  serviceAccountName: deployer
  fetch: [{imgpkgBundle: {image: registry.acme.io/platform/dev-eu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}}]
  template: [{ytt: {}}]
  deploy: [{kapp: {}}]
""",
    "certificate": """
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: api, namespace: payments-dev}
spec:
  secretName: api-tls
  dnsNames: [api.acme.io]
  duration: 2160h
  privateKey: {algorithm: ECDSA, size: 256}
  issuerRef: {name: letsencrypt, kind: ClusterIssuer, group: cert-manager.io}
""",
    "externalsecret": """
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db, namespace: payments-dev}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {name: db, creationPolicy: Owner}
  data:
    - secretKey: password
      remoteRef: {key: payments/db, property: password}
""",
}

# name → (base case, edit to apply, expected (rule, path)).
BROKEN: dict[str, tuple[str, t.Callable[[dict[str, t.Any]], None], tuple[str, str]]] = {
    "composition-resources-field": (
        "composition",
        lambda o: o["spec"].update(resources=[{"name": "db", "base": {}}]),
        ("schema-unknown-field", "spec.resources"),
    ),
    "composition-resources-mode": (
        "composition",
        lambda o: o["spec"].update(mode="Resources"),
        ("schema-enum", "spec.mode"),
    ),
    "composition-missing-type-ref": (
        "composition",
        lambda o: o["spec"].pop("compositeTypeRef"),
        ("schema-required", "spec"),
    ),
    "xrd-v1-bad-scope-type": (
        "xrd-v1",
        lambda o: o["spec"]["names"].update(kind=5),
        ("schema-type", "spec.names.kind"),
    ),
    "xrd-v2-missing-names": ("xrd-v2", lambda o: o["spec"].pop("names"), ("schema-required", "spec")),
    "pipeline-v1-taskref-bundle": (
        "pipeline",
        lambda o: o["spec"]["tasks"][0].update(taskRef={"name": "x", "bundle": "ghcr.io/a/b:1"}),
        ("schema-unknown-field", "spec.tasks[0].taskRef.bundle"),
    ),
    "pipeline-v1-resources": (
        "pipeline",
        lambda o: o["spec"].update(resources=[]),
        ("schema-unknown-field", "spec.resources"),
    ),
    "task-step-typo": (
        "task",
        lambda o: o["spec"]["steps"][0].update(imagePullPolicyy="Always"),
        ("schema-unknown-field", "spec.steps[0].imagePullPolicyy"),
    ),
    "knative-service-no-containers": (
        "knative-service",
        lambda o: o["spec"]["template"]["spec"].pop("containers"),
        ("schema-required", "spec.template.spec"),
    ),
    "knative-service-port-string": (
        "knative-service",
        lambda o: o["spec"]["template"]["spec"]["containers"][0]["ports"][0].update(containerPort="http"),
        ("schema-type", "spec.template.spec.containers[0].ports[0].containerPort"),
    ),
    "broker-unknown": ("broker", lambda o: o["spec"].update(channel="x"), ("schema-unknown-field", "spec.channel")),
    "trigger-subscriber-type": (
        "trigger",
        lambda o: o["spec"].update(subscriber="api"),
        ("schema-type", "spec.subscriber"),
    ),
    "clusterpolicy-action-enum": (
        "clusterpolicy",
        lambda o: o["spec"].update(validationFailureAction="Block"),
        ("schema-enum", "spec.validationFailureAction"),
    ),
    "ocirepository-missing-url": ("ocirepository", lambda o: o["spec"].pop("url"), ("schema-required", "spec")),
    "ocirepository-provider-enum": (
        "ocirepository",
        lambda o: o["spec"].update(provider="docker"),
        ("schema-enum", "spec.provider"),
    ),
    "kustomization-missing-prune": ("kustomization", lambda o: o["spec"].pop("prune"), ("schema-required", "spec")),
    "kustomization-integer-label": (
        "kustomization",
        lambda o: o["metadata"].update(labels={"team": 7}),
        ("schema-type", "metadata.labels.team"),
    ),
    "app-unknown": ("app", lambda o: o["spec"].update(fetchh=[]), ("schema-unknown-field", "spec.fetchh")),
    "certificate-missing-secret": ("certificate", lambda o: o["spec"].pop("secretName"), ("schema-required", "spec")),
    "certificate-algorithm-enum": (
        "certificate",
        lambda o: o["spec"]["privateKey"].update(algorithm="DSA"),
        ("schema-enum", "spec.privateKey.algorithm"),
    ),
    "externalsecret-unknown": (
        "externalsecret",
        lambda o: o["spec"].update(secretStore={"name": "v"}),
        ("schema-unknown-field", "spec.secretStore"),
    ),
    "wrong-api-version": (
        "ocirepository",
        lambda o: o.update(apiVersion="source.toolkit.fluxcd.io/v2"),
        ("schema-version", "apiVersion"),
    ),
}


def load(name: str) -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", yaml.safe_load(GOOD[name]))


@pytest.mark.parametrize("name", sorted(GOOD))
def test_well_formed_instance_passes(checker: Checker, name: str) -> None:
    findings = checker.check([rendered(load(name))], include_setup=False)
    assert [(d.rule, d.path, d.message) for d in findings] == []


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_instance_is_caught_with_its_path(checker: Checker, name: str) -> None:
    base, edit, (rule, path) = BROKEN[name]
    obj = load(base)
    edit(obj)
    findings = [d for d in checker.check([rendered(obj)], include_setup=False) if d.is_error]
    assert (rule, path) in [(d.rule, d.path) for d in findings], findings
    for d in findings:  # rendered objects: reported at their blueprint origin
        assert (d.file, d.line) == ("blueprints/tenants/x.yaml", 7)
        assert d.object == rendered(obj).ref()


def test_every_served_version_of_the_upstream_crds_compiles(checker: Checker) -> None:
    crds = checker.index.crds
    assert not crds.diagnostics
    kinds = {(g, k) for (g, _v, k) in crds.versions}
    for needed in [
        ("apiextensions.crossplane.io", "Composition"),
        ("tekton.dev", "Pipeline"),
        ("kyverno.io", "ClusterPolicy"),
        ("cert-manager.io", "Certificate"),
        ("external-secrets.io", "ExternalSecret"),
    ]:
        assert needed in kinds
    for g, v, k in crds.versions:
        assert checker.index.entry(f"{g}/{v}", k) is not None
    assert set(crds.served_versions("apiextensions.crossplane.io", "CompositeResourceDefinition")) == {"v1", "v2"}
