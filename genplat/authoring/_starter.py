"""The files ``genplat init`` writes: a small, complete project that validates, builds, checks and packages.

One environment with one cluster, two tiers, one offering, one pipeline template and two tenants.
``{schemas}`` files are the JSON Schemas of this genplat version, so the editor modelines work offline.
"""

from __future__ import annotations

from genplat.core.addons import catalog

# The starter cluster's add-ons, at the versions genplat's catalog blesses.
STARTER_ADDONS = (
    "knative-serving",
    "knative-eventing",
    "tekton-pipelines",
    "tekton-triggers",
    "crossplane",
    "kyverno",
    "external-secrets",
    "flux-source-controller",
    "flux-kustomize-controller",
)

PLATFORM = """\
# yaml-language-server: $schema=../schemas/platform.schema.json
# The platform: where bundles go, the environments and clusters, and what tenants may order.
# Change first: metadata.name, spec.registry, the cluster below and policies.allowedRegistries.
apiVersion: genplat.dev/v1alpha1
kind: Platform
metadata:
  name: example
spec:
  # Repository prefix that `genplat push` uploads bundles to (<registry>/<env>-<cluster>:<tag>).
  registry: registry.example.com/platform
  kubernetesVersion: "1.33"
  # The version of each add-on the clusters run (a cluster may pin another). `genplat addons lock`
  # fetches their CRDs and pins them in blueprints/addons.lock.json (commit it): every custom
  # resource of a cluster is checked against exactly its versions. `genplat addons catalog` lists more.
  addons:
{addons}
  environments:
    - name: dev
      description: Development
      clusters:
        - name: dev-1
          provider: existing
          # What runs on the cluster decides which objects its bundle gets and which CRDs check them.
          addons:
{cluster_addons}
  tiers:
    small:
      description: Trials and internal tools
      quota: {cpu: "4", memory: 8Gi, pods: 20}
      container:
        defaultRequest: {cpu: 100m, memory: 128Mi}
        default: {cpu: 500m, memory: 512Mi}
        max: {cpu: "1", memory: 1Gi}
      maxReplicas: 5
    large:
      description: Production services
      quota: {cpu: "16", memory: 32Gi, pods: 60}
      container:
        defaultRequest: {cpu: 250m, memory: 256Mi}
        default: {cpu: "1", memory: 1Gi}
        max: {cpu: "4", memory: 8Gi}
      maxReplicas: 20
  secrets:
    # Tenants reference secrets by key; External Secrets fetches them from this store.
    store: {kind: ClusterSecretStore, name: vault}
    refreshInterval: 1h
  offerings:
    - name: postgres
      description: A PostgreSQL database
      group: platform.example.com
      kind: PostgresInstance
      parameters:
        version: {type: string, enum: ["16", "17"], default: "17", description: PostgreSQL major version}
        storageGB: {type: integer, minimum: 10, maximum: 200, default: 20, description: Disk size in GB}
      compositions:
        - provider: default
          resources:
            - name: database
              base:
                apiVersion: sql.example.com/v1alpha1
                kind: Database
                spec:
                  forProvider: {engine: postgres, version: "17", storageGB: 20}
              patches:
                - {from: version, to: spec.forProvider.version}
                - {from: storageGB, to: spec.forProvider.storageGB}
  pipelines:
    - name: container-build
      description: Clone the repository, build the image with kaniko and push it
      podSecurity: baseline   # kaniko runs as root; builds run in <tenant>-<env>-build
      params:
        - {name: dockerfile, default: ./Dockerfile, description: Path of the Dockerfile}
      workspaces:
        - {name: source, description: The cloned repository}
      tasks:
        - name: clone
          taskRef:
            resolver: bundles
            params: {bundle: "ghcr.io/tektoncd/catalog/upstream/tasks/git-clone:0.9", name: git-clone, kind: task}
          params: {url: $(params.repo-url), revision: $(params.revision)}
          workspaces: {output: source}
        - name: build
          taskRef:
            resolver: bundles
            params: {bundle: "ghcr.io/tektoncd/catalog/upstream/tasks/kaniko:0.7", name: kaniko, kind: task}
          params: {IMAGE: $(params.image), DOCKERFILE: $(params.dockerfile)}
          workspaces: {source: source}
          runAfter: [clone]
  policies:
    podSecurity: {enforce: restricted, audit: restricted, warn: restricted}
    # Tenant images must come from here (a host, or a host and path prefix).
    allowedRegistries: [ghcr.io/example, registry.example.com]
    forbidLatest: true
    defaultDenyNetwork: true
""".replace(
    "{addons}", "\n".join(f"    - {{name: {n}, version: {catalog()[n].version}}}" for n in STARTER_ADDONS)
).replace("{cluster_addons}", "\n".join(f"            - {n}" for n in STARTER_ADDONS))

WEB = """\
# yaml-language-server: $schema=../../schemas/tenant.schema.json
# A team that serves a web app and builds its image with the platform pipeline.
apiVersion: genplat.dev/v1alpha1
kind: Tenant
metadata:
  name: web
spec:
  description: The web team
  tier: small
  access:
    admins: {groups: [web-leads]}
    developers: {groups: [web-devs]}
  environments:
    - name: dev
  services:
    - name: frontend
      image: ghcr.io/example/frontend:1.0.0
      port: 8080
      env: {LOG_LEVEL: info}
      scaling: {min: 1, max: 3}
      resources:
        requests: {cpu: 100m, memory: 128Mi}
        limits: {cpu: 500m, memory: 256Mi}
      build:
        pipeline: container-build
        repository: https://github.com/example/frontend
        revision: main
  network:
    allowFrom: [data]
"""

DATA = """\
# yaml-language-server: $schema=../../schemas/tenant.schema.json
# A team that runs an API on a database it orders from the platform.
apiVersion: genplat.dev/v1alpha1
kind: Tenant
metadata:
  name: data
spec:
  description: The data team
  tier: large
  access:
    admins: {groups: [data-leads]}
  environments:
    - name: dev
  services:
    - name: api
      image: registry.example.com/data/api:0.3.0
      port: 9000
      secrets:
        - {env: DATABASE_PASSWORD, key: data/orders-db, property: password}
      scaling: {min: 1, max: 4}
      resources:
        requests: {cpu: 250m, memory: 256Mi}
        limits: {cpu: "1", memory: 1Gi}
  resources:
    - name: orders-db
      offering: postgres
      parameters: {version: "17", storageGB: 50}
"""

GITIGNORE = """\
# genplat's local state: the OCI layout `genplat package` writes and the incremental build's record.
out/.oci/
out/.genplat/
"""

WORKFLOW = """\
# Validate the blueprints, check that the committed out/ is current, and package the bundles.
name: genplat
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.12"}
      - run: pip install genplat
      # The add-ons' CRDs, fetched once per version of blueprints/addons.lock.json.
      - uses: actions/cache@v4
        with:
          path: ~/.cache/genplat/addons
          key: genplat-addons-${{ hashFiles('blueprints/addons.lock.json') }}
      - run: genplat validate
      - run: genplat addons lock --check
      - run: genplat build --check
      - run: genplat check
      - run: genplat package
"""

README = """\
# {name}

A genplat project: platform and tenant blueprints that `genplat build` compiles into one checked
Kubernetes bundle per cluster under `out/`.

```
blueprints/platform.yaml     the platform: environments, clusters, tiers, offerings, pipelines, policies
blueprints/tenants/*.yaml    one tenant per file
schemas/                     JSON Schemas the editor modelines point at (`genplat schema platform|tenant`)
out/                         what `genplat build` renders (commit it, so reviews show rendered changes)
```

## What to change first

1. `blueprints/platform.yaml`: `metadata.name`, `spec.registry` (where `genplat push` uploads bundles),
   the cluster under `environments` (its `provider` and `addons`), the add-on versions under `addons`
   and `policies.allowedRegistries`.
2. `blueprints/tenants/`: replace the two example tenants with yours (`genplat tenant new NAME --tier small`).
3. `genplat addons lock`: fetches the CRDs of the add-on versions your clusters run and writes
   `blueprints/addons.lock.json`; commit it, and every custom resource is checked against them.

## Everyday commands

```sh
genplat validate                     # every finding at once, with file:line:col
genplat addons lock                  # after changing add-on versions: fetch and pin their CRDs
genplat build                        # render and check into out/
genplat diff                         # what your uncommitted edits change in the rendered output
genplat set blueprints/tenants/web.yaml spec.tier=large
genplat set-image web frontend ghcr.io/example/frontend:1.1.0
genplat package && genplat push      # OCI bundles for Flux
```

Every command works from any folder inside the project.
"""

FILES: dict[str, str] = {
    "blueprints/platform.yaml": PLATFORM,
    "blueprints/tenants/web.yaml": WEB,
    "blueprints/tenants/data.yaml": DATA,
    ".gitignore": GITIGNORE,
    ".github/workflows/genplat.yaml": WORKFLOW,
    "README.md": README,
}
