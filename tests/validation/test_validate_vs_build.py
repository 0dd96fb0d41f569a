"""``genplat validate`` fails on every input on which ``genplat build`` fails.

Both run over every case of the bad-blueprint corpus (``cases/``) and over the blueprint-value
guardrail cases (``guardrail_cases.json``: edits of ``base/`` that the build's guardrail gate, schema
checks or renderers refuse). Where the build fails, validate must report an error too; for the
guardrail cases it must be the rule named, reported once at the blueprint value (not once per
environment), and a case marked ``passes`` must pass both.

The build runs validate first, so for the guardrail cases the build is also run with the
blueprint-value checks (``genplat.validation.preflight``) switched off: the gate, schemas and renderers alone
must refuse the case, which proves the case is a real build failure and not one validate invented
(``"gate": false`` marks the one value only the API server would refuse).
"""

from __future__ import annotations

import json
import shutil
import typing as t
from pathlib import Path

import pytest

import genplat
from genplat import BuildOptions, GenplatError
from tests.validation.test_validate_corpus import BASE, CASE_NAMES, CASES, materialize

HERE = Path(__file__).resolve().parent
GUARDRAIL_CASES = {
    k: v for k, v in json.loads((HERE / "guardrail_cases.json").read_text("utf-8")).items() if not k.startswith("_")
}


def _build_fails(
    root: Path, tmp: Path, options: dict[str, t.Any], monkeypatch: pytest.MonkeyPatch | None = None
) -> tuple[bool, str]:
    """Whether the build fails; with ``monkeypatch``, with validate's blueprint-value checks off."""
    if monkeypatch is not None:
        from genplat.validation import preflight

        monkeypatch.setattr(preflight, "check", lambda project: [])
    try:
        result = genplat.build(
            BuildOptions(
                project=root,
                out_dir=tmp / "out",
                check_only=True,
                incremental=False,
                jobs=1,
                max_file_size=options.get("max_file_size", 1024 * 1024),
            )
        )
    except GenplatError as exc:
        return True, exc.message
    except Exception as exc:
        return True, f"{type(exc).__name__}: {exc}"
    errors = [d for d in result.diagnostics if d.is_error]
    return bool(errors), "\n".join(f"{d.file}:{d.line}: {d.rule}: {d.message}" for d in errors)


def _validate_errors(root: Path, options: dict[str, t.Any]) -> list[genplat.Diagnostic]:
    return [d for d in genplat.validate(genplat.load_project(root, **options)) if d.is_error]


def _edited_base(tmp: Path, edits: dict[str, list[list[str]]]) -> Path:
    root = tmp / "blueprints"
    shutil.copytree(BASE, root)
    for rel, pairs in edits.items():
        text = (root / rel).read_text("utf-8")
        for old, new in pairs:
            assert old in text, f"{rel}: {old!r} not found (base/ changed?)"
            text = text.replace(old, new, 1)
        (root / rel).write_text(text, "utf-8")
    return root


@pytest.mark.parametrize("name", CASE_NAMES)
def test_corpus_case(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, options = materialize(CASES / name, tmp_path)
    monkeypatch.chdir(root)
    failed, why = _build_fails(Path("."), tmp_path, options)
    if failed:
        assert _validate_errors(Path("."), options), f"build fails but validate passes:\n{why}"


@pytest.mark.parametrize("name", sorted(GUARDRAIL_CASES))
def test_guardrail_case(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = GUARDRAIL_CASES[name]
    root = _edited_base(tmp_path, case["edit"])
    monkeypatch.chdir(root)
    failed, why = _build_fails(Path("."), tmp_path, {})
    errors = _validate_errors(Path("."), {})
    if case.get("passes"):
        assert not failed, why
        assert not errors, errors
        return
    assert failed, "the case should make the build fail"
    assert errors, f"build fails but validate passes:\n{why}"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        gate_failed, gate_why = _build_fails(Path("."), tmp_path, {}, mp)
    assert gate_failed is case.get("gate", True), gate_why
    if case["rule"]:
        hits = [d for d in errors if d.rule == case["rule"]]
        assert len(hits) == 1, errors  # once, at the blueprint value
        assert hits[0].file and hits[0].line, hits[0]


def test_base_builds_and_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases above mean something only if the unedited base passes both."""
    root = _edited_base(tmp_path, {})
    monkeypatch.chdir(root)
    failed, why = _build_fails(Path("."), tmp_path, {})
    assert not failed, why
    assert not _validate_errors(Path("."), {})


def test_a_value_wrong_in_several_environments_is_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _edited_base(
        tmp_path,
        {
            "tenants/beta.yaml": [
                [
                    "  environments:\n",
                    "  services:\n    - name: api\n      image: ghcr.io/beta/api:1.0.0\n"
                    '      resources:\n        limits: {cpu: "9", memory: 1Gi}\n  environments:\n',
                ]
            ]
        },
    )
    monkeypatch.chdir(root)
    hits = [d for d in _validate_errors(Path("."), {}) if d.rule == "tier-bounds"]
    assert len(hits) == 1, hits
    assert "environments 'dev', 'prod'" in hits[0].message


def test_a_tenant_file_that_does_not_parse_causes_no_unknown_tenant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _edited_base(
        tmp_path,
        {
            "tenants/acme.yaml": [["  tier: small\n", "  tier: small\n  network:\n    allowFrom: [beta]\n"]],
            "tenants/beta.yaml": [["  tier: large\n", "  tier: [large\n"]],
        },
    )
    monkeypatch.chdir(root)
    rules = [(d.file, d.rule) for d in _validate_errors(Path("."), {})]
    assert rules and all(f == "tenants/beta.yaml" for f, _ in rules), rules
    assert not any(r.startswith("unknown-") for _, r in rules)
