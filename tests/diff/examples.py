"""Pairs of sides made from the real example blueprints: the examples, and the examples after one edit.

Each case is an edit of a copy of ``blueprints/`` (text replacements, so the edit reads like a
pull request would: the five day-2 changes of issue 18 — a new tenant, a tier move, a new image, a
new environment, a removed offering — plus a traffic split and a loosened platform policy) or, for
the reordered case, an edit of the rendered output itself. The edits
assert that they applied, so a change of the examples fails loudly instead of giving an empty diff.
"""

from __future__ import annotations

import shutil
import typing as t
from pathlib import Path

import yaml

import genplat

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "blueprints"

# A digest that no real image has: the test only needs it to differ from the example's.
NEW_CHECKOUT = "ghcr.io/acme/globex-checkout:1.6.0@sha256:" + "6f1c" * 16
# The rendered file the reordered case rewrites.
REORDERED_FILE = "prod/prod-eu/tenants/globex.yaml"


def replace(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (exactly once) in ``path``: an edit that no longer applies must fail the test."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name}: expected exactly one {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def changed_image(project: Path) -> None:
    """globex checkout: a new tag and digest."""
    replace(
        project / "blueprints/tenants/globex.yaml",
        "image: ghcr.io/acme/globex-checkout:1.5.0@sha256:"
        "c7761e58969f7edd498186641b2021e8477e1bcd230de4cf3435242da4a40d14",
        f"image: {NEW_CHECKOUT}",
    )


def traffic_split(project: Path) -> None:
    """globex checkout canary: 80/20 → 50/50 (prod; dev overrides the traffic with 100 % latest)."""
    tenant = project / "blueprints/tenants/globex.yaml"
    replace(
        tenant, "{revision: checkout-v1, percent: 80, tag: stable}", "{revision: checkout-v1, percent: 50, tag: stable}"
    )
    replace(
        tenant, "{latestRevision: true, percent: 20, tag: canary}", "{latestRevision: true, percent: 50, tag: canary}"
    )


HOOLI = (
    """\
# A new trial customer.
apiVersion: genplat.dev/v1alpha1
kind: Tenant
metadata:
  name: hooli
spec:
  description: Hooli (trial)
  tier: small
  access:
    admins: {users: [gavin@hooli.example]}
    developers: {groups: [hooli-devs]}
  environments:
    - name: dev
  services:
    - name: search
      image: ghcr.io/acme/hooli-search:0.1.0@sha256:"""
    + "5e" * 32
    + """
      port: 8080
      scaling: {min: 0, max: 2}
      resources:
        requests: {cpu: 100m, memory: 128Mi}
        limits: {cpu: 500m, memory: 256Mi}
"""
)


def new_tenant(project: Path) -> None:
    """hooli: a small tenant in dev with one service."""
    (project / "blueprints/tenants/hooli.yaml").write_text(HOOLI, encoding="utf-8")


def removed_offering(project: Path) -> None:
    """The vcluster offering leaves the platform, with initech's sandbox that used it."""
    platform = project / "blueprints/platform.yaml"
    text = platform.read_text(encoding="utf-8")
    start = text.index("    - name: vcluster\n")
    end = text.index("  pipelines:\n")
    assert start < end
    platform.write_text(text[:start] + text[end:], encoding="utf-8")
    replace(project / "blueprints/tenants/initech.yaml", "    - name: sandbox\n      offering: vcluster\n", "")


def tier_move(project: Path) -> None:
    """umbrella: medium → large."""
    replace(project / "blueprints/tenants/umbrella.yaml", "  tier: medium\n", "  tier: large\n")


STAGING = """\
    - name: staging
      description: Release candidates
      clusters:
        - name: staging-eu
          provider: gke
          region: europe-west1
          capabilities: [knative-serving, knative-domain-claims, knative-eventing, kyverno, external-secrets, flux, cert-manager, gateway-api]
          # The host names globex's checkout and umbrella's status page ask for.
          domains:
            - {suffix: "{tenant}.apps.acme.example", issuer: {name: letsencrypt}}
            - {suffix: globex.example, tenants: [globex], issuer: {name: letsencrypt}}
          gateway: {name: public, namespace: gateway-system}
"""


def new_environment(project: Path) -> None:
    """A staging environment with one cluster; globex, tools and umbrella join it."""
    replace(project / "blueprints/platform.yaml", "  tiers:\n", STAGING + "  tiers:\n")
    replace(project / "blueprints/tenants/globex.yaml", "\n  services:\n", "\n    - name: staging\n  services:\n")
    replace(
        project / "blueprints/tenants/tools.yaml",
        "      clusters: [prod-eu]\n",
        "      clusters: [prod-eu]\n    - name: staging\n",
    )
    replace(
        project / "blueprints/tenants/umbrella.yaml", "    - name: prod\n", "    - name: prod\n    - name: staging\n"
    )


def allow_docker_io_at_baseline(platform: Path) -> None:
    """docker.io joins the registry allowlist; Pod Security enforces baseline instead of restricted."""
    replace(
        platform,
        "    podSecurity: {enforce: restricted, audit: restricted, warn: restricted}\n",
        "    podSecurity: {enforce: baseline, audit: restricted, warn: restricted}\n",
    )
    replace(
        platform,
        "    allowedRegistries: [ghcr.io/acme, registry.acme.example]\n",
        "    allowedRegistries: [ghcr.io/acme, registry.acme.example, docker.io]\n",
    )


def loosened_policy(project: Path) -> None:
    """The platform loosens its guardrails: docker.io allowed, baseline Pod Security, no limits or
    :latest checks, and tools (an internal team) may call globex."""
    platform = project / "blueprints/platform.yaml"
    allow_docker_io_at_baseline(platform)
    replace(platform, "    requireLimits: true\n", "    requireLimits: false\n")
    replace(platform, "    forbidLatest: true\n", "    forbidLatest: false\n")
    replace(
        project / "blueprints/tenants/globex.yaml", "    allowFrom: [initech]\n", "    allowFrom: [initech, tools]\n"
    )


def _reverse_keys(value: t.Any) -> t.Any:
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


def reorder(text: str) -> str:
    """The same objects: documents in reverse order, every mapping's keys reversed, comments gone."""
    docs = [_reverse_keys(d) for d in yaml.safe_load_all(text) if d is not None]
    return yaml.safe_dump_all(list(reversed(docs)), sort_keys=False, default_flow_style=None, width=60)


def reordered_output(out: Path) -> None:
    path = out / REORDERED_FILE
    path.write_text(reorder(path.read_text(encoding="utf-8")), encoding="utf-8")


BLUEPRINT_EDITS: dict[str, t.Callable[[Path], None]] = {
    "changed-image": changed_image,
    "traffic-split": traffic_split,
    "new-tenant": new_tenant,
    "removed-offering": removed_offering,
    "tier-move": tier_move,
    "new-environment": new_environment,
    "loosened-policy": loosened_policy,
}
OUTPUT_EDITS: dict[str, t.Callable[[Path], None]] = {
    "reordered": reordered_output,
}
CASES = sorted([*BLUEPRINT_EDITS, *OUTPUT_EDITS])


def build(project: Path, out: Path) -> Path:
    """``genplat build`` of ``project`` into ``out`` (checks off: the diff only needs the output)."""
    result = genplat.build(genplat.BuildOptions(project=project, out_dir=out, run_checks=False))
    assert result.ok, [str(d) for d in result.diagnostics]
    return out


def copy_project(dest: Path) -> Path:
    """A project folder holding a copy of the example blueprints."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXAMPLES, dest / "blueprints")
    return dest


def make_pair(case: str, root: Path) -> tuple[Path, Path]:
    """``root/base`` and ``root/head``: for a blueprint edit, two project folders (the examples, and
    the examples after the edit), which genplat diff renders in memory and whose blueprints it
    compares; for an output edit, two output folders (no blueprints: the summary falls back)."""
    if case in OUTPUT_EDITS:
        project = copy_project(root / "project")
        base = build(project, root / "base")
        head = root / "head"
        shutil.copytree(base, head)
        OUTPUT_EDITS[case](head)
        return base, head
    base = copy_project(root / "base")
    head = copy_project(root / "head")
    BLUEPRINT_EDITS[case](head)
    return base, head
