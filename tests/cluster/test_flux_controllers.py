"""The real Flux controllers apply every example bundle, and ``genplat status`` tells what they did.

Flux's source-controller and kustomize-controller (v1.7.3, tests/flux.py) run against the session's
kube-apiserver and pull the bundles genplat pushed to a loopback registry, by digest. For every example
bundle: genplat's own wiring (out/_gitops) is applied and the controllers must report the OCIRepository
and every Kustomization Ready at the pushed digest, with inventories equal to the bundle's objects per
layer (as ``kubectl kustomize`` builds each layer folder). prod-prod-us is delivered by kapp-controller,
which does not run here: its Flux-format artifact (same objects; the lock pins both formats) goes
through the same controllers, with wiring genplat renders for Flux.

Stood in for, the same way for every bundle (tests/flux.py, StandIns): the status Crossplane would write
(the CRDs it derives from each XRD, XRDs Established, the Function Healthy) and Kyverno would write
(ValidatingPolicy ready, ClusterPolicy Ready). Kyverno's part comes last: the test first checks that
while the policies have not reported ready, the platform layer stays unhealthy and the tenants layer
waits for it, and only then lets them report ready. No workload health is read (the tenants layer does
not wait for workloads), so nothing stands in for a kubelet.

Then, on prod-prod-eu: ``genplat status`` names an object the server refuses (a platform-team template
with a Service IP outside the cluster's range), the server's message and the template line; ``--wait``
returns 1 with the reason while it fails and 0 once a new revision converges; ``--drift`` reports an
object edited with ``kubectl edit``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import typing as t
from pathlib import Path

import pytest

from genplat.packaging.gitops import render_gitops
from tests.cluster.bundles import kustomize
from tests.control_plane import ControlPlane, load_yaml
from tests.flux import NAMESPACE, WATCH_LABEL, FluxControllers, StandIns
from tests.registry import REPO_ROOT, Registry, run_genplat
from tests.upstream_parts import tool

pytestmark = [pytest.mark.cluster, pytest.mark.registry, pytest.mark.tools]

BUNDLES = ("dev-dev-eu", "prod-prod-us", "prod-prod-eu")
LAYERS = ("platform", "tenants")
CONVERGE_TIMEOUT = 240.0
KYVERNO = {("policies.kyverno.io/v1", "ValidatingPolicy"), ("kyverno.io/v1", "ClusterPolicy")}
#: How long the tenants layer must be seen waiting for the policies (several dependency re-checks at 2 s
#: and health-check polls at 5 s).
WAITING_SEEN = 12.0


class Project:
    """The example platform, built against a test registry, packaged and pushed as documented."""

    def __init__(self, root: Path, reg: Registry, docker: Path) -> None:
        self.root, self.reg, self.docker = root, reg, docker

    def genplat(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return run_genplat(*args, cwd=self.root, env={"DOCKER_CONFIG": str(self.docker)}, timeout=timeout)

    def publish(self) -> None:
        for args in (("build",), ("package",), ("push", "--insecure")):
            proc = self.genplat(*args)
            assert proc.returncode == 0, f"genplat {' '.join(args)}:\n{proc.stderr}"

    @property
    def out(self) -> Path:
        return self.root / "out"

    def lock(self, bundle: str, fmt: str = "flux") -> str:
        doc = json.loads((self.out / "genplat.lock.json").read_text())
        env, _, cluster = bundle.partition("-")
        return str(doc["bundles"][f"{env}/{cluster}"]["oci"][fmt])

    def bundle_dir(self, bundle: str) -> Path:
        env, _, cluster = bundle.partition("-")
        return self.out / env / cluster

    def flux_wiring(self, bundle: str) -> list[dict[str, t.Any]]:
        """The bundle's Flux wiring as genplat rendered it; for the kapp-delivered bundle, the wiring
        genplat renders for Flux (its flux-format artifact is pushed beside the imgpkg one)."""
        path = self.out / "_gitops" / "flux" / f"{bundle}.yaml"
        if path.is_file():
            return load_yaml(path.read_text())
        kinds = {(d["apiVersion"], d["kind"]) for layer in LAYERS for d in kustomize(self.bundle_dir(bundle) / layer)}
        rendered = render_gitops(
            {bundle: self.lock(bundle)},
            registry=f"{self.reg.host}/platform",
            insecure=True,
            access={bundle: (kinds, set())},
        )
        return rendered[f"flux/{bundle}.yaml"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Project]:
    work = tmp_path_factory.mktemp("flux-delivery")
    (work / "registry").mkdir()
    reg = Registry(work / "registry")
    root = work / "project"
    shutil.copytree(REPO_ROOT / "blueprints", root / "blueprints")
    platform = root / "blueprints" / "platform.yaml"
    platform.write_text(
        platform.read_text().replace(
            "registry: registry.acme.example/platform", f"registry: {reg.host}/platform\n  registryInsecure: true", 1
        )
    )
    proj = Project(root, reg, work / "docker")
    try:
        proj.publish()
        # The kapp-delivered bundle's Flux-format artifact, for the Flux controllers.
        for args in (
            ("package", "--bundle-format", "flux", "--output", str(proj.out / ".oci-flux")),
            ("push", "prod-prod-us", "--layout", str(proj.out / ".oci-flux"), "--tag", "flux", "--insecure"),
        ):
            proc = proj.genplat(*args)
            assert proc.returncode == 0, proc.stderr
        yield proj
    finally:
        reg.stop()


# ---- driving the controllers ---------------------------------------------------------------------


def labelled(docs: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """The wiring with the label the test controllers watch for (--watch-label-selector), so the Flux
    objects other tests apply without running anything stay untouched."""
    out = []
    for d in docs:
        d = json.loads(json.dumps(d))
        d["metadata"].setdefault("labels", {})[WATCH_LABEL[0]] = WATCH_LABEL[1]
        out.append(d)
    return out


def _ready(obj: dict[str, t.Any] | None) -> dict[str, t.Any]:
    conds = {c["type"]: c for c in ((obj or {}).get("status") or {}).get("conditions") or []}
    return conds.get("Ready") or {}


def state(cp: ControlPlane, docs: list[dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    """name → the live OCIRepository / Kustomization."""
    out = {}
    for d in docs:
        if d["kind"] in ("OCIRepository", "Kustomization"):
            live = cp.get(d["apiVersion"], d["kind"], d["metadata"]["name"], NAMESPACE)
            out[d["metadata"]["name"]] = live or {}
    return out


def ready_at(live: dict[str, t.Any], digest: str) -> bool:
    status = live.get("status") or {}
    if _ready(live).get("status") != "True" or status.get("observedGeneration") != live["metadata"]["generation"]:
        return False
    revision = (status.get("artifact") or {}).get("revision") if live["kind"] == "OCIRepository" else None
    return (revision or status.get("lastAppliedRevision")) == digest


def explain(cp: ControlPlane, flux: FluxControllers, docs: list[dict[str, t.Any]]) -> str:
    lines = []
    for name, live in state(cp, docs).items():
        lines.append(f"{name}: {json.dumps((live.get('status') or {}).get('conditions'))[:600]}")
    for n in ("source-controller", "kustomize-controller"):
        lines.append(f"--- {n}:\n{flux.log_tail(n, 8)}")
    return "\n".join(lines)


def until(
    check: t.Callable[[], bool], what: str, *, standins: StandIns | None, timeout: float, why: t.Callable[[], str]
) -> float:
    start = time.monotonic()
    while True:
        if standins is not None:
            standins.step()
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f}s\n{why()}")
        time.sleep(1.0)


def fresh_policies(cp: ControlPlane, bundle_dir: Path) -> int:
    """Delete the bundle's Kyverno policies, so the controller creates them as on a new cluster (with no
    status: they come from the previous bundle's delivery otherwise)."""
    n = 0
    for layer in LAYERS:
        for d in kustomize(bundle_dir / layer):
            if (d["apiVersion"], d["kind"]) in KYVERNO:
                n += cp.delete(d["apiVersion"], d["kind"], d["metadata"]["name"])
    return n


def retire(cp: ControlPlane, docs: list[dict[str, t.Any]]) -> None:
    """Hand the cluster back: the wiring goes, the applied objects stay (prune off first)."""
    for d in docs:
        if d["kind"] == "Kustomization":
            cp.request(
                "PATCH",
                cp.path(d["apiVersion"], d["kind"], d["metadata"]["name"], NAMESPACE),
                data=json.dumps({"spec": {"prune": False}}),
                headers={"Content-Type": "application/merge-patch+json"},
            )
    for d in docs:
        if d["kind"] in ("Kustomization", "OCIRepository"):
            cp.delete(d["apiVersion"], d["kind"], d["metadata"]["name"], NAMESPACE)
    for d in docs:
        if d["kind"] in ("Kustomization", "OCIRepository"):
            name = d["metadata"]["name"]
            until(
                lambda d=d, name=name: cp.get(d["apiVersion"], d["kind"], name, NAMESPACE) is None,
                f"{name} deleted",
                standins=None,
                timeout=60,
                why=lambda: "",
            )


def inventory(live: dict[str, t.Any]) -> set[tuple[str, str, str, str]]:
    out = set()
    for e in ((live.get("status") or {}).get("inventory") or {}).get("entries") or []:
        ns, rest = e["id"].split("_", 1)
        name_group, kind = rest.rsplit("_", 1)
        name, group = name_group.rsplit("_", 1)
        out.add((group, kind, ns, name))
    return out


def identity(d: dict[str, t.Any]) -> tuple[str, str, str, str]:
    group = d["apiVersion"].rpartition("/")[0] if "/" in d["apiVersion"] else ""
    return group, d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]


def status(project: Project, cp: ControlPlane, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return project.genplat("status", "--kubeconfig", str(cp.kubeconfig), *args, timeout=timeout)


LIVE: dict[str, list[dict[str, t.Any]]] = {}  # bundles left delivered for the tests after the first


def deliver(
    project: Project, cp: ControlPlane, flux: FluxControllers, bundle: str, *, check_policies: bool = True
) -> dict[str, t.Any]:
    """Apply genplat's wiring and drive the bundle to Ready at the pushed digest; returns what was seen."""
    docs = labelled(project.flux_wiring(bundle))
    digest = docs[0]["spec"]["ref"]["digest"]
    assert digest == project.lock(bundle), "the wiring pins the lock's digest"
    kyverno_kinds = {
        (e["apiVersion"], e["kind"]) for d in docs for e in d["spec"].get("healthCheckExprs", [])
    } & KYVERNO
    seen: dict[str, t.Any] = {"digest": digest, "docs": docs, "policies_waited": None}
    standins = StandIns(cp, kyverno=not (kyverno_kinds and check_policies))
    fresh_policies(cp, project.bundle_dir(bundle))
    cp.apply(docs)
    platform, tenants = (d["metadata"]["name"] for d in docs if d["kind"] == "Kustomization")
    why = lambda: explain(cp, flux, docs)
    if not standins.kyverno:
        # Crossplane has reported; the policies have not: the platform layer must stay unhealthy and the
        # tenants layer must wait, for as long as the policies stay so.
        def health_checks_running() -> bool:
            live = state(cp, docs)[platform]
            reconciling = {c["type"]: c for c in (live.get("status") or {}).get("conditions") or []}.get("Reconciling")
            return bool(reconciling) and "Running health checks for revision " + digest in reconciling["message"]

        until(health_checks_running, "platform layer running health checks", standins=standins, timeout=120, why=why)
        start = time.monotonic()
        while time.monotonic() - start < WAITING_SEEN:
            standins.step()
            live = state(cp, docs)
            assert _ready(live[platform]).get("status") != "True", "platform Ready before its policies were"
            t_ready = _ready(live[tenants])
            assert (
                t_ready.get("status") != "True"
                and (live[tenants].get("status") or {}).get("lastAppliedRevision") != digest
            ), "tenants applied before the policies were ready"
            assert t_ready.get("reason") in (None, "DependencyNotReady", "Progressing"), t_ready
            time.sleep(1.0)
        seen["policies_waited"] = time.monotonic() - start
        seen["waiting_reason"] = _ready(state(cp, docs)[tenants]).get("message")
        standins.kyverno = True
    seen["converged_after"] = until(
        lambda: all(ready_at(live, digest) for live in state(cp, docs).values()),
        f"{bundle} Ready at {digest}",
        standins=standins,
        timeout=CONVERGE_TIMEOUT,
        why=why,
    )
    seen["stood_in"] = list(standins.done)
    return seen


# ---- every example bundle ----------------------------------------------------------------------


@pytest.mark.parametrize("bundle", BUNDLES)
def test_every_example_bundle_converges(
    project: Project, control_plane: ControlPlane, flux: FluxControllers, bundle: str
) -> None:
    seen = deliver(project, control_plane, flux, bundle)
    docs, digest = seen["docs"], seen["digest"]
    live = state(control_plane, docs)
    (source,) = [d for d in docs if d["kind"] == "OCIRepository"]
    artifact = live[source["metadata"]["name"]]["status"]["artifact"]
    assert artifact["revision"] == digest  # source-controller pulled exactly the pushed digest
    # Each layer's inventory is exactly the layer's objects, as kustomize builds the layer folder.
    for ks in (d for d in docs if d["kind"] == "Kustomization"):
        layer = ks["spec"]["path"].strip("./")
        expected = {identity(d) for d in kustomize(project.bundle_dir(bundle) / layer)}
        assert expected and inventory(live[ks["metadata"]["name"]]) == expected, layer
    # What was stood in for (now or for an earlier bundle: status stays), and that the tenants waited for
    # the policies where the bundle has them.
    for layer in LAYERS:
        for d in kustomize(project.bundle_dir(bundle) / layer):
            if d["kind"] in ("CompositeResourceDefinition", "Function"):
                stored = control_plane.get(d["apiVersion"], d["kind"], d["metadata"]["name"])
                assert stored and stored.get("status", {}).get("conditions"), f"{d['kind']} without status"
    if bundle != "prod-prod-us":
        assert any(s.startswith("ValidatingPolicy/") for s in seen["stood_in"])
        assert seen["policies_waited"] >= WAITING_SEEN
        assert "dependency" in (seen["waiting_reason"] or "") and "not ready" in seen["waiting_reason"]
    print(f"{bundle}: converged {seen['converged_after']:.1f}s after the policies, stood in: {seen['stood_in']}")
    # genplat status agrees (the kapp-delivered bundle's own wiring is an App: read in test_kapp_app_status).
    if bundle != "prod-prod-us":
        proc = status(project, control_plane, "--cluster", bundle, "--format", "json")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        (cluster,) = json.loads(proc.stdout)["clusters"]
        assert cluster["state"] == "converged"
        layers = {u["layer"]: u for u in cluster["units"]}
        assert set(layers) == {"source", *LAYERS}
        for layer in LAYERS:
            inv = layers[layer]["inventory"]
            assert inv["applied"] == inv["expected"] > 0 and not inv["missing"] and not inv["extra"]
            assert layers[layer]["applied"] == digest
    if bundle == BUNDLES[-1]:
        LIVE[bundle] = docs  # left delivered for the tests below
    else:
        retire(control_plane, docs)


def live_bundle(
    project: Project, cp: ControlPlane, flux: FluxControllers, bundle: str = "prod-prod-eu"
) -> list[dict[str, t.Any]]:
    if bundle not in LIVE:
        LIVE[bundle] = deliver(project, cp, flux, bundle, check_policies=False)["docs"]
    return LIVE[bundle]


# ---- genplat status on the real controllers ----------------------------------------------------------


def test_drift_reports_an_object_edited_with_kubectl(
    project: Project, control_plane: ControlPlane, flux: FluxControllers, tmp_path: Path
) -> None:
    live_bundle(project, control_plane, flux)
    clean = status(project, control_plane, "--cluster", "prod-prod-eu", "--drift", "--format", "json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["clusters"][0]["drift"] == []
    # kubectl edit, with an editor that raises the pod quota.
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i \'s/^    pods: .*/    pods: "99"/\' "$1"\n')
    editor.chmod(0o755)
    env = {**os.environ, "KUBECONFIG": str(control_plane.kubeconfig), "KUBE_EDITOR": str(editor)}
    quota = control_plane.get("v1", "ResourceQuota", "tenant-quota", "globex-prod")
    assert quota is not None and quota["spec"]["hard"]["pods"] != "99"
    edited = subprocess.run(
        [tool("kubectl"), "edit", "resourcequota", "tenant-quota", "-n", "globex-prod"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert edited.returncode == 0, edited.stderr
    assert control_plane.get("v1", "ResourceQuota", "tenant-quota", "globex-prod")["spec"]["hard"]["pods"] == "99"
    try:
        proc = status(project, control_plane, "--cluster", "prod-prod-eu", "--drift", "--format", "json")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        report = json.loads(proc.stdout)
        assert report["converged"] and report["drifted"]
        (drift,) = report["clusters"][0]["drift"]
        assert drift["ref"] == "ResourceQuota/globex-prod/tenant-quota" and drift["tenant"] == "globex"
        assert drift["paths"] == ["spec.hard.pods"]
        assert drift["managers"][0].startswith("kubectl-edit (Update, ")
        assert drift["file"] == "blueprints/tenants/globex.yaml" and drift["line"]
        text = status(project, control_plane, "--cluster", "prod-prod-eu", "--drift")
        assert text.returncode == 1
        assert "globex:\n      ResourceQuota/globex-prod/tenant-quota  blueprints/tenants/globex.yaml:" in text.stdout
        assert "changed: spec.hard.pods" in text.stdout and "written by: kubectl-edit" in text.stdout
    finally:
        quota["metadata"] = {"name": "tenant-quota", "namespace": "globex-prod"}
        subprocess.run(
            [
                tool("kubectl"),
                "patch",
                "resourcequota",
                "tenant-quota",
                "-n",
                "globex-prod",
                "--type=merge",
                "-p",
                json.dumps({"spec": {"hard": {"pods": quota["spec"]["hard"]["pods"]}}}),
            ],
            env=env,
            capture_output=True,
            timeout=60,
            check=True,
        )


BROKEN = """\
apiVersion: v1
kind: Service
metadata:
  name: probe
  namespace: {{ namespace }}
spec:
  clusterIP: "10.200.0.10"
  ports:
    - port: 80
      targetPort: 8080
"""


def test_status_names_a_refused_object_and_waits_for_a_fix(
    project: Project, control_plane: ControlPlane, flux: FluxControllers
) -> None:
    cp = control_plane
    live_bundle(project, cp, flux)
    # A platform template renders a Service whose IP is outside the cluster's service range: valid for
    # genplat (and for the Service schema), refused by the API server.
    template = project.root / "blueprints" / "templates" / "tenant" / "probe.j2"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text(BROKEN)
    project.publish()
    docs = labelled(project.flux_wiring("prod-prod-eu"))
    broken = project.lock("prod-prod-eu")
    cp.apply(docs)

    def failing() -> bool:
        proc = status(project, cp, "--cluster", "prod-prod-eu", "--format", "json")
        return proc.returncode == 1 and json.loads(proc.stdout)["clusters"][0]["state"] == "failing"

    until(failing, "status says failing", standins=None, timeout=120, why=lambda: explain(cp, flux, docs))
    proc = status(project, cp, "--cluster", "prod-prod-eu", "--format", "json")
    assert proc.returncode == 1
    (cluster,) = json.loads(proc.stdout)["clusters"]
    tenants = next(u for u in cluster["units"] if u["layer"] == "tenants")
    assert tenants["state"] == "failing" and tenants["expected"] == broken
    problem = next(o for o in tenants["objects"] if o["ref"].startswith("Service/") and o["ref"].endswith("/probe"))
    assert "not in the valid range" in problem["message"]  # the API server's own words
    assert problem["file"] == "blueprints/templates/tenant/probe.j2" and problem["line"] == 2  # its `kind:` line
    assert problem["out"].startswith("out/prod/prod-eu/tenants/")
    gh = status(project, cp, "--cluster", "prod-prod-eu", "--format", "github")
    assert gh.returncode == 1
    assert "::error file=blueprints/templates/tenant/probe.j2,line=2" in gh.stdout
    text = status(project, cp, "--cluster", "prod-prod-eu")
    assert f"✗ {problem['ref']}  blueprints/templates/tenant/probe.j2:2" in text.stdout
    # --wait gives up with the reason while the pushed revision keeps failing.
    started = time.monotonic()
    waited = status(project, cp, "--cluster", "prod-prod-eu", "--wait", "20s")
    assert waited.returncode == 1 and time.monotonic() - started < 120
    assert "not in the valid range" in waited.stdout and "blueprints/templates/tenant/probe.j2:2" in waited.stdout
    # A new revision fixes it: the Service without a fixed IP.
    template.write_text(BROKEN.replace('  clusterIP: "10.200.0.10"\n', ""))
    project.publish()
    fixed = project.lock("prod-prod-eu")
    assert fixed != broken
    cp.apply(labelled(project.flux_wiring("prod-prod-eu")))
    started = time.monotonic()
    waited = status(project, cp, "--cluster", "prod-prod-eu", "--wait", "2m")
    took = time.monotonic() - started
    assert waited.returncode == 0, waited.stdout + waited.stderr
    assert "prod-prod-eu: converged" in waited.stdout and took < 120
    print(f"--wait 2m returned 0 after {took:.1f}s")
    assert all(ready_at(live, fixed) for live in state(cp, docs).values())
