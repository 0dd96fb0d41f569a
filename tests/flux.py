"""Flux's real controllers for tests: source-, kustomize- and helm-controller, out of cluster, on loopback.

``FluxControllers.start(control_plane, workdir)`` runs the pinned binaries (tools/upstream.toml) against the
session's kube-apiserver: they have no ``--kubeconfig`` flag, so ``KUBECONFIG`` points at the control
plane's file (its admin user); ``RUNTIME_NAMESPACE=flux-system``; leader election is off by default. Every
listener they would open on all interfaces is given a free 127.0.0.1 port: ``--metrics-addr``,
``--health-addr``, and source-controller's artifact server (``--storage-addr``, advertised as the same
address with ``--storage-adv-addr``, so kustomize- and helm-controller download artifacts over loopback).
Dependencies are re-checked every 2 s instead of 30 s (``--requeue-dependency``), so a test sees a layer
wait for another without waiting half a minute per step. They reconcile only objects labelled
:data:`WATCH_LABEL` (``--watch-label-selector``). helm-controller's CRDs (``flux-helm``, an opt-in
set) are installed first. ``stop()`` ends each process by its own pid.

What does not run here is stood in for by :class:`StandIns`, the same way for every bundle: the status
subresources Crossplane and Kyverno would write (see its docstring).
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import socket
import subprocess
import time
import typing as t
from pathlib import Path

import requests

from tests.control_plane import ControlPlane, load_yaml, stop_process

NAMESPACE = "flux-system"
CONTROLLERS = ("source-controller", "kustomize-controller", "helm-controller")
#: The controllers reconcile only objects with this label (``--watch-label-selector``): other tests apply
#: Flux objects to the same server to check them against the CRDs, pointing at registries that do not
#: exist; those stay untouched.
WATCH_LABEL = ("genplat.dev/test-controllers", "flux")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FluxControllers:
    def __init__(self, cp: ControlPlane, workdir: Path, binaries: t.Mapping[str, str]) -> None:
        self.cp = cp
        self.workdir = workdir
        self.binaries = dict(binaries)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.health: dict[str, str] = {}
        self.storage = ""

    @classmethod
    def start(cls, cp: ControlPlane, workdir: Path, binaries: t.Mapping[str, str]) -> FluxControllers:
        flux = cls(cp, workdir, binaries)
        atexit.register(flux.stop)
        try:
            flux._start()
        except BaseException:
            flux.stop()
            raise
        return flux

    def _args(self, name: str) -> list[str]:
        health = f"127.0.0.1:{_free_port()}"
        self.health[name] = health
        args = [
            f"--metrics-addr=127.0.0.1:{_free_port()}",
            f"--health-addr={health}",
            "--log-level=info",
            f"--watch-label-selector={WATCH_LABEL[0]}={WATCH_LABEL[1]}",
        ]
        if name == "source-controller":
            storage = self.workdir / "storage"
            storage.mkdir(parents=True, exist_ok=True)
            self.storage = f"127.0.0.1:{_free_port()}"
            args += [
                f"--storage-path={storage}",
                f"--storage-addr={self.storage}",
                f"--storage-adv-addr={self.storage}",
            ]
        if name in ("kustomize-controller", "helm-controller"):
            args.append("--requeue-dependency=2s")
        if name == "helm-controller":
            args.append("--graceful-shutdown-timeout=5s")
        return args

    def _start(self) -> None:
        self.cp.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}])
        env = {k: v for k, v in os.environ.items() if k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY")}
        env.update({"KUBECONFIG": str(self.cp.kubeconfig), "RUNTIME_NAMESPACE": NAMESPACE})
        for name, binary in self.binaries.items():
            with (self.workdir / f"{name}.log").open("wb") as log:
                self.procs[name] = subprocess.Popen(
                    [binary, *self._args(name)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=self.workdir,
                    env=env,
                )
        deadline = time.monotonic() + 60
        waiting = dict(self.health)
        session = requests.Session()
        session.trust_env = False
        while waiting:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            for name, addr in list(waiting.items()):
                try:
                    if session.get(f"http://{addr}/readyz", timeout=2).status_code == 200:
                        del waiting[name]
                except requests.RequestException:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after 60s: {sorted(waiting)}")
            time.sleep(0.3)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self) -> None:
        for name in list(self.procs):
            stop_process(self.procs.pop(name))

    def alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}"


# ---- stand-ins for controllers that do not run here -------------------------------------------------


def _conditions(*types: str, reason: str = "StoodInByTests") -> list[dict[str, str]]:
    return [
        {
            "type": c,
            "status": "True",
            "reason": reason,
            "message": "written by genplat's tests in place of the controller",
            "lastTransitionTime": "2026-01-01T00:00:00Z",
        }
        for c in types
    ]


class StandIns:
    """The status subresources of controllers that do not run here, written the same way for every bundle
    (and nothing else):

    * Crossplane: for every XRD, first the CRD it derives (``genplat.rendering.crossplane.composite_crd``,
      crossplane-runtime's xcrd logic), then ``Established`` (and ``Offered`` when it names claims);
      every Function ``Healthy`` and ``Installed``.
    * Kyverno (``kyverno=True``): every ValidatingPolicy ``status.conditionStatus`` ready with
      ``WebhookConfigured`` and ``RBACPermissionsGranted`` True (as Kyverno 1.19 writes it once the policy
      is in its webhook); every ClusterPolicy ``Ready``.

    Only objects without a status are written, so a test sees what it stood in for (``done``).
    """

    def __init__(self, cp: ControlPlane, *, kyverno: bool = True) -> None:
        # Its own session: the stand-ins run between a test's reads of the same control plane.
        self.cp = copy.copy(cp)
        self.cp._session = requests.Session()
        self.cp._session.trust_env = False
        self.cp._session.headers.update(cp._session.headers)
        self.cp._session.verify = str(cp.ca_file)
        self.cp._resources = dict(cp._resources)
        self.kyverno = kyverno
        self.done: list[str] = []

    def _list(self, api_version: str, kind: str) -> list[dict[str, t.Any]]:
        found = self.cp.resource(api_version, kind)
        if found is None:
            return []
        r = self.cp.request("GET", self.cp.path(api_version, kind))
        r.raise_for_status()
        return list(r.json().get("items") or [])

    def _write_status(self, obj: dict[str, t.Any], status: dict[str, t.Any]) -> None:
        meta = obj["metadata"]
        path = self.cp.path(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace")) + "/status"
        r = self.cp.request(
            "PATCH",
            path,
            data=json.dumps({"status": status}),
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert r.status_code == 200, f"{obj['kind']}/{meta['name']}: {r.status_code} {r.text[:300]}"
        self.done.append(f"{obj['kind']}/{meta['name']}")

    def step(self) -> None:
        from genplat.rendering.crossplane import composite_crd  # the derivation genplat check uses

        for version in ("v2", "v1"):
            for xrd in self._list(f"apiextensions.crossplane.io/{version}", "CompositeResourceDefinition"):
                if xrd.get("status"):
                    continue
                self.cp.install_crds([composite_crd(xrd)])
                kinds = ("Established", "Offered") if xrd["spec"].get("claimNames") else ("Established",)
                self._write_status(xrd, {"conditions": _conditions(*kinds)})
        for fn in self._list("pkg.crossplane.io/v1", "Function"):
            if not fn.get("status"):
                self._write_status(fn, {"conditions": _conditions("Installed", "Healthy")})
        if not self.kyverno:
            return
        for pol in self._list("policies.kyverno.io/v1", "ValidatingPolicy"):
            if not pol.get("status"):
                conditions = _conditions("WebhookConfigured", "RBACPermissionsGranted", reason="Succeeded")
                self._write_status(pol, {"conditionStatus": {"ready": True, "conditions": conditions}})
        for pol in self._list("kyverno.io/v1", "ClusterPolicy"):
            if not pol.get("status"):
                self._write_status(pol, {"ready": True, "conditions": _conditions("Ready", reason="Succeeded")})


def helm_crds() -> list[dict[str, t.Any]]:
    from tests.upstream_parts import crd_files

    return [d for f in crd_files("flux-helm") for d in load_yaml(f.read_text("utf-8"))]
