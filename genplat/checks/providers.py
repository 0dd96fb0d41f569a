"""What each cluster's Compositions may compose: the schemas of its Crossplane providers (and Kubernetes).

This is the one place the composition checks (:mod:`genplat.checks.compositions`) learn which kinds a
cluster serves. Without an add-on lock every cluster gets the same set: the CRDs the platform blueprint
lists under ``crds:`` plus ``--crds`` (with the build's Kubernetes schemas), and the set is *partial*: a
composed kind whose API group no given CRD defines is skipped, not refused, since genplat cannot tell a
missing file from a missing provider.

Where add-ons are locked per cluster (each cluster's Crossplane providers with their versions and CRDs),
``cluster_crds`` (bundle ``<env>/<cluster>`` → the CRD files of its locked add-ons) gives each such
cluster a :class:`~genplat.checks.schema.SchemaIndex` of its own and marks it ``locked``: there a kind
no provider of the cluster serves is an error. ``declared`` (the CRDs of every add-on version the
platform blesses, run by a cluster or not) joins the default set, which checks the Compositions no
cluster selects (an offering's composition for a cloud none of today's Crossplane clusters runs in).
"""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

from genplat.checks.checker import get_checker
from genplat.checks.schema import SchemaIndex

if t.TYPE_CHECKING:
    from genplat.resolver.model import PlatformModel

HINT = "give the provider's CRDs with --crds (or list them under crds: in the platform blueprint)"


@dataclasses.dataclass(slots=True)
class ProviderSchemas:
    """Per cluster, the schemas its composed resources are checked against."""

    default: SchemaIndex  # for compositions no cluster selects, and clusters without their own set
    by_cluster: dict[str, SchemaIndex] = dataclasses.field(default_factory=dict)
    # Clusters whose set is every kind their providers serve (locked add-ons): a kind outside it is
    # refused there. Elsewhere (crds:, --crds) a kind whose API group no given CRD defines is skipped.
    locked: frozenset[str] = frozenset()
    # What to tell a user whose composed kind is not found.
    hint: str = HINT

    def for_cluster(self, cluster: str) -> SchemaIndex:
        return self.by_cluster.get(cluster, self.default)

    def complete(self, index: SchemaIndex) -> bool:
        """Whether ``index`` is the whole set of some locked cluster."""
        return any(self.by_cluster.get(c) is index for c in self.locked)

    def label(self, index: SchemaIndex) -> str:
        """How messages name a set: '' when every cluster shares it, else the clusters that use it."""
        users = sorted(c for c, i in self.by_cluster.items() if i is index)
        if not users or all(i is index for i in self.by_cluster.values()):
            return ""
        return f" (cluster{'s' if len(users) > 1 else ''} {', '.join(users)})"


def provider_schemas(
    platform: PlatformModel,
    *,
    crd_paths: t.Sequence[Path] = (),
    cluster_crds: t.Mapping[str, t.Sequence[Path]] | None = None,
    declared: t.Sequence[Path] = (),
) -> ProviderSchemas:
    """The schemas each cluster of ``platform`` composes against.

    ``crd_paths`` are the CRD files and folders of the run (the blueprint's ``crds:``, resolved against
    it, plus ``--crds``), for every cluster; ``cluster_crds`` (bundle → CRD files of the cluster's locked
    add-ons) adds a cluster's own, and makes its set complete. The build's checkers load the same paths
    (one checker per path list, process-wide), so CRDs are read and converted once per run.
    """

    def index(paths: t.Sequence[Path]) -> SchemaIndex:
        return get_checker(kubernetes_version=platform.kubernetes_version, crd_paths=list(paths)).index

    shared = index([*crd_paths, *declared])
    by_cluster = {c.name: shared for c in platform.clusters}
    locked = set()
    for c in platform.clusters:
        own = (cluster_crds or {}).get(c.bundle)
        if own is not None:
            by_cluster[c.name] = index([*crd_paths, *own])
            locked.add(c.name)
    hint = "add the provider to the cluster's add-ons and lock them" if locked else HINT
    return ProviderSchemas(default=shared, by_cluster=by_cluster, locked=frozenset(locked), hint=hint)


def blueprint_crd_paths(platform: PlatformModel, extra: t.Sequence[Path] = ()) -> list[Path]:
    """The platform blueprint's ``crds:`` (relative to it) followed by ``extra`` (``--crds``)."""
    base = Path(platform.blueprint.file).parent
    return [base / p for p in platform.crds] + [Path(p) for p in extra]
