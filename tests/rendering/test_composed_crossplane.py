"""genplat's offline composition equals the real ``crossplane render`` (CLI v2.1.0 with
function-patch-and-transform v0.10.7 on loopback), and ``crossplane beta validate`` accepts the result.

Every tenant order of the examples, of a generated project (tests/cluster/generated.py), of the same
project on Crossplane v1 (claims) and of a project built to exercise every transform genplat renders
(formats of strings, integers, booleans and fractional numbers, multiplies, maps with numbers and
booleans) is composed both ways. The composed resources must be equal: apiVersion, kind, spec and the
metadata genplat sets (everything ``crossplane render`` writes but the controller reference, whose uid
only a cluster knows).
"""

from __future__ import annotations

import copy
import typing as t
from pathlib import Path

import pytest
import yaml

from tests.cluster.generated import write_project
from tests.conftest import EXAMPLES, run_genplat
from tests.crossplane_cli import Order, beta_validate, orders, provider_crd_files, provider_crd_flags, render

pytestmark = pytest.mark.tools


def without_owner(obj: dict[str, t.Any]) -> dict[str, t.Any]:
    out = copy.deepcopy(obj)
    out["metadata"].pop("ownerReferences", None)
    return out


def assert_render_equal(
    orders_: list[Order], tmp: Path, address: str, *, adjust: t.Callable[[dict[str, t.Any]], None] = lambda _: None
) -> list[dict[str, t.Any]]:
    """Compare every order; returns what crossplane rendered (XRs and composed resources)."""
    rendered_all: list[dict[str, t.Any]] = []
    compared = 0
    for n, order in enumerate(orders_):
        item = order.item
        assert item.failure is None, (order.label, item.failure)
        got = render(
            tmp / f"{n:03d}",
            xr=item.composite,
            composition=order.composition,
            function=order.function,
            xrd=order.xrd,
            address=address,
        )
        assert not [r for r in got.results if r.get("severity") != "SEVERITY_NORMAL"], got.results
        theirs = {c["metadata"]["annotations"]["crossplane.io/composition-resource-name"]: c for c in got.composed}
        ours = {c.name: c.obj for c in item.resources}
        assert sorted(ours) == sorted(theirs), order.label
        for name, obj in ours.items():
            obj = copy.deepcopy(obj)
            adjust(obj)
            assert without_owner(theirs[name]) == obj, f"{order.label}: {name}"
            compared += 1
        rendered_all += [got.composite, *got.composed]
    assert compared >= len(orders_)
    return rendered_all


def test_examples_compose_as_crossplane_renders(tmp_path: Path, pt_function: str) -> None:
    found = orders(EXAMPLES)
    assert {o.item.offering["name"] for o in found} == {"postgres", "dedicated-cluster", "vcluster"}
    rendered = assert_render_equal(found, tmp_path / "render", pt_function)
    xrds = {o.xrd["metadata"]["name"]: o.xrd for o in found}
    checked = beta_validate(
        tmp_path / "validate", extensions=[*provider_crd_files(), *xrds.values()], resources=rendered
    )
    assert checked.code == 0 and not checked.refusals, checked.output
    # It validated every object: the XRs against their XRDs and each composed resource against its CRD.
    assert checked.output.count("validated successfully") == len(rendered), checked.output


def test_generated_project_composes_as_crossplane_renders(tmp_path: Path, pt_function: str) -> None:
    root = write_project(tmp_path / "blueprints", tenants=30)
    validated = run_genplat("validate", str(root), *provider_crd_flags())
    assert validated.code == 0 and "valid" in validated.stderr, validated.stdout + validated.stderr
    found = orders(root)
    assert len(found) >= 10
    rendered = assert_render_equal(found, tmp_path / "render", pt_function)
    xrds = {o.xrd["metadata"]["name"]: o.xrd for o in found}
    checked = beta_validate(
        tmp_path / "validate", extensions=[*provider_crd_files(), *xrds.values()], resources=rendered
    )
    assert checked.code == 0 and not checked.refusals, checked.output


def test_claims_compose_as_crossplane_renders(tmp_path: Path, pt_function: str) -> None:
    """Crossplane v1: the tenant's claim becomes a cluster-scoped XR whose labels name the claim."""
    root = write_project(tmp_path / "blueprints", tenants=12, seed=3)
    platform = root / "platform.yaml"
    doc = yaml.safe_load(platform.read_text("utf-8"))
    doc["spec"]["crossplane"]["apiVersion"] = "v1"
    platform.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    found = orders(root)
    assert found and all(o.item.composite["kind"].startswith("X") for o in found)
    for o in found:
        for c in o.item.resources:
            labels = c.obj["metadata"]["labels"]
            assert labels["crossplane.io/claim-name"] == o.item.resource.name
            assert labels["crossplane.io/claim-namespace"] == o.item.tenant.namespace

    def cli_view(obj: dict[str, t.Any]) -> None:
        # A cluster labels a claim's composed resources with the claim; the CLI reads every XR with
        # Crossplane v2's schema, where an XR has no claim (GetClaimReference is nil), so it does not.
        for key in ("crossplane.io/claim-name", "crossplane.io/claim-namespace"):
            obj["metadata"]["labels"].pop(key)

    assert_render_equal(found, tmp_path / "render", pt_function, adjust=cli_view)


KNOBS = {
    "name": "knobs",
    "group": "platform.acme.example",
    "kind": "Knobs",
    "parameters": {
        "size": {"type": "integer", "default": 3},
        "ratio": {"type": "number", "default": 1.5},
        "flag": {"type": "boolean", "default": True},
        "level": {"type": "string", "enum": ["low", "high"], "default": "low"},
        "label": {"type": "string", "default": "x"},
    },
    "compositions": [
        {
            "provider": "default",
            "resources": [
                {
                    "name": "object",
                    "base": {
                        "apiVersion": "kubernetes.m.crossplane.io/v1alpha1",
                        "kind": "Object",
                        "spec": {
                            "forProvider": {
                                "manifest": {"apiVersion": "v1", "kind": "ConfigMap", "data": {"fixed": "1"}}
                            }
                        },
                    },
                    "patches": [
                        {"from": "size", "to": "spec.forProvider.manifest.data.size", "transform": {"format": "%d"}},
                        {"from": "size", "to": "spec.forProvider.manifest.sizeTimes", "transform": {"multiply": 1024}},
                        {
                            "from": "ratio",
                            "to": "spec.forProvider.manifest.data.ratio",
                            "transform": {"format": "r=%v"},
                        },
                        {"from": "ratio", "to": "spec.forProvider.manifest.ratioTimes", "transform": {"multiply": 3}},
                        {"from": "flag", "to": "spec.forProvider.manifest.data.flag", "transform": {"format": "%t"}},
                        {
                            "from": "flag",
                            "to": "spec.forProvider.manifest.flagged",
                            "transform": {"map": {"true": 10, "false": 0.5}},
                        },
                        {
                            "from": "level",
                            "to": "spec.forProvider.manifest.data.level",
                            "transform": {"map": {"low": "L", "high": "H"}, "format": "level-%s"},
                        },
                        {
                            "from": "size",
                            "to": "spec.forProvider.manifest.items[2].size",
                            "transform": {
                                "multiply": 2,
                                "map": {"6": True, "8": False, "20": 7, "-4": "minus", "14": 1.5},
                            },
                        },
                        {"from": "label", "to": "spec.forProvider.manifest.metadata.labels[acme.example/label]"},
                        {"from": "metadata.name", "to": "spec.forProvider.manifest.metadata.name"},
                        {"from": "metadata.namespace", "to": "spec.forProvider.manifest.metadata.namespace"},
                        {"from": "metadata.labels[genplat.dev/tenant]", "to": "spec.forProvider.manifest.data.tenant"},
                        {"from": "metadata.labels[absent]", "to": "spec.forProvider.manifest.data.absent"},
                    ],
                }
            ],
        }
    ],
}
KNOB_VALUES = [
    {},
    {"size": 4, "ratio": 2, "flag": False, "level": "high"},
    {"size": 10, "ratio": 1234567.25, "label": "yes"},
    {"size": -2, "ratio": 0.00001, "flag": False},
    {"size": 7, "ratio": 1e21},
]


def test_every_transform_composes_as_crossplane_renders(tmp_path: Path, pt_function: str) -> None:
    root = tmp_path / "blueprints"
    write_project(root, tenants=0)
    platform = root / "platform.yaml"
    doc = yaml.safe_load(platform.read_text("utf-8"))
    doc["spec"]["offerings"].append(KNOBS)
    platform.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    for n, values in enumerate(KNOB_VALUES):
        tenant = {
            "apiVersion": "genplat.dev/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": f"knob{n}"},
            "spec": {
                "tier": "small",
                "access": {"admins": {"groups": [f"knob{n}-admins"]}},
                "environments": [{"name": "dev"}],
                "resources": [{"name": f"knobs-{n}", "offering": "knobs", "parameters": values}],
            },
        }
        (root / "tenants" / f"knob{n}.yaml").write_text(yaml.safe_dump(tenant, sort_keys=False), "utf-8")
    found = [o for o in orders(root) if o.item.offering["name"] == "knobs"]
    assert len(found) == len(KNOB_VALUES)
    assert_render_equal(found, tmp_path / "render", pt_function)
    # What the values became, as the function made them (a few spot checks of the Go formatting).
    manifests = {o.item.resource.name: o.item.resources[0].obj["spec"]["forProvider"]["manifest"] for o in found}
    assert manifests["knobs-2"]["data"]["ratio"] == "r=1.23456725e+06"
    # Every number of the XR reaches the function as a float64: %d of an integer is Go's error text
    # (validate refuses that format: composition-transform).
    assert manifests["knobs-0"]["data"]["size"] == "%!d(float64=3)"
    assert manifests["knobs-3"]["data"]["ratio"] == "r=1e-05"
    assert manifests["knobs-1"]["flagged"] == 0.5 and manifests["knobs-0"]["flagged"] == 10
    assert manifests["knobs-0"]["items"] == [None, None, {"size": True}]
    assert "absent" not in manifests["knobs-0"]["data"]
