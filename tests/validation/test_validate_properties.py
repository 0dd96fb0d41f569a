"""Property tests: mutated blueprints and random bytes never crash genplat; findings always say where.

The example blueprints are mutated at random paths (keys deleted or renamed, values replaced by other
types, random text or nested junk, list items duplicated), written back as YAML and validated. Whatever
comes out must be either no findings or findings that carry a rule id, a file and a line inside that
file: never an exception.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import typing as t
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import genplat
from genplat.loader.project import blueprint_files
from genplat.loader.safe_yaml import load_documents

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "blueprints"
FILES = sorted(p.relative_to(EXAMPLES).as_posix() for p in blueprint_files(EXAMPLES))
# Sizes kept small: the point is variety, not volume. No deadline: CI machines are slow and shared.
# GENPLAT_HYPOTHESIS_EXAMPLES=5000 runs a longer bug hunt by hand.
SETTINGS = settings(
    max_examples=int(os.environ.get("GENPLAT_HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "0",
            "yes",
            "no",
            "null",
            "~",
            "1.33",
            "500m",
            "2Gi",
            "-----BEGIN RSA PRIVATE KEY-----",
            "kube-system",
            "default",
            "x" * 70,
            "$(params.nope)",
            "<<",
            "*",
            "&a",
            "{",
            "é",
            "😀",
        ]
    ),
)
keys = st.one_of(
    st.text(max_size=15),
    st.integers(min_value=-5, max_value=5),
    st.booleans(),
    st.sampled_from(
        [
            "name",
            "spec",
            "tier",
            "services",
            "image",
            "env",
            "secrets",
            "value",
            "traffic",
            "percent",
            "parameters",
            "PASSWORD",
        ]
    ),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


def _paths(node: t.Any, prefix: tuple[t.Any, ...] = ()) -> list[tuple[t.Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _parent(data: t.Any, path: tuple[t.Any, ...]) -> t.Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutation(draw: st.DrawFn, data: t.Any) -> t.Any:
    """Apply one random change to ``data`` in place (on a path that exists) and return it."""
    paths = [p for p in _paths(data) if p]
    path = draw(st.sampled_from(paths))
    parent, last = _parent(data, path), path[-1]
    op = draw(st.sampled_from(["delete", "replace", "rename", "duplicate", "insert", "unicode", "retype"]))
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = draw(junk)
    elif op == "rename" and isinstance(parent, dict):
        parent[draw(keys)] = parent.pop(last)
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(last, parent[last])
    elif op == "insert":
        target = parent[last]
        if isinstance(target, dict):
            target[draw(keys)] = draw(junk)
        elif isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), draw(junk))
        else:
            parent[last] = [target, draw(junk)]
    elif op == "unicode":
        parent[last] = draw(st.text(min_size=1, max_size=40))
    else:  # retype: same content, other type
        value = parent[last]
        parent[last] = {"value": value} if not isinstance(value, dict) else [value]
    return data


def _example_data(rel: str) -> t.Any:
    return yaml.safe_load((EXAMPLES / rel).read_text("utf-8"))


def _check_findings(findings: list[genplat.Diagnostic], root: Path) -> None:
    for d in findings:
        assert isinstance(d, genplat.Diagnostic)
        assert d.rule and d.rule == d.rule.lower() and " " not in d.rule, d
        assert d.message, d
        assert d.file, d
        if d.rule == "platform-missing":
            continue
        assert isinstance(d.line, int) and d.line >= 1, d
        assert isinstance(d.column, int) and d.column >= 1, d
        text = (root / d.file).read_bytes()
        assert d.line <= text.count(b"\n") + 1, (d, text.count(b"\n"))


@SETTINGS
@given(data=st.data(), rel=st.sampled_from(FILES), rounds=st.integers(1, 3))
def test_mutated_examples_never_crash(data: st.DataObject, rel: str, rounds: int) -> None:
    doc = _example_data(rel)
    for _ in range(rounds):
        if not isinstance(doc, (dict, list)) or not _paths(doc)[1:]:
            break
        doc = data.draw(mutation(doc))
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "blueprints"
        shutil.copytree(EXAMPLES, root)
        (root / rel).write_text(text, "utf-8")
        findings = genplat.validate(genplat.load_project(root))
        # File names in findings are relative to the working directory: resolve them the same way.
        _check_findings(findings, Path.cwd())


@SETTINGS
@given(raw=st.binary(max_size=400))
def test_random_bytes_never_crash_the_loader(raw: bytes) -> None:
    docs, diags = load_documents(raw, "x.yaml")
    assert not (docs and diags)
    for d in diags:
        assert d.rule and d.file == "x.yaml" and d.line >= 1 and d.column >= 1
        assert d.line <= raw.count(b"\n") + 1


yaml_text = st.lists(
    st.sampled_from(
        [
            "[",
            "]",
            "{",
            "}",
            ":",
            ": ",
            ",",
            "- ",
            "\n",
            "  ",
            "&a ",
            "*a",
            "<<: ",
            "!!str ",
            "!!python/name:x ",
            "!x ",
            "? ",
            "|\n",
            ">-\n",
            "'",
            '"',
            "#",
            "---\n",
            "...\n",
            "%YAML 1.1\n",
            "a",
            "b",
            "1",
            "true",
            "~",
            "é",
            "\t",
            "\\",
            "\ufeff",
            "@",
            "`",
        ]
    ),
    max_size=60,
).map("".join)


@SETTINGS
@given(text=yaml_text, multi=st.booleans())
def test_random_yaml_never_crashes_the_loader(text: str, multi: bool) -> None:
    docs, diags = load_documents(text, "x.yaml", multi=multi)
    for d in diags:
        assert d.rule.startswith(("yaml-", "file-")) and d.line >= 1 and d.column >= 1, d
    for doc in docs:
        assert doc.data is not None
        _assert_plain(doc.data)


def _assert_plain(value: t.Any) -> None:
    """Loaded data is JSON-like: string keys, plain scalars (what the schemas and jsonschema-rs accept)."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), k
            _assert_plain(v)
    elif isinstance(value, list):
        for v in value:
            _assert_plain(v)
    else:
        assert value is None or isinstance(value, (str, int, float, bool)), value
        if isinstance(value, float):
            assert math.isfinite(value)  # .nan and .inf are refused (yaml-number)
