"""Crossplane: XRDs from the offerings' parameter schemas, Compositions with patches, XRs with defaults."""

from __future__ import annotations

import pytest

from genplat.rendering import crossplane

from .conftest import Rendered, with_platform

DEV = "dev/dev-eu"


def test_xrd_v2_schema_from_parameters(examples: Rendered) -> None:
    xrd = examples.one(DEV, "CompositeResourceDefinition", "postgresinstances.platform.acme.example")
    assert xrd["apiVersion"] == "apiextensions.crossplane.io/v2"
    spec = xrd["spec"]
    assert spec["scope"] == "Namespaced"
    assert spec["names"] == {"kind": "PostgresInstance", "plural": "postgresinstances"}
    assert "claimNames" not in spec
    (version,) = spec["versions"]
    assert (version["name"], version["served"], version["referenceable"]) == ("v1alpha1", True, True)
    params = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["parameters"]
    assert params["default"] == {}  # every parameter has a default, so an empty object gets them all
    assert params["properties"]["version"] == {
        "type": "string",
        "description": "PostgreSQL major version",
        "enum": ["15", "16", "17"],
        "default": "16",
    }
    assert params["properties"]["storageGB"] == {
        "type": "integer",
        "description": "Disk size in GB",
        "default": 20,
        "minimum": 10,
        "maximum": 500,
    }
    assert params["properties"]["highAvailability"]["type"] == "boolean"
    dc = examples.one(DEV, "CompositeResourceDefinition", "dedicatedclusters.platform.acme.example")
    region = dc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["parameters"][
        "properties"
    ]["region"]
    assert region["pattern"] == "^[a-z]+-[a-z]+[0-9]$"


def test_required_parameter_without_default_is_required() -> None:
    offering = {
        "name": "q",
        "kind": "Queue",
        "parameters": {
            "size": {"type": "integer", "required": True},
            "zone": {"type": "string", "required": True, "default": "a"},  # a default makes "required" moot
        },
    }
    schema = crossplane.parameters_schema(offering)
    assert schema["required"] == ["size"]


def test_composition_per_provider_with_patches_and_transforms(examples: Rendered) -> None:
    gke = examples.one(DEV, "Composition", "postgres-gke")
    assert gke["metadata"]["labels"]["provider"] == "gke"
    spec = gke["spec"]
    assert spec["compositeTypeRef"] == {"apiVersion": "platform.acme.example/v1alpha1", "kind": "PostgresInstance"}
    assert spec["mode"] == "Pipeline"
    (step,) = spec["pipeline"]
    assert step["functionRef"] == {"name": "function-patch-and-transform"}
    assert (step["input"]["apiVersion"], step["input"]["kind"]) == ("pt.fn.crossplane.io/v1beta1", "Resources")
    (instance,) = step["input"]["resources"]
    assert instance["base"]["kind"] == "DatabaseInstance"
    patches = instance["patches"]
    assert patches[0] == {
        "type": "FromCompositeFieldPath",
        "fromFieldPath": "spec.parameters.version",
        "toFieldPath": "spec.forProvider.databaseVersion",
        "transforms": [{"type": "string", "string": {"type": "Format", "fmt": "POSTGRES_%s"}}],
    }
    assert patches[1] == {
        "type": "FromCompositeFieldPath",
        "fromFieldPath": "spec.parameters.storageGB",
        "toFieldPath": "spec.forProvider.settings.diskSize",
    }
    # A boolean goes through a string conversion first: map transforms take strings only.
    assert patches[3]["transforms"] == [
        {"type": "convert", "convert": {"toType": "string"}},
        {"type": "map", "map": {"true": "REGIONAL", "false": "ZONAL"}},
    ]
    eks = examples.one(DEV, "Composition", "postgres-eks")
    assert eks["metadata"]["labels"]["provider"] == "eks"
    assert eks["spec"]["pipeline"][0]["input"]["resources"][0]["base"]["apiVersion"] == "rds.aws.m.upbound.io/v1beta1"


def test_dedicated_cluster_and_vcluster_compositions(examples: Rendered) -> None:
    dc = examples.one(DEV, "Composition", "dedicated-cluster-gke")
    resources = dc["spec"]["pipeline"][0]["input"]["resources"]
    assert [(r["name"], r["base"]["kind"]) for r in resources] == [
        ("network", "Network"),
        ("cluster", "Cluster"),
        ("nodepool", "NodePool"),
        ("database", "DatabaseInstance"),
    ]
    assert "patches" not in resources[0]
    nodepool = resources[2]["patches"]
    assert [(p["fromFieldPath"], p["toFieldPath"]) for p in nodepool] == [
        ("spec.parameters.region", "spec.forProvider.location"),
        ("spec.parameters.nodeCount", "spec.forProvider.nodeCount"),
        ("spec.parameters.machineType", "spec.forProvider.nodeConfig.machineType"),
    ]
    vc = examples.one(DEV, "Composition", "vcluster-default")
    (release,) = vc["spec"]["pipeline"][0]["input"]["resources"]
    assert (release["base"]["apiVersion"], release["base"]["kind"]) == ("helm.m.crossplane.io/v1beta1", "Release")
    # A raw field path of the composite is copied as is.
    assert release["patches"][2]["fromFieldPath"] == "metadata.namespace"
    xrd = examples.one(DEV, "CompositeResourceDefinition", "virtualclusters.platform.acme.example")
    assert xrd["spec"]["defaultCompositionRef"] == {"name": "vcluster-default"}


def test_math_transform_and_ordering() -> None:
    out = crossplane.transforms({"format": "%d-gb", "multiply": 2.0}, {"type": "integer"})
    assert out == [
        {"type": "math", "math": {"type": "Multiply", "multiply": 2}},
        {"type": "string", "string": {"type": "Format", "fmt": "%d-gb"}},
    ]
    assert crossplane.transforms({"map": {"a": "b"}}, {"type": "string"}) == [{"type": "map", "map": {"a": "b"}}]


def test_function_pinned_by_platform(examples: Rendered) -> None:
    fn = examples.one(DEV, "Function", "function-patch-and-transform")
    assert fn["apiVersion"] == "pkg.crossplane.io/v1"
    assert fn["spec"] == {"package": "xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.10.7"}
    found = examples.find(DEV, "Function")
    assert found[0].file == "platform/crossplane.yaml"
    assert str(found[0].origin).startswith(str(examples.platform.blueprint.file))


def test_xr_defaults_and_composition_selection(examples: Rendered) -> None:
    db = examples.one(DEV, "PostgresInstance", "reports-db", "initech-dev")
    assert db["apiVersion"] == "platform.acme.example/v1alpha1"
    # storageGB from the dev override; the rest from the tenant; nothing missing.
    assert db["spec"]["parameters"] == {
        "version": "16",
        "storageGB": 10,
        "tier": "db-custom-4-15360",
        "highAvailability": True,
    }
    assert db["spec"]["crossplane"] == {"compositionSelector": {"matchLabels": {"provider": "gke"}}}
    gke = examples.one(DEV, "DedicatedCluster", "initech-gke", "initech-dev")
    assert gke["spec"]["parameters"]["databaseTier"] == "db-custom-2-7680"  # the offering's default
    sandbox = examples.one(DEV, "VirtualCluster", "sandbox", "initech-dev")
    assert sandbox["spec"]["parameters"] == {"chartVersion": "0.20.0", "isolated": True}
    # No gke composition for vcluster: the XR falls back to the default provider's.
    assert sandbox["spec"]["crossplane"]["compositionSelector"]["matchLabels"] == {"provider": "default"}
    prod = examples.one("prod/prod-eu", "PostgresInstance", "reports-db", "initech-prod")
    assert prod["spec"]["parameters"]["storageGB"] == 100


def test_v1_xrd_claims_and_claim_fields(examples: Rendered) -> None:
    v1 = with_platform(examples, crossplane={**examples.platform.crossplane, "apiVersion": "v1"})
    xrd = v1.one(DEV, "CompositeResourceDefinition", "xpostgresinstances.platform.acme.example")
    assert xrd["apiVersion"] == "apiextensions.crossplane.io/v1"
    assert xrd["spec"]["names"] == {"kind": "XPostgresInstance", "plural": "xpostgresinstances"}
    assert xrd["spec"]["claimNames"] == {"kind": "PostgresInstance", "plural": "postgresinstances"}
    assert "scope" not in xrd["spec"]
    comp = v1.one(DEV, "Composition", "vcluster-default")
    assert comp["spec"]["compositeTypeRef"]["kind"] == "XVirtualCluster"
    # The claim's namespace lives in a label of the cluster-scoped XR.
    patch = comp["spec"]["pipeline"][0]["input"]["resources"][0]["patches"][2]
    assert patch["fromFieldPath"] == "metadata.labels[crossplane.io/claim-namespace]"
    claim = v1.one(DEV, "PostgresInstance", "reports-db", "initech-dev")
    assert claim["spec"]["compositionSelector"] == {"matchLabels": {"provider": "gke"}}
    assert "crossplane" not in claim["spec"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("PostgresInstance", "postgresinstances"),
        ("Bus", "buses"),
        ("Policy", "policies"),
        ("Gateway", "gateways"),
        ("Mesh", "meshes"),
    ],
)
def test_plural(kind: str, expected: str) -> None:
    assert crossplane.plural(kind) == expected
