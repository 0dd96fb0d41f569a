"""A tenant's services as they are somewhere: declared, in an environment, on one cluster.

A service's fields can be changed per environment (``environments[].services.<name>``) and per cluster
(``environments[].clusterOverrides.<cluster>.services.<name>``); the most specific change wins, as the
resolver merges them. Every check that judges a service's values runs on each of these variants, and
reports a value at the line it was written: :meth:`Variant.at` names the most specific layer that sets
a field. Read defensively: wrong types were reported by the schema.
"""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.core.diagnostics import Diagnostic, json_path
from genplat.core.merge import deep_merge
from genplat.core.readers import as_dict, as_list, as_str

if t.TYPE_CHECKING:
    from genplat.loader.project import Blueprint

Path = tuple[str | int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Variant:
    index: int  # spec.services[index]
    name: str
    declared: dict[str, t.Any]
    effective: dict[str, t.Any]
    # (path of an override, what it sets), the most specific first; empty for the declared service.
    layers: tuple[tuple[Path, dict[str, t.Any]], ...] = ()
    environment: str | None = None
    env_index: int | None = None
    cluster: str | None = None

    @property
    def base(self) -> Path:
        return ("spec", "services", self.index)

    def at(self, field: str) -> Path:
        """The path holding ``field``'s effective value's parent: the most specific layer setting it."""
        return next((path for path, values in self.layers if field in values), self.base)

    def sets(self, field: str) -> bool:
        """Whether an override (not the declared service) sets ``field``."""
        return any(field in values for _, values in self.layers)

    @property
    def where(self) -> str:
        """For messages: `` in environment 'dev'`` or `` on cluster 'prod-us'`` (empty when declared)."""
        if self.cluster is not None:
            return f" on cluster {self.cluster!r}"
        return f" in environment {self.environment!r}" if self.environment is not None else ""


def cluster_layers(env: dict[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    """``clusterOverrides`` of a tenant environment: cluster name → its changes."""
    return {k: as_dict(v) for k, v in as_dict(env.get("clusterOverrides")).items() if isinstance(k, str)}


def in_environment(
    svc: dict[str, t.Any], si: int, env: dict[str, t.Any], ei: int, *, clusters: bool = True
) -> t.Iterator[Variant]:
    """The service in one environment (always, with or without changes there), then on each of the
    environment's clusters that changes it."""
    name = as_str(svc.get("name")) or ""
    ename = as_str(env.get("name"))
    env_path: Path = ("spec", "environments", ei)
    env_over = as_dict(as_dict(env.get("services")).get(name))
    env_layer = ((*env_path, "services", name), env_over)
    env_eff = as_dict(deep_merge(svc, env_over))
    yield Variant(si, name, svc, env_eff, (env_layer,) if env_over else (), ename, ei)
    if not clusters:
        return
    for cname, layer in cluster_layers(env).items():
        over = as_dict(as_dict(layer.get("services")).get(name))
        if not over:
            continue
        path: Path = (*env_path, "clusterOverrides", cname, "services", name)
        layers = ((path, over), env_layer) if env_over else ((path, over),)
        yield Variant(si, name, svc, as_dict(deep_merge(env_eff, over)), layers, ename, ei, cname)


def service_variants(bp: Blueprint) -> t.Iterator[Variant]:
    """Every service as declared, then in each environment that changes it and on each cluster that does."""
    envs = [as_dict(e) for e in as_list(bp.spec.get("environments"))]
    for si, svc in enumerate(as_list(bp.spec.get("services"))):
        svc = as_dict(svc)
        yield Variant(si, as_str(svc.get("name")) or "", svc, svc)
        for ei, env in enumerate(envs):
            for variant in in_environment(svc, si, env, ei):
                if variant.layers:
                    yield variant


def own(variant: Variant, findings: list[Diagnostic]) -> list[Diagnostic]:
    """A cluster variant's findings at its own override only: the rest repeat what its environment's
    variant already reported, at the same place."""
    if variant.cluster is None:
        return findings
    prefix = json_path(variant.layers[0][0])
    return [d for d in findings if d.path == prefix or d.path.startswith((prefix + ".", prefix + "["))]


def placements(
    bp: Blueprint, environments: t.Mapping[str, t.Mapping[str, dict[str, t.Any]]]
) -> t.Iterator[tuple[Variant, str, dict[str, t.Any]]]:
    """(the service as it is on a cluster, the cluster's name, the platform's cluster) for every cluster a
    tenant's services land on; ``environments``: the platform's environment → cluster name → cluster."""
    for ei, env in enumerate(as_list(bp.spec.get("environments"))):
        env = as_dict(env)
        clusters = environments.get(as_str(env.get("name")) or "")
        if clusters is None:
            continue
        wanted = [c for c in as_list(env.get("clusters")) if isinstance(c, str)]
        targets = [c for c in clusters if not wanted or c in wanted]
        for si, svc in enumerate(as_list(bp.spec.get("services"))):
            variants = list(in_environment(as_dict(svc), si, env, ei))
            for cname in targets:
                variant = next((v for v in variants if v.cluster == cname), variants[0])
                yield variant, cname, dict(clusters[cname])
