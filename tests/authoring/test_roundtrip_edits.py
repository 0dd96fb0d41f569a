"""Round-trip edits change the edited lines only: every scalar of every example blueprint, edited in turn."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from genplat.authoring._edit import Assignment, edit_text
from genplat.authoring._fmt import format_text
from genplat.authoring._paths import Index, Key, Named, PathError, Step, parse_path, show
from genplat.authoring._roundtrip import RoundTrip, minimal_patch
from genplat.loader.project import blueprint_files

REPO = Path(__file__).resolve().parent.parent.parent
FILES = sorted([*blueprint_files(REPO / "blueprints"), *(REPO / "tests" / "validation" / "base").rglob("*.yaml")])


def _leaves(node: t.Any, path: tuple[Step, ...] = ()) -> t.Iterator[tuple[tuple[Step, ...], t.Any, int]]:
    """(path, value, 0-based line of the value) of every scalar, from ruamel's positions."""
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                yield from _leaves(v, (*path, Key(str(k))))
            else:
                yield (*path, Key(str(k))), v, node.lc.value(k)[0]
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, (dict, list)):
                yield from _leaves(v, (*path, Index(i)))
            else:
                yield (*path, Index(i)), v, node.lc.item(i)[0]


def _other(value: t.Any) -> str:
    if isinstance(value, bool):
        return "false" if value else "true"
    if isinstance(value, int):
        return str(value + 1)
    return f"{value}-x" if value is not None else "x"


@pytest.mark.parametrize("file", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_scalar_edit_changes_only_its_line(file: Path) -> None:
    original = file.read_text("utf-8")
    leaves = list(_leaves(RoundTrip(original).data))
    assert len(leaves) > 5
    # Every scalar of the tenant files; an even spread of 25 of the platform's hundreds (each edit is a
    # full round trip, so all of them would take minutes).
    leaves = leaves[:: max(1, len(leaves) // 25)]
    lines = original.splitlines(keepends=True)
    for path, value, line in leaves:
        edited = edit_text(original, [Assignment(path, _other(value))])
        new_lines = edited.splitlines(keepends=True)
        assert len(new_lines) == len(lines), (show(path), edited)
        changed = [i for i, (a, b) in enumerate(zip(lines, new_lines, strict=True)) if a != b]
        assert changed == [line], (show(path), changed, line)
        # The edit reads back as the value set, and everything else as it was.
        back = RoundTrip(edited).data
        node: t.Any = back
        for step in path:
            node = node[step.name] if isinstance(step, Key) else node[t.cast(Index, step).position]
        assert str(node).lower() == _other(value).lower()


@pytest.mark.parametrize("file", sorted(blueprint_files(REPO / "blueprints")), ids=lambda p: str(p.relative_to(REPO)))
def test_examples_are_formatted(file: Path) -> None:
    text = file.read_text("utf-8")
    assert format_text(text) == text


def test_named_items_and_new_keys() -> None:
    text = (REPO / "blueprints" / "tenants" / "globex.yaml").read_text("utf-8")
    edited = edit_text(
        text,
        [
            parse_assignment_text("spec.services[checkout].port=9090"),
            parse_assignment_text("spec.environments[prod].clusters=[prod-eu]"),
        ],
    )
    assert "      port: 9090\n" in edited
    prod = edited[edited.index("    - name: prod\n") :]
    assert prod.index("      clusters: [prod-eu]\n") < prod.index("\n  services:\n")  # a new key of prod's entry
    assert [ln for ln in edited.splitlines() if ln.startswith("#")] == [
        ln for ln in text.splitlines() if ln.startswith("#")
    ]


def test_strings_keep_their_quotes_and_numbers_stay_strings_where_the_schema_says() -> None:
    text = (REPO / "blueprints" / "platform.yaml").read_text("utf-8")
    edited = edit_text(text, [parse_assignment_text("spec.kubernetesVersion=1.34")])
    assert '  kubernetesVersion: "1.34"\n' in edited
    tenant = (REPO / "blueprints" / "tenants" / "globex.yaml").read_text("utf-8")
    edited = edit_text(tenant, [parse_assignment_text("spec.services[checkout].env.FEATURE_NEW_CART=false")])
    assert 'FEATURE_NEW_CART: "false"' in edited  # env values are strings; the quotes it had stay


def test_paths() -> None:
    assert parse_path('spec.services[checkout].env."LOG.LEVEL"') == (
        Key("spec"),
        Key("services"),
        Named("checkout"),
        Key("env"),
        Key("LOG.LEVEL"),
    )
    assert parse_path("spec.environments[0]") == (Key("spec"), Key("environments"), Index(0))
    for bad in ("", "spec..tier", "[0].x", "spec.", "spec[]"):
        with pytest.raises(PathError):
            parse_path(bad)


def test_missing_list_item_names_the_items() -> None:
    text = (REPO / "blueprints" / "tenants" / "globex.yaml").read_text("utf-8")
    with pytest.raises(PathError) as exc:
        edit_text(text, [parse_assignment_text("spec.services[chekout].image=x:1")])
    assert exc.value.hint == "did you mean [checkout]?"


def test_minimal_patch_leaves_normalised_lines_alone() -> None:
    original = "a: {x: 1,   y: 2}\nb: 1\n"
    before = "a: {x: 1, y: 2}\nb: 1\n"  # what a dump would normalise
    after = "a: {x: 1, y: 2}\nb: 2\n"
    assert minimal_patch(original, before, after) == "a: {x: 1,   y: 2}\nb: 2\n"


def parse_assignment_text(text: str) -> Assignment:
    from genplat.authoring import parse_assignment

    return parse_assignment(text)
