"""The example workflow does what docs/ci.md says, with the marker the Markdown report writes."""

from __future__ import annotations

from pathlib import Path

import yaml

from genplat.diff import MARKER

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / ".github" / "workflows" / "genplat.yml"


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_example_workflow() -> None:
    wf = yaml.safe_load(WORKFLOW.read_text())
    triggers = wf[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    review, publish = wf["jobs"]["review"], wf["jobs"]["publish"]
    assert "pull_request" in review["if"] and "refs/heads/main" in publish["if"]
    runs = _runs(review)
    order = [runs.index(c) for c in ("genplat validate", "genplat build --check", "genplat diff")]
    assert order == sorted(order) and "--format markdown" in runs
    script = next(s["with"]["script"] for s in review["steps"] if "github-script" in s.get("uses", ""))
    assert f"'{MARKER}'" in script and "updateComment" in script and "createComment" in script
    # Sticky: the marker finds the comment to update; a new one only when none was found.
    assert script.index("startsWith(marker)") < script.index("updateComment") < script.index("createComment")
    assert "--format json" in runs  # the same summary for other CI systems
    assert review["permissions"]["pull-requests"] == "write"
    runs = _runs(publish)
    order = [runs.index(c) for c in ("genplat build", "genplat package", "genplat push")]
    assert order == sorted(order)


def test_example_workflow_publishes_exactly_what_is_pinned() -> None:
    """main checks the committed out/, packages each cluster in its delivery's format (no forced
    --bundle-format) with provenance beside the bundles, and pushes where out/_gitops/ pulls from."""
    publish = yaml.safe_load(WORKFLOW.read_text())["jobs"]["publish"]
    runs = _runs(publish)
    assert "genplat build --check" in runs
    package = next(line.strip() for line in runs.splitlines() if "genplat package" in line)
    assert "--provenance" in package and "--bundle-format" not in package and "--format" not in package
    pushes = [line for line in runs.splitlines() if "genplat push" in line]
    assert pushes and not any("--registry" in p or "--other-registry" in p for p in pushes)


def test_example_workflow_waits_for_the_clusters_after_the_push() -> None:
    """docs/ci.md and docs/delivery.md: after publish, genplat status --wait, then --drift."""
    wf = yaml.safe_load(WORKFLOW.read_text())
    delivered = wf["jobs"]["delivered"]
    assert delivered["needs"] == "publish" and "refs/heads/main" in delivered["if"]
    runs = _runs(delivered)
    assert runs.index("genplat status --wait") < runs.index("genplat status --drift")
    assert "KUBECONFIG" in runs and "umask 077" in runs  # the credentials file is private
