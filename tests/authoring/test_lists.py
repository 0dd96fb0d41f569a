"""List edits on the text: the lines of an item, its comments, the blank lines between items, and nothing else."""

from __future__ import annotations

import typing as t

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from genplat.authoring import Where, line_changes, parse_path
from genplat.authoring._lists import insert, move, remove


def add(text: str, path: str, item: t.Any, where: Where | None = None) -> str:
    return insert(text, parse_path(path), item, where or Where())


DOC = """\
spec:
  # The environments.
  environments:
    # dev first
    - name: dev
      clusters: [a]
      # later: more clusters

    - name: prod
      clusters: [b, c]  # two regions
  # Tiers follow.
  tiers: {}
"""


def test_an_item_added_last_goes_before_the_comment_of_the_next_key_with_the_lists_blank_line() -> None:
    new = add(DOC, "spec.environments", {"name": "qa", "clusters": ["d"]})
    assert new == DOC.replace(
        "      clusters: [b, c]  # two regions\n",
        "      clusters: [b, c]  # two regions\n\n    - name: qa\n      clusters: [d]\n",
    )
    assert line_changes(DOC, new) == (3, 0)


def test_before_after_and_at_place_the_item() -> None:
    first = add(DOC, "spec.environments", {"name": "qa", "clusters": ["d"]}, Where.of(before="dev"))
    assert first.index("- name: qa") < first.index("# dev first")  # the comment stays with its item
    middle = add(DOC, "spec.environments", {"name": "qa", "clusters": ["d"]}, Where.of(after="dev"))
    assert middle.index("# later: more clusters") < middle.index("- name: qa") < middle.index("- name: prod")
    assert add(DOC, "spec.environments", {"name": "qa", "clusters": ["d"]}, Where(at=2)) == add(
        DOC, "spec.environments", {"name": "qa", "clusters": ["d"]}
    )


def test_remove_takes_the_comments_above_and_inside_the_item() -> None:
    new = remove(DOC, parse_path("spec.environments[dev]"))
    assert new == DOC.replace(
        "    # dev first\n    - name: dev\n      clusters: [a]\n      # later: more clusters\n\n", ""
    )
    assert yaml.safe_load(new)["spec"]["environments"] == [{"name": "prod", "clusters": ["b", "c"]}]


def test_removing_the_last_item_leaves_an_empty_list_with_the_keys_comment() -> None:
    text = "spec:\n  events:   # subscriptions\n    - name: a\n      subscriber: x\n  network: {}\n"
    assert remove(text, parse_path("spec.events[a]")) == "spec:\n  events: []   # subscriptions\n  network: {}\n"


def test_move_keeps_the_items_lines_byte_for_byte() -> None:
    new = move(DOC, parse_path("spec.environments[prod]"), Where(at=0))
    prod = "    - name: prod\n      clusters: [b, c]  # two regions\n"
    assert new.startswith("spec:\n  # The environments.\n  environments:\n" + prod)
    assert sorted(new.splitlines()) == sorted(DOC.splitlines())


def test_a_missing_list_is_created_where_the_schema_orders_its_key() -> None:
    tenant = (
        "kind: Tenant\nspec:\n  tier: small\n  environments:\n    - name: dev\n  services:\n    - name: web\n"
        "      image: x\n  # who may call in\n  network:\n    allowFrom: [a]\n"
    )
    new = add(tenant, "spec.events", {"name": "e", "subscriber": "web"})
    assert new == tenant.replace(
        "  # who may call in\n", "  events:\n    - name: e\n      subscriber: web\n  # who may call in\n"
    )
    nested = add("kind: Tenant\nspec:\n  tier: small\n", "spec.network.allowFrom", "web")
    assert nested == "kind: Tenant\nspec:\n  tier: small\n  network:\n    allowFrom: [web]\n"


def test_strings_that_would_read_as_other_types_are_quoted() -> None:
    new = add("spec:\n  items:\n    - name: a\n", "spec.items", {"name": "b", "version": "17", "flag": "on"})
    assert '      version: "17"\n' in new and '      flag: "on"\n' in new


def test_lists_written_at_their_keys_column_and_files_without_a_final_newline() -> None:
    text = "spec:\n  items:\n  - name: a\n  - name: b\n  other: 1"
    new = add(text, "spec.items", {"name": "c"})
    assert yaml.safe_load(new)["spec"] == {"items": [{"name": "a"}, {"name": "b"}, {"name": "c"}], "other": 1}
    assert new.endswith("other: 1") and line_changes(text, new) == (1, 0)


NAMES = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), min_size=1, max_size=5, unique=True)


@settings(max_examples=60, deadline=None)
@given(NAMES, st.integers(0, 5), st.booleans(), st.booleans())
def test_any_insert_remove_or_move_changes_exactly_the_items_lines(
    names: list[str], pos: int, blank: bool, comments: bool
) -> None:
    sep = "\n" if blank else ""
    items = [(f"    # about {n}\n" if comments else "") + f"    - name: {n}\n      port: 1\n" for n in names]
    text = "spec:\n  list:\n" + sep.join(items) + "  after: 1\n"
    pos = min(pos, len(names))
    added = add(text, "spec.list", {"name": "z", "port": 2}, Where(at=pos))
    assert [i["name"] for i in yaml.safe_load(added)["spec"]["list"]] == [*names[:pos], "z", *names[pos:]]
    assert line_changes(text, added) == (2 + (1 if blank and len(names) > 1 else 0), 0)  # the gap it saw
    gone = remove(text, parse_path(f"spec.list[{names[pos % len(names)]}]"))
    assert [i["name"] for i in yaml.safe_load(gone)["spec"]["list"] or []] == [
        n for n in names if n != names[pos % len(names)]
    ]
    moved = move(text, parse_path(f"spec.list[{names[0]}]"), Where(at=min(pos, len(names) - 1)))
    expected = names[1:]
    expected.insert(min(pos, len(names) - 1), names[0])
    assert [i["name"] for i in yaml.safe_load(moved)["spec"]["list"]] == expected
    assert sorted(moved.splitlines()) == sorted(text.splitlines())
