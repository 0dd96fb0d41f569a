"""The YAML emitter: every output must read back as the same data with YAML 1.1 (PyYAML pure and
libyaml, as Kubernetes' go-yaml v2 reads it) and YAML 1.2 (ruamel.yaml pure) readers."""

from __future__ import annotations

import io
import math
import typing as t

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from genplat.rendering.emit import dump_documents, dump_object


def load_pure11(text: str) -> t.Any:
    return yaml.load(text, Loader=yaml.SafeLoader)


def load_c11(text: str) -> t.Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


def load_12(text: str) -> t.Any:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


LOADERS = [load_pure11, load_c11, load_12]


def assert_round_trips(obj: dict[str, t.Any]) -> str:
    text = dump_object(obj)
    for load in LOADERS:
        assert load(text) == obj, (load.__name__, text)
    return text


# Strings that break naive emitters: YAML 1.1 and 1.2 implicit types in several spellings,
# indicators, comments, document markers, whitespace, escapes and non-BMP text.
NASTY = [
    "",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r",
    "\r\n",
    "a\r\nb",
    "~",
    "=",
    "<<",
    "-",
    "--",
    "---",
    "--- a",
    "...",
    "... a",
    "-x",
    "--flag=1",
    "- x",
    "?",
    "? x",
    "?x",
    ":",
    ":x",
    "x:",
    "x: y",
    "x:y",
    "a #b",
    "a#b",
    "#a",
    "&a",
    "*a",
    "!a",
    "!!python/object:os.system",
    "|",
    "|-",
    ">",
    "'",
    "''",
    '"',
    "%YAML 1.1",
    "@a",
    "`a",
    ",",
    "[",
    "]",
    "{",
    "}",
    "{a: 1}",
    "[1, 2]",
    "yes",
    "Yes",
    "YES",
    "yEs",
    "no",
    "No",
    "NO",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "y",
    "Y",
    "n",
    "N",
    "true",
    "True",
    "TRUE",
    "tRuE",
    "false",
    "False",
    "FALSE",
    "null",
    "Null",
    "NULL",
    "nUlL",
    "0",
    "00",
    "-0",
    "+0",
    "1",
    "-1",
    "+1",
    "007",
    "0o17",
    "0O17",
    "017",
    "0x1F",
    "0X1f",
    "-0x1F",
    "0b101",
    "0B101",
    "1_000",
    "1__0",
    "_1",
    "_",
    "-_",
    "-_0",
    "0_o",
    "1:20",
    "1:20:30",
    "-1:20",
    "190:20:30.15",
    "1.5",
    "1.",
    ".5",
    "-.5",
    "+.5",
    "1e3",
    "1E3",
    "1e+3",
    "1.0e+3",
    "1.2.3",
    ".inf",
    "-.inf",
    "+.inf",
    ".Inf",
    ".INF",
    ".nan",
    ".NaN",
    ".NAN",
    "inf",
    "Infinity",
    "nan",
    "NaN",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2002-12-14",
    "1-2-3",
    " a",
    "a ",
    " a ",
    "a  b",
    "a\tb",
    "a\n",
    "a\nb",
    "a\nb\n",
    "a\nb\n\n",
    "\na",
    "\n\na\n",
    " a\nb",
    "a \nb",
    "a\n b",
    "a\n\tb",
    "a\n\n\nb",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\xa0",
    "\xa0a\xa0",
    "\u2028",
    "a\u2029b",
    "\ufeff",
    "\ufeffa",
    "\ufffe",
    "\uffff",
    "é",
    "日本語",
    "😀",
    "\U0001f600\n\U00010000",
    "\U0010ffff",
    "\\",
    "\\n",
    "a\\",
    "a'b",
    'a"b',
    "\"'",
    "kind: ClusterRoleBinding",
    "\nkind: ClusterRoleBinding",
    "{{ 7*7 }}",
    "a: b\n---\nkind: X\n",
    "a\n---\nb",
    "a\n...\nb",
    "key: |\n  x",
    "#!/bin/sh\necho hi\n",
]


@pytest.mark.parametrize("s", NASTY)
def test_nasty_strings_round_trip_as_values_keys_and_items(s: str) -> None:
    assert_round_trips({"v": s, "l": [s, {"k": s}], s: "key", "n": {s: [s]}})


@pytest.mark.parametrize(
    "s",
    [
        "yes",
        "no",
        "on",
        "OFF",
        "y",
        "N",
        "true",
        "Null",
        "~",
        "0o17",
        "017",
        "1:20",
        "1e3",
        ".inf",
        "2001-12-14",
        "1_000",
        "0x1F",
        "0b1",
        "=",
        "<<",
        "",
    ],
)
def test_implicitly_typed_strings_are_quoted(s: str) -> None:
    text = dump_object({"k": s})
    assert text == f"k: '{s}'\n"
    assert dump_object({s: 1}) == f"'{s}': 1\n"


@pytest.mark.parametrize(
    "s",
    [
        "nginx",
        "apps/v1",
        "1.2.3",
        "500m",
        "10Gi",
        "-x",
        "--port=80",
        "a:b",
        "a#b",
        "日本語",
        "😀",
        "registry.local/x:1.0",
    ],
)
def test_ordinary_strings_stay_plain(s: str) -> None:
    assert dump_object({"k": s}) == f"k: {s}\n"


@pytest.mark.parametrize(
    ("s", "header"),
    [
        ("a\nb", "|-"),
        ("a\nb\n", "|"),
        ("a\nb\n\n", "|+"),
        ("a\n\n\n", "|+"),
        ("\na\n", "|"),
        ("a\n  b\n", "|"),
        ("#!/bin/sh\nset -e\n", "|"),
    ],
)
def test_multiline_strings_are_literal_blocks(s: str, header: str) -> None:
    text = assert_round_trips({"k": s, "after": 1})
    assert text.startswith(f"k: {header}\n")


@pytest.mark.parametrize(
    "s", [" a\nb", "a \nb", "a\n \nb", "a\tb\nc", "a\r\nb", "\n", "\n\n", "a\x85b\n", "a\u2028b\nc"]
)
def test_multiline_strings_a_literal_block_cannot_hold_are_double_quoted(s: str) -> None:
    text = assert_round_trips({"k": s})
    assert text.startswith('k: "')
    assert text.count("\n") == 1


def test_literal_blocks_inside_sequences_and_nested_mappings() -> None:
    obj = {"a": ["x\ny\n", {"b": "p\n q\n", "c": ["m\nn"]}], "d": {"e": {"f": "1\n2\n\n"}}}
    assert_round_trips(obj)


def test_layout_key_order_and_block_style() -> None:
    obj = {
        "spec": {"replicas": 2, "template": {"containers": [{"name": "app", "ports": [{"containerPort": 80}]}]}},
        "status": {},
        "metadata": {"name": "web", "labels": {"z": "1", "a": "2"}},
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "data": [],
    }
    assert dump_object(obj) == (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: web\n"
        "  labels:\n"
        "    z: '1'\n"
        "    a: '2'\n"
        "spec:\n"
        "  replicas: 2\n"
        "  template:\n"
        "    containers:\n"
        "      - name: app\n"
        "        ports:\n"
        "          - containerPort: 80\n"
        "status: {}\n"
        "data: []\n"
    )


def test_nested_sequences_and_empty_collections_in_sequences() -> None:
    obj = {"a": [[1, [2, []]], [], {}, [{}], [{"x": 1, "y": [[]]}]]}
    text = assert_round_trips(obj)
    assert "- - 1\n" in text


def test_shared_sub_objects_are_written_out_without_anchors() -> None:
    shared = {"cpu": "100m", "memory": "64Mi", "list": [1, 2]}
    obj = {"a": shared, "b": shared, "c": [shared, shared]}
    text = assert_round_trips(obj)
    assert "&" not in text and "*" not in text
    assert text.count("cpu: 100m") == 4


def test_scalars_are_canonical() -> None:
    obj = {
        "i": 10**30,
        "n": -5,
        "f": 1e16,
        "g": 1e-7,
        "h": 0.1,
        "z": -0.0,
        "pinf": float("inf"),
        "ninf": float("-inf"),
        "t": True,
        "fa": False,
        "none": None,
    }
    text = assert_round_trips(obj)
    assert "f: 1.0e+16\n" in text and "g: 1.0e-07\n" in text and "h: 0.1\n" in text
    assert "pinf: .inf\n" in text and "ninf: -.inf\n" in text and "none: null\n" in text
    for load in LOADERS:
        value = load(dump_object({"nan": float("nan")}))["nan"]
        assert isinstance(value, float) and math.isnan(value)


def test_long_keys_use_explicit_key_syntax() -> None:
    long = "k" * 3000
    assert_round_trips({long: "v", "x": {long: {"a": 1}}, "y": [{long: [1]}]})


def test_subclasses_of_supported_types_are_written_as_their_base() -> None:
    import enum

    class Color(str, enum.Enum):
        RED = "on"

    class Num(enum.IntEnum):
        ONE = 1

    class D(dict):  # type: ignore[type-arg]
        pass

    text = dump_object({"c": Color.RED, "m": Num.ONE, "d": D(a=1), "l": [D()], Color.RED: Color.RED})
    assert text == "c: 'on'\nm: 1\nd:\n  a: 1\nl:\n  - {}\n'on': 'on'\n"


@pytest.mark.parametrize("bad", [{1, 2}, (1, 2), b"x", object(), 1j])
def test_unsupported_types_are_refused_with_their_path(bad: object) -> None:
    with pytest.raises(TypeError, match=r"at spec\.items\[1\]\.x: cannot write a value of type"):
        dump_object({"spec": {"items": [1, {"x": bad}]}})


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(TypeError, match=r"at metadata\[1\]: mapping key 1 is a int, expected str"):
        dump_object({"metadata": {1: "x"}})
    with pytest.raises(TypeError, match="a document must be a dict"):
        dump_object([1])  # type: ignore[arg-type]


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(ValueError, match=r"at a: string .* lone surrogate"):
        dump_object({"a": "x\ud800"})


def test_documents_with_source_comments() -> None:
    text = dump_documents([("blueprints/tenants/a.yaml:3", {"kind": "A"}), (None, {"kind": "B"})])
    assert text == "---\n# source: blueprints/tenants/a.yaml:3\nkind: A\n---\nkind: B\n"
    assert dump_documents([]) == ""


@pytest.mark.parametrize(
    "source",
    [
        "a.yaml:1\nkind: Evil",
        "a\r---\nkind: Evil",
        "a\x85kind: Evil",
        "a\u2028kind: Evil",
        "a\u2029b",
        "a\x00b\x7f\ufeff",
        "a\\nb",
    ],
)
def test_source_text_cannot_break_out_of_its_comment(source: str) -> None:
    text = dump_documents([(source, {"kind": "A"}), (source, {"kind": "B"})])
    lines = text.split("\n")
    assert len(lines) == 7 and lines[1].startswith("# source: ") and lines[4].startswith("# source: ")
    for loader in (yaml.SafeLoader, yaml.CSafeLoader):
        assert list(yaml.load_all(text, Loader=loader)) == [{"kind": "A"}, {"kind": "B"}]
    assert "\\" in lines[1]


# --- property tests -------------------------------------------------------------------------

# Text biased towards the characters that matter to YAML, mixed with fully arbitrary text.
_FRAGMENTS = st.sampled_from(NASTY + list("-?:,[]{}#&*!|>'\"%@` \t\n\r.0123456789_+eExobyn~=<"))
_TEXT = st.one_of(st.text(), st.lists(_FRAGMENTS, max_size=8).map("".join), st.sampled_from(NASTY))
_SCALARS = st.one_of(
    _TEXT,
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(_TEXT, children, max_size=5)),
    max_leaves=25,
)
_OBJECTS = st.dictionaries(_TEXT, _VALUES, max_size=6)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_property_any_string_round_trips_yaml11(s: str) -> None:
    obj = {"v": s, s: [s]}
    text = dump_object(obj)
    assert load_pure11(text) == obj
    assert load_c11(text) == obj


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_property_any_string_round_trips_yaml12(s: str) -> None:
    obj = {"v": s, s: [s]}
    assert load_12(dump_object(obj)) == obj


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_OBJECTS)
def test_property_structures_round_trip(obj: dict[str, t.Any]) -> None:
    text = dump_object(obj)
    assert load_pure11(text) == obj
    assert load_c11(text) == obj
    assert load_12(text) == obj


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(st.none(), _TEXT), _OBJECTS), max_size=4))
def test_property_document_streams_round_trip(docs: list[tuple[str | None, dict[str, t.Any]]]) -> None:
    text = dump_documents(docs)
    expected = [obj for _, obj in docs]
    assert list(yaml.load_all(text, Loader=yaml.SafeLoader)) == expected
    assert list(yaml.load_all(text, Loader=yaml.CSafeLoader)) == expected
