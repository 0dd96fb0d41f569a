"""The offline function-patch-and-transform: field paths, Go's formatting, transforms, composing.

What it must equal is proven against the real function in test_composed_crossplane.py (marked
``tools``); these cases pin the rules one by one, so a regression names the rule it broke. The Go
formatting expectations were printed by Go 1.26's ``fmt`` and ``strconv`` on this machine.
"""

from __future__ import annotations

import re
import typing as t

import pytest

from genplat.rendering import patch_transform as pt
from tests.conftest import REPO, run_genplat


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("spec.forProvider.settings.tier", ("spec", "forProvider", "settings", "tier")),
        ("spec.items[0].name", ("spec", "items", 0, "name")),
        ("metadata.labels[crossplane.io/claim-name]", ("metadata", "labels", "crossplane.io/claim-name")),
        ("metadata.annotations['a.b/c']", ("metadata", "annotations", "a.b/c")),
        ("a[0][1]", ("a", 0, 1)),
        ("a[x]b", ("a", "x", "b")),
    ],
)
def test_paths_parse_as_crossplane_runtime_reads_them(path: str, segments: tuple[t.Any, ...]) -> None:
    assert pt.parse_path(path) == segments


@pytest.mark.parametrize("path", ["a..b", ".a", "a.", "a[b", "a[]", "a]", "a.[0]", "a[[0]]", ""])
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(pt.PathSyntaxError):
        pt.parse_path(path)


def test_writing_creates_maps_and_grows_lists() -> None:
    obj: dict[str, t.Any] = {}
    pt.set_value(obj, pt.parse_path("spec.items[2].size"), 3.0)
    assert obj == {"spec": {"items": [None, None, {"size": 3}]}}  # a whole float64 comes back an int64
    pt.set_value(obj, pt.parse_path("spec.items[3]"), "x")
    assert obj["spec"]["items"] == [None, None, {"size": 3}, "x"]
    with pytest.raises(pt.PathError, match=r"spec\.items is not an object"):
        pt.set_value(obj, pt.parse_path("spec.items.size"), 1)
    with pytest.raises(pt.PathError, match="greater than max allowed index 1024"):
        pt.set_value(obj, pt.parse_path("spec.more[1025]"), 1)


def test_reading_tells_missing_from_wrong_shape() -> None:
    obj = {"spec": {"items": [1], "name": "x", "none": None}}
    assert pt.lookup(obj, "spec.items[0]") == (True, 1)
    assert pt.lookup(obj, "spec.items[3]") == (False, None)
    assert pt.lookup(obj, "spec.none.deeper") == (False, None)
    with pytest.raises(pt.PathError, match="not an array"):
        pt.lookup(obj, "spec.name[0]")
    with pytest.raises(pt.PathError, match="not an object"):
        pt.lookup(obj, "spec.name.first")


@pytest.mark.parametrize(
    ("value", "v", "s", "d"),
    [
        (1234567.5, "1.2345675e+06", "%!s(float64=1.2345675e+06)", "%!d(float64=1.2345675e+06)"),
        (1e21, "1e+21", "%!s(float64=1e+21)", "%!d(float64=1e+21)"),
        (0.00001, "1e-05", "%!s(float64=1e-05)", "%!d(float64=1e-05)"),
        (123456.5, "123456.5", "%!s(float64=123456.5)", "%!d(float64=123456.5)"),
        (0.0001, "0.0001", "%!s(float64=0.0001)", "%!d(float64=0.0001)"),
        (2.5e-7, "2.5e-07", "%!s(float64=2.5e-07)", "%!d(float64=2.5e-07)"),
        (12345678.25, "1.234567825e+07", "%!s(float64=1.234567825e+07)", "%!d(float64=1.234567825e+07)"),
        (10, "10", "%!s(int64=10)", "10"),
        ("a", "a", "a", "%!d(string=a)"),
        (True, "true", "%!s(bool=true)", "%!d(bool=true)"),
    ],
)
def test_go_formats_values_so(value: t.Any, v: str, s: str, d: str) -> None:
    assert (pt.go_sprintf("%v", value), pt.go_sprintf("%s", value), pt.go_sprintf("%d", value)) == (v, s, d)


def test_go_formats_floats_in_full_for_convert() -> None:
    assert [pt.go_float_f(x) for x in (1234567.5, 1e21, 0.00001, 2.5e-7, 3.0)] == [
        "1234567.5",
        "1000000000000000000000",
        "0.00001",
        "0.00000025",
        "3",
    ]


def test_formats_other_than_one_plain_verb_are_not_composed() -> None:
    assert pt.go_sprintf("%s-%%-db", "x") == "x-%-db"
    for fmt in ("%05d", "%s-%s", "plain", "%q", "%"):
        with pytest.raises(pt.Unsupported):
            pt.go_sprintf(fmt, "x")


def _input(*patches: dict[str, t.Any], base: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    return {"resources": [{"name": "r", "base": base or {"apiVersion": "g/v1", "kind": "K"}, "patches": list(patches)}]}


XR = {
    "apiVersion": "x.example/v1alpha1",
    "kind": "X",
    "metadata": {"name": "db", "namespace": "team-dev", "labels": {"team": "a"}},
    "spec": {"parameters": {"size": 20, "tier": "small", "ha": False}},
}


def test_numbers_of_the_xr_reach_the_function_as_floats() -> None:
    (composed,), failure = pt.compose(
        XR,
        _input(
            {"fromFieldPath": "spec.parameters.size", "toFieldPath": "spec.a", "transforms": [_fmt("%d")]},
            {"fromFieldPath": "spec.parameters.size", "toFieldPath": "spec.b", "transforms": [_fmt("%v GB")]},
            {"fromFieldPath": "spec.parameters.size", "toFieldPath": "spec.c", "transforms": [_mul(3)]},
        ),
    )
    assert failure is None
    assert composed.obj["spec"] == {"a": "%!d(float64=20)", "b": "20 GB", "c": 60}
    assert [w.value for w in composed.writes] == [20, 20, 20]


def test_missing_sources_skip_the_patch_and_metadata_is_crossplanes() -> None:
    (composed,), failure = pt.compose(
        XR,
        _input(
            {"fromFieldPath": "metadata.labels[absent]", "toFieldPath": "spec.x"},
            {"fromFieldPath": "metadata.labels[team]", "toFieldPath": "spec.team"},
        ),
    )
    assert failure is None
    assert composed.obj == {
        "apiVersion": "g/v1",
        "kind": "K",
        "spec": {"team": "a"},
        "metadata": {
            "generateName": "db-",
            "namespace": "team-dev",
            "annotations": {"crossplane.io/composition-resource-name": "r"},
            "labels": {"crossplane.io/composite": "db"},
        },
    }
    assert [w.patch for w in composed.writes] == [1]


def test_a_map_without_the_value_fails_the_composition() -> None:
    composed, failure = pt.compose(
        XR,
        _input(
            {"fromFieldPath": "spec.parameters.tier", "toFieldPath": "spec.t", "transforms": [_map(large="L")]},
        ),
    )
    assert composed == [] and failure is not None
    assert (failure.resource, failure.patch, failure.value) == ("r", 0, "small")
    assert failure.message == "transform at index 0 returned error: key small is not found in map"


def test_booleans_are_converted_before_a_map() -> None:
    convert = {"type": "convert", "convert": {"toType": "string"}}
    (composed,), _ = pt.compose(
        XR,
        _input(
            {"fromFieldPath": "spec.parameters.ha", "toFieldPath": "spec.ha", "transforms": [convert, _map(false=2)]}
        ),
    )
    assert composed.obj["spec"]["ha"] == 2 and isinstance(composed.obj["spec"]["ha"], int)


def test_writing_through_the_wrong_shape_fails_the_composition() -> None:
    base = {"apiVersion": "g/v1", "kind": "K", "spec": {"settings": {"tier": "a"}}}
    _, failure = pt.compose(
        XR, _input({"fromFieldPath": "spec.parameters.tier", "toFieldPath": "spec.settings[0].tier"}, base=base)
    )
    assert failure is not None and failure.message == "spec.settings is not an array"


def _fmt(fmt: str) -> dict[str, t.Any]:
    return {"type": "string", "string": {"type": "Format", "fmt": fmt}}


def _mul(n: int) -> dict[str, t.Any]:
    return {"type": "math", "math": {"type": "Multiply", "multiply": n}}


def _map(**pairs: t.Any) -> dict[str, t.Any]:
    return {"type": "map", "map": pairs}


def test_the_render_composed_example_in_the_docs_is_what_genplat_prints() -> None:
    doc = (REPO / "docs" / "blueprints.md").read_text("utf-8")
    block = re.search(r"```console\n\$ (genplat render --composed[^\n]*)\n(.*?)```", doc, re.S)
    assert block is not None
    args = block.group(1).split()[1:]
    shown = [line for line in block.group(2).splitlines() if line != "…"]
    result = run_genplat(*args, "-C", str(REPO))
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines()[: len(shown)] == shown
