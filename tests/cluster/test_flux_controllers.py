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
import yaml

from genplat.packaging.gitops import render_gitops
from tests.cluster.bundles import kustomize
from tests.control_plane import ControlPlane, load_yaml
from tests.flux import NAMESPACE, WATCH_LABEL, FluxControllers, StandIns
from tests.registry import REPO_ROOT, Registry, example_project, run_genplat
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
    root = example_project(work / "project", reg.host)
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
    # --wait gives up with the reason once the controller has failed the pushed revision twice (its
    # retry, a minute later), well before the 2 minutes.
    started = time.monotonic()
    waited = status(project, cp, "--cluster", "prod-prod-eu", "--wait", "2m")
    took = time.monotonic() - started
    assert waited.returncode == 1 and took < 115, (took, waited.stdout)
    assert "not in the valid range" in waited.stdout and "blueprints/templates/tenant/probe.j2:2" in waited.stdout
    print(f"--wait 2m returned 1 after {took:.1f}s")
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


# ---- health checks before anyone reports -------------------------------------------------------------


def _publish_files(project: Project, repo: str, files: dict[str, bytes]) -> str:
    """Push a Flux artifact of ``files`` to ``<registry>/<repo>`` with genplat's packager and client."""
    from genplat.packaging.artifact import package_bundle
    from genplat.publish.registry import RegistryClient
    from genplat.publish.transfer import push_artifact

    artifact = package_bundle(files)
    push_artifact(RegistryClient(project.reg.host, insecure=True), repo, "probe", artifact)
    return artifact.digest


def _source(name: str, url: str, digest: str, **spec: t.Any) -> dict[str, t.Any]:
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "OCIRepository",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"interval": "10m", "url": url, "ref": {"digest": digest}, "insecure": True, **spec},
    }


def _layer(name: str, source: str, path: str, **spec: t.Any) -> dict[str, t.Any]:
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "interval": "10m",
            "retryInterval": "10m",
            "path": path,
            "prune": True,
            "sourceRef": {"kind": "OCIRepository", "name": source},
            **spec,
        },
    }


def test_health_checks_say_not_reported_yet(
    project: Project, control_plane: ControlPlane, flux: FluxControllers
) -> None:
    """A Kyverno policy nobody reports on (no status at all), under genplat's health checks and under the
    form they had before: genplat's wait, reported InProgress ("not reported yet"); the old form failed to
    evaluate (``no such attribute(s)``), which read like a bug in the wiring."""
    from genplat.packaging.gitops import HEALTH_CHECK_EXPRS

    cp = control_plane
    rendered = next(
        d for d in kustomize(project.bundle_dir("prod-prod-eu") / "platform") if d["kind"] == "ValidatingPolicy"
    )
    policy = {**rendered, "metadata": {"name": "genplat-probe-unreported"}}
    files = {
        "kustomization.yaml": b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- policy.yaml\n",
        "policy.yaml": yaml.safe_dump(policy).encode(),
    }
    digest = _publish_files(project, "platform/probe-unreported", files)
    (genplat_expr,) = [e for e in HEALTH_CHECK_EXPRS if e["kind"] == "ValidatingPolicy"]
    old_expr = {
        "apiVersion": genplat_expr["apiVersion"],
        "kind": "ValidatingPolicy",
        "current": "status.conditionStatus.ready == true",
    }
    docs = labelled(
        [
            _source("probe-unreported", f"oci://{project.reg.host}/platform/probe-unreported", digest),
            _layer(
                "probe-genplat", "probe-unreported", "./", wait=True, timeout="30s", healthCheckExprs=[genplat_expr]
            ),
            _layer("probe-old", "probe-unreported", "./", wait=True, timeout="30s", healthCheckExprs=[old_expr]),
        ]
    )
    cp.apply(docs)
    try:
        messages: dict[str, str] = {}

        def both_timed_out() -> bool:
            for name in ("probe-genplat", "probe-old"):
                ready = _ready(cp.get("kustomize.toolkit.fluxcd.io/v1", "Kustomization", name, NAMESPACE))
                if ready.get("reason") == "HealthCheckFailed":
                    messages[name] = ready["message"]
            return len(messages) == 2

        until(
            both_timed_out, "health checks timed out", standins=None, timeout=150, why=lambda: explain(cp, flux, docs)
        )
        assert "ValidatingPolicy/genplat-probe-unreported status: 'InProgress'" in messages["probe-genplat"]
        assert "failed to evaluate" not in messages["probe-genplat"]
        assert "no such attribute(s)" in messages["probe-old"]  # the failure the fix removes
    finally:
        for d in reversed(docs):
            cp.delete(d["apiVersion"], d["kind"], d["metadata"]["name"], NAMESPACE)


# ---- an add-on layer of HelmReleases (helm-controller) -------------------------------------------------

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


def _push_chart(project: Project, name: str, template: str) -> str:
    """A Helm chart pushed as an OCI artifact (Helm's media types), with genplat's registry client."""
    import io
    import tarfile

    from genplat.packaging.artifact import OCI_MANIFEST, Blob, canonical_json
    from genplat.publish.registry import RegistryClient

    chart = {"apiVersion": "v2", "name": name, "version": "0.1.0", "type": "application"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, text in ((f"{name}/Chart.yaml", yaml.safe_dump(chart)), (f"{name}/templates/probe.yaml", template)):
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    config, layer = Blob.of(HELM_CONFIG, canonical_json(chart)), Blob.of(HELM_CHART, buf.getvalue())
    manifest = Blob.of(
        OCI_MANIFEST,
        canonical_json(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": config.descriptor(),
                "layers": [layer.descriptor()],
            }
        ),
    )
    client = RegistryClient(project.reg.host, insecure=True)
    for blob in (config, layer):
        client.upload_blob(f"charts/{name}", blob)
    client.put_manifest(f"charts/{name}", "0.1.0", manifest)
    return manifest.digest


def test_status_reads_a_layer_of_helm_releases(
    project: Project, control_plane: ControlPlane, flux: FluxControllers, tmp_path: Path
) -> None:
    """The shape of an add-on layer (HelmReleases applied by a Kustomization, as the add-on layer will be):
    ``genplat status`` reads each HelmRelease the layer's inventory lists, as helm-controller reports it,
    and names the one whose install failed, with helm's message and its source."""
    from genplat.output.lockfile import make_lockfile
    from genplat.packaging.artifact import bundle_digest
    from genplat.rendering.emit import dump_documents

    cp = control_plane
    good = _push_chart(
        project,
        "probe",
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-probe\ndata:\n  ok: "yes"\n',
    )
    bad = _push_chart(project, "probe-broken", BROKEN.replace("{{ namespace }}", "{{ .Release.Namespace }}"))
    objects: list[tuple[str, dict[str, t.Any]]] = []
    for name, digest in (("probe", good), ("probe-broken", bad)):
        source = _source(
            f"chart-{name}",
            f"oci://{project.reg.host}/charts/{name}",
            digest,
            layerSelector={"mediaType": HELM_CHART, "operation": "copy"},
        )
        release = {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"interval": "10m", "chartRef": {"kind": "OCIRepository", "name": f"chart-{name}"}},
        }
        for doc in labelled([source, release]):
            objects.append(("blueprints/platform.yaml#spec.environments[prod].clusters[prod-eu]", doc))
    files = {
        "kustomization.yaml": b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- addons\n",
        "addons/kustomization.yaml": b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- releases.yaml\n",
        "addons/releases.yaml": dump_documents(objects).encode(),
    }
    digest, _ = bundle_digest(files)
    assert _publish_files(project, "platform/lab-helm", files) == digest
    # A project whose out/ holds that bundle, its lock and its wiring, as genplat build writes them.
    root = tmp_path / "project"
    shutil.copytree(project.root / "blueprints", root / "blueprints")
    out = root / "out"
    for name, data in files.items():
        (out / "lab" / "helm" / name).parent.mkdir(parents=True, exist_ok=True)
        (out / "lab" / "helm" / name).write_bytes(data)
    (out / "genplat.lock.json").write_bytes(
        make_lockfile({"lab/helm": files}, oci_digests={"lab/helm": {"flux": digest}})
    )
    wiring = labelled(
        [
            _source("lab-helm", f"oci://{project.reg.host}/platform/lab-helm", digest),
            _layer("lab-helm-addons", "lab-helm", "./addons", wait=True, timeout="2m"),
        ]
    )
    wiring[1]["metadata"]["labels"]["genplat.dev/layer"] = "addons"
    (out / "_gitops" / "flux").mkdir(parents=True)
    (out / "_gitops" / "flux" / "lab-helm.yaml").write_text(dump_documents((None, d) for d in wiring))
    cp.apply(wiring)
    try:

        def read() -> dict[str, t.Any]:
            proc = run_genplat(
                "status", "--kubeconfig", str(cp.kubeconfig), "--cluster", "lab-helm", "--format", "json", cwd=root
            )
            assert proc.returncode in (0, 1), proc.stderr
            (cluster,) = json.loads(proc.stdout)["clusters"]
            return {f"{n['kind']}/{n['name']}": n for u in cluster["units"] for n in u["nested"]}

        def settled() -> bool:
            nested = read()
            return (
                nested.get("HelmRelease/probe", {}).get("state") == "converged"
                and nested.get("HelmRelease/probe-broken", {}).get("state") == "failing"
            )

        until(
            settled,
            "the releases installed and failed",
            standins=None,
            timeout=180,
            why=lambda: explain(cp, flux, wiring) + "\n" + flux.log_tail("helm-controller", 10),
        )
        nested = read()
        assert nested["HelmRelease/probe"]["applied"].startswith("probe@0.1.0")  # helm-controller adds +<digest>
        assert cp.get("v1", "ConfigMap", "probe-probe", NAMESPACE) is not None  # helm-controller installed it
        broken = nested["HelmRelease/probe-broken"]
        assert broken["layer"] == "addons" and "failed to allocate IP 10.200.0.10" in (broken["message"] or "")
        (problem,) = broken["objects"]
        assert problem["ref"] == "HelmRelease/flux-system/probe-broken"
        assert problem["file"] == "blueprints/platform.yaml" and problem["line"]  # through its source comment
        assert problem["out"].startswith("out/lab/helm/addons/releases.yaml:")
    finally:
        for d in reversed(wiring):
            cp.delete(d["apiVersion"], d["kind"], d["metadata"]["name"], NAMESPACE)


# ---- the documented permissions ---------------------------------------------------------------------


def _documented_clusterrole() -> dict[str, t.Any]:
    import re

    doc = (REPO_ROOT / "docs" / "delivery.md").read_text("utf-8")
    (role,) = [
        d
        for block in re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
        for d in load_yaml(block)
        if d.get("kind") == "ClusterRole"
    ]
    return role


def test_status_runs_with_the_documented_clusterrole(
    project: Project, control_plane: ControlPlane, flux: FluxControllers, tmp_path: Path
) -> None:
    """A ServiceAccount bound to docs/delivery.md's ClusterRole, and nothing else, reads the clusters."""
    cp = control_plane
    live_bundle(project, cp, flux)
    role = _documented_clusterrole()
    assert role["metadata"]["name"] == "genplat-status"
    assert {v for r in role["rules"] for v in r["verbs"]} <= {"get", "list"}  # read-only
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "genplat-status", "namespace": NAMESPACE}}
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "genplat-status"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "genplat-status"},
        "subjects": [{"kind": "ServiceAccount", "name": "genplat-status", "namespace": NAMESPACE}],
    }
    cp.apply([sa, role, binding])
    r = cp.request(
        "POST",
        f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/genplat-status/token",
        json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 600}},
    )
    assert r.status_code == 201, r.text
    token = r.json()["status"]["token"]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "ci",
                "clusters": [{"name": "c", "cluster": {"server": cp.url, "certificate-authority": str(cp.ca_file)}}],
                "users": [{"name": "ci", "user": {"token": token}}],
                "contexts": [{"name": "ci", "context": {"cluster": "c", "user": "ci"}}],
            }
        )
    )
    proc = project.genplat("status", "--kubeconfig", str(kubeconfig), "--cluster", "prod-prod-eu", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["clusters"][0]["state"] == "converged"
    assert token not in proc.stdout + proc.stderr
    # The role is all it has: reading a Secret is refused, and --drift (dry-run patches) says what to grant.
    denied = cp.request("GET", f"/api/v1/namespaces/{NAMESPACE}/secrets", headers={"Authorization": f"Bearer {token}"})
    assert denied.status_code == 403
    drift = project.genplat(
        "status", "--kubeconfig", str(kubeconfig), "--cluster", "prod-prod-eu", "--drift", "--format", "json"
    )
    assert drift.returncode == 1
    errors = [d["error"] for d in json.loads(drift.stdout)["clusters"][0]["drift"]]
    assert errors and all(e and "forbidden" in e for e in errors)


# ---- kapp-controller's App (kapp-controller does not run here) ---------------------------------------


def test_kapp_app_status(project: Project, control_plane: ControlPlane) -> None:
    """prod-prod-us is delivered by kapp-controller, which cannot run here (the module proxy serves no
    version of it): its App is applied from genplat's wiring and its status is written in kapp-
    controller's place, as kapp-controller documents it (conditions, usefulErrorMessage). genplat status
    reads it: converged at the lock's digest, then failing with the object kapp names and its blueprint line."""
    cp = control_plane
    wiring = load_yaml((project.out / "_gitops" / "kapp" / "prod-prod-us.yaml").read_text())
    (app,) = [d for d in wiring if d["kind"] == "App"]
    namespace = app["metadata"]["namespace"]
    cp.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}])
    cp.apply(wiring)
    live = cp.get(app["apiVersion"], "App", app["metadata"]["name"], namespace)
    assert live is not None

    def stand_in(status: dict[str, t.Any]) -> None:
        path = cp.path(app["apiVersion"], "App", app["metadata"]["name"], namespace) + "/status"
        body = {"status": {"observedGeneration": live["metadata"]["generation"], **status}}
        r = cp.request("PATCH", path, data=json.dumps(body), headers={"Content-Type": "application/merge-patch+json"})
        assert r.status_code == 200, r.text

    def read() -> tuple[int, dict[str, t.Any]]:
        proc = status(project, cp, "--cluster", "prod-prod-us", "--format", "json")
        assert proc.returncode in (0, 1), proc.stderr
        (cluster,) = json.loads(proc.stdout)["clusters"]
        return proc.returncode, cluster

    code, cluster = read()
    assert code == 1 and cluster["units"][0]["summary"].startswith("not picked up yet: kapp-controller")
    stand_in(
        {"conditions": [{"type": "ReconcileSucceeded", "status": "True"}], "friendlyDescription": "Reconcile succeeded"}
    )
    code, cluster = read()
    (unit,) = cluster["units"]
    assert code == 0 and unit["kind"] == "App" and unit["state"] == "converged"
    assert unit["applied"] == project.lock("prod-prod-us", "imgpkg")
    # kapp refuses an object: its error names it as kapp does (kind/name (version) namespace: ns).
    quota = next(d for d in kustomize(project.bundle_dir("prod-prod-us") / "tenants") if d["kind"] == "ResourceQuota")
    ns, name = quota["metadata"]["namespace"], quota["metadata"]["name"]
    error = (
        f"kapp: Error: Applying update resourcequota/{name} (v1) namespace: {ns}:\n"
        f'  Updating resource resourcequota/{name} (v1) namespace: {ns}: ResourceQuota "{name}" is invalid: spec.hard.pods: must be positive'
    )
    stand_in(
        {
            "conditions": [
                {
                    "type": "ReconcileFailed",
                    "status": "True",
                    "message": "Deploying: Error (see .status.usefulErrorMessage for details)",
                }
            ],
            "usefulErrorMessage": error,
            "friendlyDescription": "Reconcile failed: Deploying: Error (see .status.usefulErrorMessage for details)",
        }
    )
    code, cluster = read()
    (unit,) = cluster["units"]
    assert code == 1 and unit["state"] == "failing" and unit["message"] == error
    (problem,) = unit["objects"]
    assert problem["ref"] == f"ResourceQuota/{ns}/{name}" and "must be positive" in problem["message"]
    assert problem["file"].startswith("blueprints/tenants/") and problem["line"]
