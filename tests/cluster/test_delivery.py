"""Each GitOps controller's part on the real control plane, in order, with the bundles genplat pushed.

Flux: source-controller's pull of the pinned artifact by digest (Flux's own client library, the
``fluxpull`` test tool), then kustomize-controller's apply of each layer in ``dependsOn`` order, with
Crossplane's part played in between: when the XRDs land, the CRDs Crossplane derives from them are
installed. kapp-controller: imgpkg pull of the pinned bundle, the App's ytt step, kbld's Config taken
out as kbld does, then kapp's apply in change-group order, as the App's ServiceAccount (impersonated),
so the RBAC genplat renders for it is what is tested. Every object must be accepted on the first pass,
without a warning.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import typing as t
from pathlib import Path

import pytest
import requests
import yaml

from genplat.rendering.crossplane import composite_crd
from tests.control_plane import ApplyFailed, controller_order, load_yaml
from tests.registry import Registry, example_project, run_genplat
from tests.upstream_parts import tool

pytestmark = [pytest.mark.cluster, pytest.mark.registry]


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[Path, Registry]]:
    """The example platform built against a test registry, packaged and pushed as documented."""
    work = tmp_path_factory.mktemp("delivery")
    (work / "registry").mkdir()
    reg = Registry(work / "registry")
    root = example_project(work / "project", reg.host)
    env = {"DOCKER_CONFIG": str(work / "docker")}
    for args in (("build",), ("package",), ("push", "--insecure")):
        proc = run_genplat(*args, cwd=root, env=env)
        assert proc.returncode == 0, proc.stderr
    try:
        yield root, reg
    finally:
        reg.stop()


def _wiring(root: Path, folder: str) -> dict[str, list[dict[str, t.Any]]]:
    return {p.stem: load_yaml(p.read_text()) for p in sorted((root / "out" / "_gitops" / folder).glob("*.yaml"))}


def _layer_docs(bundle_dir: Path, path: str) -> list[dict[str, t.Any]]:
    """What kustomize-controller builds for a Kustomization's path: the files its kustomization.yaml lists."""
    folder = bundle_dir / path
    resources = yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]
    return [d for r in resources for d in load_yaml((folder / r).read_text())]


# The one warning the server gives: Kyverno 1.19 deprecates kyverno.io/v1 ClusterPolicy (in favour of
# policies.kyverno.io's CEL policies). It is not a refusal; every other warning fails the test.
KNOWN_WARNING = "kyverno.io/v1 ClusterPolicy is deprecated"


def _first_pass(cp: t.Any, objs: list[dict[str, t.Any]], *, order: bool = True) -> list[t.Any]:
    """Apply ``objs`` once; every object must be accepted, with no warning but the known one."""
    results = cp.apply(objs, check=False, order=order)
    bad = [r for r in results if r.error or any(KNOWN_WARNING not in w for w in r.warnings)]
    if bad:
        raise ApplyFailed(results)
    return list(results)


def _namespace(cp: t.Any, name: str) -> None:
    cp.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}])


def _play_crossplane(cp: t.Any, applied: list[dict[str, t.Any]]) -> list[str]:
    """Crossplane's part when XRDs land: the CRD each one defines (crossplane-runtime's xcrd)."""
    crds = [composite_crd(d) for d in applied if d["kind"] == "CompositeResourceDefinition"]
    cp.install_crds(crds)
    return [c["metadata"]["name"] for c in crds]


def test_flux_converges_on_the_first_reconcile(
    delivered: tuple[Path, Registry], control_plane: t.Any, tmp_path: Path
) -> None:
    root, _reg = delivered
    fluxpull = tool("fluxpull")
    _namespace(control_plane, "flux-system")
    wiring = _wiring(root, "flux")
    assert sorted(wiring) == ["dev-dev-eu", "prod-prod-eu"]
    derived: set[str] = set()
    for bundle, docs in wiring.items():
        # The wiring itself is accepted by the pinned Flux CRDs (strict field validation).
        control_plane.apply(docs)
        (source,) = [d for d in docs if d["kind"] == "OCIRepository"]
        layers = [d for d in docs if d["kind"] == "Kustomization"]
        # source-controller: the artifact by the pinned digest, with Flux's own client.
        url = source["spec"]["url"].removeprefix("oci://") + "@" + source["spec"]["ref"]["digest"]
        artifact = tmp_path / bundle
        pulled = subprocess.run(
            [fluxpull, "-insecure", url, str(artifact)], capture_output=True, text=True, timeout=120
        )
        assert pulled.returncode == 0, pulled.stderr
        assert json.loads(pulled.stdout)["digest"].endswith(source["spec"]["ref"]["digest"])
        # kustomize-controller: the layers in dependsOn order.
        done: set[str] = set()
        order = []
        while len(order) < len(layers):
            ready = [
                k
                for k in layers
                if k not in order and all(dep["name"] in done for dep in k["spec"].get("dependsOn", []))
            ]
            assert ready, "dependsOn has a cycle"
            order.append(ready[0])
            done.add(ready[0]["metadata"]["name"])
        assert [k["spec"]["path"] for k in order] == ["./addons", "./platform", "./tenants"]
        for ks in order:
            objs = _layer_docs(artifact, ks["spec"]["path"])
            assert objs, ks["metadata"]["name"]
            if ks["spec"]["path"] == "./tenants" and not derived:
                # Without Crossplane's CRDs the tenants' XRs are refused: the layers must be ordered.
                xrs = [d for d in objs if d["apiVersion"].startswith("platform.acme.example/")]
                assert xrs
                refused = control_plane.apply_one(xrs[0], dry_run=True)
                assert refused.error and "no matches for kind" in refused.error
            results = _first_pass(control_plane, objs)
            assert len(results) == len(objs)
            for r in results:
                assert r.obj is not None and r.obj["metadata"]["uid"]
            if ks["spec"]["path"] == "./platform":
                # The platform layer holds what tenants wait for; health checks name those kinds.
                kinds = {(d["apiVersion"], d["kind"]) for d in objs}
                exprs = {(e["apiVersion"], e["kind"]) for e in ks["spec"].get("healthCheckExprs", [])}
                assert ("apiextensions.crossplane.io/v2", "CompositeResourceDefinition") in exprs
                assert exprs <= kinds and ks["spec"]["wait"] is True
                derived |= set(_play_crossplane(control_plane, objs))
        # Protected objects carry Flux's prune switch as stored by the server.
        ns = control_plane.get("v1", "Namespace", "globex-dev" if bundle.startswith("dev") else "globex-prod")
        assert ns is not None and ns["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/prune"] == "disabled"
    assert derived == {
        "postgresinstances.platform.acme.example",
        "dedicatedclusters.platform.acme.example",
        "virtualclusters.platform.acme.example",
    }


def _as(cp: t.Any, user: str) -> t.Any:
    """The same control plane, every request impersonating ``user`` (the admin may impersonate)."""
    other = copy.copy(cp)
    other._session = requests.Session()
    other._session.headers.update(cp._session.headers)
    other._session.headers["Impersonate-User"] = user
    other._resources = dict(cp._resources)
    return other


def test_kapp_controller_converges_on_the_first_sync(
    delivered: tuple[Path, Registry], control_plane: t.Any, tmp_path: Path
) -> None:
    root, _reg = delivered
    imgpkg, ytt = tool("imgpkg"), tool("ytt")
    wiring = _wiring(root, "kapp")
    assert sorted(wiring) == ["prod-prod-us"]
    for bundle, docs in wiring.items():
        (app,) = [d for d in docs if d["kind"] == "App"]
        namespace = app["metadata"]["namespace"]
        _namespace(control_plane, namespace)
        control_plane.apply(docs)  # the ServiceAccount, its RBAC and the App (stand-in CRD)
        sa = app["spec"]["serviceAccountName"]
        assert control_plane.get("v1", "ServiceAccount", sa, namespace) is not None
        # fetch: imgpkg pull of the pinned bundle.
        ref = app["spec"]["fetch"][0]["imgpkgBundle"]["image"]
        dest = tmp_path / bundle
        pulled = subprocess.run(
            [imgpkg, "pull", "-b", ref, "-o", str(dest), "--registry-insecure"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HOME": str(tmp_path)},
        )
        assert pulled.returncode == 0, pulled.stderr + pulled.stdout
        # template: ytt as the App says, then kbld, which consumes its Config.
        step = app["spec"]["template"][0]["ytt"]
        args = [
            ytt,
            "--ignore-unknown-comments",
            *[a for p in step["paths"] for a in ("-f", str(dest / p))],
            *[a for m in step["fileMarks"] for a in ("--file-mark", m)],
        ]
        out = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        rendered = load_yaml(out.stdout)
        configs = [d for d in rendered if d["apiVersion"] in ("kbld.k14s.io/v1alpha1", "kapp.k14s.io/v1alpha1")]
        assert {d["apiVersion"] for d in configs} == {"kbld.k14s.io/v1alpha1", "kapp.k14s.io/v1alpha1"}
        objs = [d for d in rendered if d not in configs]
        # deploy: kapp, change group by change group, as the App's ServiceAccount.
        deployer = _as(control_plane, f"system:serviceaccount:{namespace}:{sa}")
        groups: dict[str, list[dict[str, t.Any]]] = {}
        for d in objs:
            groups.setdefault(d["metadata"]["annotations"]["kapp.k14s.io/change-group"], []).append(d)
        assert sorted(groups) == ["genplat.dev/addons", "genplat.dev/platform", "genplat.dev/tenants"]
        for d in groups["genplat.dev/platform"]:  # the platform waits for the add-ons' installs
            assert d["metadata"]["annotations"]["kapp.k14s.io/change-rule.addons"] == (
                "upsert after upserting genplat.dev/addons"
            )
        for d in groups["genplat.dev/tenants"]:
            assert (
                d["metadata"]["annotations"]["kapp.k14s.io/change-rule"]
                == "upsert after upserting genplat.dev/platform"
            )
        applied = 0
        for group in ("genplat.dev/addons", "genplat.dev/platform", "genplat.dev/tenants"):
            results = _first_pass(deployer, controller_order(groups[group]), order=False)
            applied += len(results)
        assert applied == len(objs) > 0
        ns = control_plane.get("v1", "Namespace", "globex-prod")
        assert ns is not None and ns["metadata"]["annotations"]["kapp.k14s.io/delete-strategy"] == "orphan"
        # The RBAC is scoped: the deployer cannot touch what the bundle does not hold.
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "x", "namespace": "globex-prod"},
            "stringData": {"a": "b"},
        }
        with pytest.raises(ApplyFailed, match="forbidden"):
            deployer.apply([secret])
