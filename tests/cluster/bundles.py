"""Bundles as the controllers apply them: ``kubectl kustomize`` output, composite-resource CRDs, staged order.

kustomize-controller builds a bundle with kustomize and applies it server-side (CRDs and Namespaces first,
then the rest). Crossplane serves a CRD for every XRD's composite resource (and claim); here genplat's own
derivation (``genplat.rendering.crossplane.composite_crd``, which ``genplat check`` uses) is installed as a
stand-in for Crossplane, so XRs and claims can be applied. That stand-in is the one part of these tests
that is not upstream code.
"""

from __future__ import annotations

import subprocess
import typing as t
from pathlib import Path

from tests.control_plane import Applied, ApplyFailed, ControlPlane, load_yaml
from tests.upstream_parts import tool

# Warnings the server returns today that another issue removes. Each entry must still be seen (the
# tripwire in ``assert_clean``), so the allowance goes as soon as its cause does. (None today: the
# guardrails render as policies.kyverno.io ValidatingPolicy, whose CRD carries no deprecationWarning.)
KNOWN_WARNINGS: dict[tuple[str, str], str] = {}


def kustomize(folder: Path) -> list[dict[str, t.Any]]:
    """The bundle as kustomize-controller sees it (``kubectl kustomize``; kubectl embeds kustomize)."""
    proc = subprocess.run(
        [tool("kubectl"), "kustomize", str(folder)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, f"kubectl kustomize {folder} failed:\n{proc.stderr}"
    return load_yaml(proc.stdout)


def composite_crds(docs: t.Iterable[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """The CRDs Crossplane would serve for the bundle's XRDs (genplat's derivation, standing in for it)."""
    from genplat.rendering.crossplane import composite_crd

    return [
        composite_crd(d)
        for d in docs
        if d.get("kind") == "CompositeResourceDefinition"
        and str(d.get("apiVersion", "")).startswith("apiextensions.crossplane.io/")
    ]


def assert_clean(results: list[Applied], *, seen: set[tuple[str, str]] | None = None) -> None:
    """No refusal and no warning, except KNOWN_WARNINGS (recorded in ``seen`` for the tripwire)."""
    bad: list[Applied] = []
    for r in results:
        kind = (str(r.sent.get("apiVersion")), str(r.sent.get("kind")))
        allowed = KNOWN_WARNINGS.get(kind)
        rest = [w for w in r.warnings if not (allowed and w.startswith(allowed))]
        if allowed and len(rest) < len(r.warnings) and seen is not None:
            seen.add(kind)
        if r.error or rest:
            bad.append(Applied(r.key, r.sent, r.obj, rest, r.error, r.code, r.reason))
    if bad:
        raise ApplyFailed(bad)


def apply_bundle(
    cp: ControlPlane, docs: list[dict[str, t.Any]], *, seen: set[tuple[str, str]] | None = None
) -> list[Applied]:
    """Composite CRDs (stand-in for Crossplane), then the bundle in kustomize-controller's order; twice,
    and the server-side diff after the second apply must be empty."""
    cp.install_crds(composite_crds(docs))
    first = cp.apply(docs, check=False)
    assert_clean(first, seen=seen)
    assert_clean(cp.apply(docs, check=False), seen=seen)
    assert cp.diff(docs) == []
    return first
