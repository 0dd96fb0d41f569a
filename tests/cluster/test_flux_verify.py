"""The Flux wiring that verifies signatures applies on the real control plane against the Flux CRDs.

A build of the example project with ``spec.signing.publicKey`` renders, per Flux cluster, the Secret
holding the public key, an ``OCIRepository`` with ``spec.verify`` and the ``Kustomization``; the API
server (pinned kube-apiserver, pinned source-controller CRDs, strict field validation) stores them as
written, and refuses a verify block the CRD does not allow, so the test can fail.
"""

from __future__ import annotations

import base64
import shutil
import typing as t
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.control_plane import ApplyFailed

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]


def test_signed_flux_wiring_applies(
    control_plane: t.Any, genplat_cli: t.Callable[..., t.Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proj = tmp_path / "proj"
    shutil.copytree(REPO / "blueprints", proj / "blueprints")
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (proj / "blueprints" / "keys").mkdir()
    (proj / "blueprints" / "keys" / "cosign.pub").write_bytes(pem)
    platform = proj / "blueprints" / "platform.yaml"
    platform.write_text(
        platform.read_text().replace("\n  registry: ", "\n  signing:\n    publicKey: keys/cosign.pub\n  registry: ", 1)
    )
    monkeypatch.chdir(proj)
    result = genplat_cli("build", "blueprints")
    assert result.code == 0, result.stderr

    files = sorted((proj / "out" / "_gitops" / "flux").glob("*.yaml"))
    assert files, "the example has Flux clusters"
    docs = [d for f in files for d in yaml.safe_load_all(f.read_text()) if d]
    sources = [d for d in docs if d["kind"] == "OCIRepository"]
    assert len(sources) == len(files)
    control_plane.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flux-system"}}])
    control_plane.apply(docs)
    for src in sources:
        live = control_plane.get("source.toolkit.fluxcd.io/v1", "OCIRepository", src["metadata"]["name"], "flux-system")
        assert live is not None and live["spec"]["verify"] == src["spec"]["verify"]
        assert live["spec"]["verify"]["provider"] == "cosign"
        secret = control_plane.get("v1", "Secret", live["spec"]["verify"]["secretRef"]["name"], "flux-system")
        assert secret is not None and base64.b64decode(secret["data"]["cosign.pub"]) == pem

    wrong = dict(sources[0], spec={**sources[0]["spec"], "verify": {"provider": "gpg", "secretRef": {"name": "x"}}})
    with pytest.raises(ApplyFailed) as info:
        control_plane.apply([wrong], dry_run=True)
    assert any("provider" in (r.error or "") for r in info.value.results), info.value.results
