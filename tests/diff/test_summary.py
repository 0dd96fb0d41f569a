"""The blueprint summary in words: environment overrides and placements read as sentences."""

from __future__ import annotations

from pathlib import Path

from genplat.diff._summary import compare_blueprints
from genplat.loader.sources import blueprints_from_files

EXAMPLES = Path(__file__).resolve().parents[2] / "blueprints"
GLOBEX = "blueprints/tenants/globex.yaml"


def _files() -> dict[str, bytes]:
    return {f"blueprints/{p.relative_to(EXAMPLES).as_posix()}": p.read_bytes() for p in EXAMPLES.rglob("*.yaml")}


def _summary(*edits: tuple[str, str]) -> list[tuple[str, str, int | None]]:
    files = _files()
    text = files[GLOBEX].decode()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    head = dict(files, **{GLOBEX: text.encode()})
    base_bp, head_bp = blueprints_from_files(files), blueprints_from_files(head)
    assert base_bp is not None and head_bp is not None
    return [(i.topic, i.text, i.cause.line) for i in compare_blueprints(base_bp, head_bp)]


PROD = "    - name: prod\n"


def test_an_environment_override_added_whole_reads_as_a_sentence() -> None:
    digest = "a" * 64
    got = _summary(
        (
            PROD,
            PROD + "      services:\n        checkout:\n          scaling: {min: 2, max: 20}\n"
            f"          image: ghcr.io/acme/globex-checkout:1.4.0@sha256:{digest}\n",
        )
    )
    assert got == [
        (
            "override",
            "tenant globex: in prod, service checkout now overrides scaling.min to 2, scaling.max to 20 and "
            "image to ghcr.io/acme/globex-checkout:1.4.0",
            24,
        )
    ]
    assert "{" not in got[0][1]  # never a mapping printed whole


def test_overrides_changed_added_and_dropped_in_one_sentence() -> None:
    got = _summary(
        (
            "          scaling: {min: 0, max: 3}\n",
            "          scaling: {min: 1, max: 3}\n          env: {LOG_LEVEL: debug}\n",
        ),
        ("          traffic:\n            - {latestRevision: true, percent: 100}\n", ""),
    )
    assert got == [
        (
            "override",
            "tenant globex: in dev, service checkout now overrides env.LOG_LEVEL to debug; overrides scaling.min "
            "to 1 instead of 0; no longer overrides traffic (was [{latestRevision: true, percent: 100}])",
            17,
        )
    ]


def test_placement_in_an_environment_reads_as_a_sentence() -> None:
    assert _summary((PROD, PROD + "      clusters: [prod-eu]\n")) == [
        ("environment", "tenant globex: in prod, runs only in cluster prod-eu", 23)
    ]
