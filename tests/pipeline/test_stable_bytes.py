"""An edit to one part of the platform changes only the bundles whose objects change: output files
name their blueprint source by a stable anchor (file#path by names), never by a line number."""

from __future__ import annotations

import json
from pathlib import Path

from genplat.pipeline import BuildOptions, build

from .conftest import snapshot

NEW_ENV = """    - name: staging
      description: Pre-production, one region
      clusters:
        - name: staging-eu
          provider: gke
          region: europe-west1
          # What prod-eu runs (its Crossplane providers too: a locked cluster composes with its own).
          addons: [knative-serving, knative-eventing, crossplane, function-patch-and-transform, provider-helm,
                   provider-gcp-sql, provider-gcp-container, provider-gcp-compute, kyverno, cert-manager,
                   external-secrets, flux-source-controller, flux-kustomize-controller]
"""


def _build(project: Path) -> tuple[dict[str, bytes], dict[str, dict[str, str]]]:
    result = build(BuildOptions(project=project / "blueprints", incremental=False, jobs=1))
    assert result.ok, [str(d) for d in result.diagnostics]
    out = project / "out"
    lock = json.loads((out / "genplat.lock.json").read_text())
    return snapshot(out), {b: v["oci"] for b, v in lock["bundles"].items()}


def test_adding_an_environment_leaves_every_other_bundle_byte_identical(project: Path) -> None:
    before, digests_before = _build(project)
    platform = project / "blueprints" / "platform.yaml"
    text = platform.read_text()
    # In the middle of the file, between dev and prod: every line below moves down.
    assert "    - name: prod\n" in text
    platform.write_text(text.replace("    - name: prod\n", NEW_ENV + "    - name: prod\n", 1))
    after, digests_after = _build(project)

    assert "staging/staging-eu" in digests_after and "staging/staging-eu" not in digests_before
    for bundle in digests_before:
        assert digests_after[bundle] == digests_before[bundle], bundle
        files_before = {p: d for p, d in before.items() if p.startswith(bundle + "/")}
        files_after = {p: d for p, d in after.items() if p.startswith(bundle + "/")}
        assert files_after == files_before, bundle
    # The wiring of the other clusters stays as it was; only the new cluster's is added.
    wiring_before = {p: d for p, d in before.items() if p.startswith("_gitops/")}
    wiring_after = {p: d for p, d in after.items() if p.startswith("_gitops/")}
    assert {p: d for p, d in wiring_after.items() if "staging" not in p} == wiring_before
    assert any("staging-staging-eu" in p for p in wiring_after)


def test_diagnostics_keep_file_line_and_column(project: Path) -> None:
    tenant = project / "blueprints" / "tenants" / "globex.yaml"
    tenant.write_text(tenant.read_text().replace("port: 8080", "port: 99999", 1))
    result = build(BuildOptions(project=project / "blueprints", incremental=False, jobs=1))
    assert not result.ok
    d = next(d for d in result.diagnostics if d.severity.name == "ERROR")
    assert d.file.endswith("globex.yaml") and d.line and d.column, d
