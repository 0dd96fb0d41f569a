"""The hook genplat build calls: settings from the platform blueprint, kubeconform refusal, once-only notes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from genplat import ToolNotFoundError
from genplat.checks import guardrail_context, make_build_checker
from genplat.loader import load_project
from genplat.resolver.model import resolve
from tests.upstream_parts import crd_files

from .conftest import REPO, rendered


@pytest.fixture(scope="module")
def platform():  # type: ignore[no-untyped-def]
    project = load_project(str(REPO / "blueprints"))
    model, _targets = resolve(project)
    return dataclasses.replace(model, crds=[str(f) for f in crd_files()])


def test_context_from_platform(platform) -> None:  # type: ignore[no-untyped-def]
    off = dataclasses.replace(
        platform,
        policies={
            **platform.policies,
            "forbidLatest": False,
            "guardrails": {"disabled": [{"rule": "guardrail/root-user", "reason": "legacy"}]},
        },
    )
    ctx = guardrail_context(off)
    assert ctx.disabled["guardrail/root-user"] == "legacy"
    assert "forbidLatest" in ctx.disabled["guardrail/image-tag"]
    assert ctx.pod_security == platform.pod_security


def test_build_checker_reports_against_blueprint_and_notes_once(platform) -> None:  # type: ignore[no-untyped-def]
    run = make_build_checker(platform, REPO)
    bad = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "x-dev"}, "data": {"a": "Yg=="}}
    first = run([rendered(bad, tenant="x")])
    assert any(d.rule == "guardrail/secret-data" and d.line == 7 for d in first)
    widget = {"apiVersion": "acme.io/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "x-dev"}}
    assert [d.rule for d in run([rendered(widget, tenant="x")]) if d.rule == "schema-not-validated"] == [
        "schema-not-validated"
    ]
    assert [d.rule for d in run([rendered(widget, tenant="x")]) if d.rule == "schema-not-validated"] == []


def test_validator_kubeconform_without_binary_stops(platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError) as exc:
        make_build_checker(dataclasses.replace(platform, validator="kubeconform"), REPO)
    assert exc.value.exit_code == 2
