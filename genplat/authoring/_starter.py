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
    "function-patch-and-transform",
    "provider-helm",
    "kyverno",
    "external-secrets",
    "flux-source-controller",
    "flux-kustomize-controller",
    "flux-helm-controller",  # installs the add-ons shipped as Helm charts (Crossplane, external-secrets)
)

PLATFORM = """\
# yaml-language-server: $schema=../schemas/platform.schema.json
# Written by genplat init: yours to change (genplat init --force would write it anew).
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
            # The database as a Helm release in the tenant's namespace (Crossplane's Helm provider installs it).
            - name: database
              base:
                apiVersion: helm.m.crossplane.io/v1beta1
                kind: Release
                spec:
                  forProvider:
                    chart: {name: postgresql, repository: https://charts.bitnami.com/bitnami, version: 16.7.4}
                    namespace: default
                    values:
                      image: {tag: "17"}
                      primary: {persistence: {size: 20Gi}}
              patches:
                - {from: metadata.namespace, to: spec.forProvider.namespace}
                - {from: version, to: spec.forProvider.values.image.tag}
                - {from: storageGB, to: spec.forProvider.values.primary.persistence.size, transform: {format: "%vGi"}}
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
# Written by genplat init: yours to change (genplat init --force would write it anew).
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
# Written by genplat init: yours to change (genplat init --force would write it anew).
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
# Written by genplat init: yours to change (genplat init --force would write it anew).
# Pull requests: validate the blueprints, require the committed out/ to be current and post (or update)
# one comment with what the change does to every cluster. main: package every bundle (see docs/ci.md
# of genplat for pushing them and signing).
name: genplat

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

env:
  # The genplat this project is built with: its wheel is kept in the repository (no package index serves
  # genplat yet) and installed only when its sha256 is this one; constraints.txt pins its dependencies.
  # To move to another genplat: install it, then run `genplat init --pin-only` (it updates these lines).
  GENPLAT_WHEEL: {wheel}
  GENPLAT_WHEEL_SHA256: {sha256}

jobs:
  genplat:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write # to post the diff comment
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # genplat diff reads the base commit's blueprints; the provenance records the commit
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install the pinned genplat
        run: |
          echo "$GENPLAT_WHEEL_SHA256  $GENPLAT_WHEEL" | sha256sum --check --strict
          pip install --constraint .genplat/constraints.txt "$GENPLAT_WHEEL"
      - name: Add-on CRDs (fetched once per version of blueprints/addons.lock.json)
        uses: actions/cache@v4
        with:
          path: ~/.cache/genplat/addons
          key: genplat-addons-${{ hashFiles('blueprints/addons.lock.json') }}
      - name: Validate blueprints
        run: genplat validate
      - name: The add-on lock records the versions the clusters run
        run: genplat addons lock --check
      - name: Committed output is what the blueprints render (the digests out/_gitops/ pins)
        run: genplat build --check
      - name: Diff against the base branch
        if: github.event_name == 'pull_request'
        env:
          BASE_SHA: ${{ github.event.pull_request.base.sha }}
        run: |
          genplat diff "$BASE_SHA" --format markdown > genplat-diff.md
          cat genplat-diff.md >> "$GITHUB_STEP_SUMMARY"
      - name: Post or update the diff comment
        # Pull requests from forks get a read-only token: the job summary above still has the report.
        if: github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository
        uses: actions/github-script@v7
        with:
          script: |
            const fs = require('fs');
            const marker = '<!-- genplat-diff -->';
            const body = fs.readFileSync('genplat-diff.md', 'utf8');
            const { owner, repo } = context.repo;
            const issue_number = context.payload.pull_request.number;
            const comments = await github.paginate(github.rest.issues.listComments,
                                                   { owner, repo, issue_number, per_page: 100 });
            const mine = comments.find(c => c.user.type === 'Bot' && c.body && c.body.startsWith(marker));
            if (mine) {
              await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
            } else {
              await github.rest.issues.createComment({ owner, repo, issue_number, body });
            }
      - name: Package each cluster's bundle as an OCI artifact
        if: github.event_name == 'push'
        run: genplat package --provenance
      - if: github.event_name == 'push'
        uses: actions/upload-artifact@v4
        with:
          name: bundles
          path: out/.oci/
      # To publish: set spec.registry in blueprints/platform.yaml, give the job packages: write (ghcr.io)
      # or a registry token, then: genplat push --tag "sha-${GITHUB_SHA::12}" and genplat push --tag latest.
"""

README = """\
<!-- Written by genplat init: yours to change (genplat init --force would write it anew). -->
# {name}

A genplat project: platform and tenant blueprints that `genplat build` compiles into one checked
Kubernetes bundle per cluster under `out/`.

```
blueprints/platform.yaml     the platform: environments, clusters, tiers, offerings, pipelines, policies
blueprints/tenants/*.yaml    one tenant per file
schemas/                     JSON Schemas the editor modelines point at (`genplat schema platform|tenant`)
out/                         what `genplat build` renders (commit it, so reviews show rendered changes)
.genplat/                    the genplat wheel CI installs, pinned by sha256 in .github/workflows/genplat.yaml
```

## What to change first

1. `blueprints/platform.yaml`: `metadata.name`, `spec.registry` (where `genplat push` uploads bundles),
   the cluster under `environments` (its `provider` and `addons`), the add-on versions under `addons`
   and `policies.allowedRegistries`.
2. `blueprints/tenants/`: replace the two example tenants with yours (`genplat tenant new NAME --tier small`).
3. `genplat addons lock`: fetches the CRDs of the add-on versions your clusters run and writes
   `blueprints/addons.lock.json`; commit it, and every custom resource is checked against them.

Grow it with commands: `genplat env add prod`, `genplat cluster add prod prod-us --provider eks`,
`genplat service add web api ghcr.io/example/api:1.0.0`, `genplat resource add data db postgres`, and
`genplat add FILE PATH ITEM` / `remove` / `move` for any other list.

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

# Marks the files genplat init writes, so that a later init knows which ones it may replace (--force).
MARKER = "written by genplat init"

FILES: dict[str, str] = {
    "blueprints/platform.yaml": PLATFORM,
    "blueprints/tenants/web.yaml": WEB,
    "blueprints/tenants/data.yaml": DATA,
    ".gitignore": GITIGNORE,
    ".github/workflows/genplat.yaml": WORKFLOW,
    "README.md": README,
}

# Files a repository often has already: init keeps the user's README.md (its notes are in the output),
# and adds its lines to an existing .gitignore instead of replacing it.
KEEP_USERS = ("README.md",)
MERGE_LINES = (".gitignore",)
