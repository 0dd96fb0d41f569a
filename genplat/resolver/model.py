"""Resolve stage: platform defaults + tenant tier + per-environment overrides + each cluster's add-ons.

The result is one :class:`TenantTarget` per (environment, cluster, tenant), grouped by bundle. It is
pure data computed from validated blueprints and keeps, for every value it carries, the blueprint
place it came from (``origin``/``origins``), so renderers can point rendered objects back at input.
"""

from __future__ import annotations

import dataclasses
import typing as t

from genplat.core.addons import (
    AddonLock,
    ClusterAddon,
    Install,
    LockEntry,
    Source,
    cluster_capabilities,
    declared_addons,
    platform_entries,
    resolve_cluster,
)
from genplat.core.merge import deep_merge
from genplat.core.objects import Origin
from genplat.core.pem import signing_public_key
from genplat.core.quantity import parse_quantity
from genplat.loader.project import Blueprint, Project

DEFAULT_PORT = 8080
DEFAULT_INGRESS_NAMESPACES = ("ingress-nginx",)
KNATIVE_SYSTEM_NAMESPACES = ("knative-serving", "kourier-system", "knative-eventing")
DEFAULT_PSA = {"enforce": "restricted", "audit": "restricted", "warn": "restricted"}


@dataclasses.dataclass(frozen=True, slots=True)
class AddOn:
    """One add-on a cluster runs, at the version the platform blueprint gives it there.

    ``lock`` is the add-on lock's entry for exactly this version and source (None when the project has no
    lock, or the lock is stale: validation reports that): the digests of what was fetched, the CRD files
    (their digests name them in the cache: :func:`genplat.addons.crd_paths`) and the kinds they serve.
    """

    name: str
    version: str
    type: str  # "addon", "provider" or "function" (Crossplane packages)
    package: str | None  # the Crossplane package, without a tag (providers and functions)
    capability: str | None
    source: Source
    origin: Origin  # the blueprint value that sets the version (else where the cluster asks for it)
    lock: LockEntry | None = None
    install: Install | None = None  # how the cluster's bundle installs it (its addons/ layer)

    @property
    def serves(self) -> t.Mapping[str, tuple[str, ...]]:
        """``"Kind.group"`` → served versions, from the lock (empty when not locked)."""
        return self.lock.serves if self.lock is not None else {}

    def serves_kind(self, group: str, kind: str) -> tuple[str, ...]:
        return self.lock.serves_kind(group, kind) if self.lock is not None else ()


@dataclasses.dataclass(frozen=True, slots=True)
class Cluster:
    environment: str
    name: str
    provider: str
    region: str | None
    capabilities: frozenset[str]  # what its add-ons give (``tekton``, ``flux``, ``knative-serving``, …)
    gitops: str | None
    origin: Origin
    # Domain suffixes tenants may use here ({suffix, issuer, tenants}) and the Gateway Deployments attach to.
    domains: tuple[dict[str, t.Any], ...] = dataclasses.field(default=(), hash=False, compare=False)
    gateway: dict[str, t.Any] | None = dataclasses.field(default=None, hash=False, compare=False)
    kubernetes_version: str = ""  # its own, else the platform's
    # Add-on name → what the cluster runs (in the blueprint's order: its addons, then its capabilities').
    addons: t.Mapping[str, AddOn] = dataclasses.field(default_factory=dict, hash=False)

    @property
    def bundle(self) -> str:
        return f"{self.environment}/{self.name}"

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def locked(self) -> bool:
        """Whether every add-on of the cluster is in the lock (so its CRDs are known exactly)."""
        return all(a.lock is not None for a in self.addons.values())


class FieldOrigins(t.Mapping[str, Origin]):
    """Field name → where a service's effective value was written: the most specific override that sets
    it (the cluster's, then the environment's), else the service itself. Computed on access: a build of
    10,000 tenants asks for few of them."""

    __slots__ = ("_base", "_blueprint", "_layers")
    FIELDS = (
        "image",
        "command",
        "args",
        "port",
        "env",
        "egress",
        "secrets",
        "scaling",
        "resources",
        "traffic",
        "visibility",
        "hostnames",
        "build",
        "workload",
        "schedule",
        "job",
        "probes",
        "metrics",
        "slo",
        "volumes",
    )

    def __init__(
        self,
        blueprint: Blueprint,
        base: tuple[str | int, ...],
        layers: t.Sequence[tuple[tuple[str | int, ...], frozenset[str]]] = (),
    ) -> None:
        """``layers``: (path of an override, the fields it sets), the most specific first."""
        self._blueprint, self._base, self._layers = blueprint, base, tuple(layers)

    def __getitem__(self, field: str) -> Origin:
        if field not in self.FIELDS:
            raise KeyError(field)
        where = next((path for path, fields in self._layers if field in fields), self._base)
        return self._blueprint.origin((*where, field))

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.FIELDS)

    def __len__(self) -> int:
        return len(self.FIELDS)


@dataclasses.dataclass(slots=True)
class Service:
    name: str
    image: str
    port: int
    env: dict[str, str]
    secrets: list[dict[str, str]]
    scaling: dict[str, t.Any]
    resources: dict[str, dict[str, t.Any]]
    traffic: list[dict[str, t.Any]]
    visibility: str
    build: dict[str, t.Any] | None
    origin: Origin
    # Field name → where its effective value was written (the override when there is one).
    origins: t.Mapping[str, Origin]
    # "knative" (a Knative Service), "deployment" (Deployment, Service, HPA, PDB: genplat.rendering.deployment),
    # "cronjob" or "job" (genplat.rendering.jobs).
    workload: str = "knative"
    probes: dict[str, dict[str, t.Any]] = dataclasses.field(default_factory=dict)
    # Environment variables read from a resource's connection Secret: (variable, resource, key), blueprint order.
    connections: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    # The container's entrypoint and arguments (None: the image's).
    command: list[str] | None = None
    args: list[str] | None = None
    # Config files, secret files and scratch space (genplat.rendering.volumes), blueprint order.
    volumes: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    # workload: cronjob — when it runs; cronjob and job — how a run behaves.
    schedule: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    job: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    # Prometheus metrics ({port, path, interval}) and the service level objectives on them (genplat.rendering.observability).
    metrics: dict[str, t.Any] | None = None
    slo: dict[str, t.Any] | None = None
    # Public host names (genplat.rendering.domains).
    hostnames: list[str] = dataclasses.field(default_factory=list)
    # Endpoints outside the cluster it calls (hosts or cidrs, ports): genplat.rendering.egress.
    egress: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(slots=True)
class Resource:
    name: str
    offering: str
    parameters: dict[str, t.Any]  # with the offering's defaults applied
    origin: Origin
    # Keys the offering publishes in the resource's connection Secret (see connection_secret_name).
    connection_keys: tuple[str, ...] = ()
    # Where the tenant set each parameter (the environment's override, else the resource's own value);
    # parameters left to the offering's default are not here.
    parameter_origins: dict[str, Origin] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class Event:
    name: str
    broker: str
    filter: dict[str, str]
    subscriber: str
    origin: Origin


@dataclasses.dataclass(slots=True)
class TenantTarget:
    """A tenant as it lands on one cluster of one environment."""

    name: str
    environment: str
    cluster: Cluster
    namespace: str
    tier_name: str
    tier: dict[str, t.Any]
    access: dict[str, dict[str, list[str]]]
    services: list[Service]
    resources: list[Resource]
    events: list[Event]
    allow_from: list[str]  # peer tenants' namespaces in the same environment
    labels: dict[str, str]
    description: str | None
    origin: Origin  # the tenant blueprint's metadata.name
    origins: dict[str, Origin]
    blueprint: Blueprint = dataclasses.field(repr=False)
    # Builds run apart from the workloads, at the Pod Security level their pipeline templates allow
    # (kaniko runs as root): set when the tenant builds on this cluster.
    build_namespace: str | None = None
    build_pod_security: str | None = None
    # What the build namespace gets: quota, container limits and workspace size from the pipeline
    # templates the tenant builds with (largest of each), the tenant's overrides over them; and the
    # tenant's own push credentials (spec.builds.pushSecret). Empty when the templates declare none.
    build_resources: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    build_push_secret: dict[str, str] | None = None

    def for_builds(self) -> TenantTarget:
        """The same tenant with its build namespace as its namespace (what the Tekton renderer uses)."""
        assert self.build_namespace is not None
        return dataclasses.replace(self, namespace=self.build_namespace)


# Pod Security levels from least to most strict.
POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")


@dataclasses.dataclass(slots=True)
class PlatformModel:
    name: str
    registry: str
    registry_insecure: bool
    kubernetes_version: str
    clusters: list[Cluster]
    tiers: dict[str, dict[str, t.Any]]
    secrets: dict[str, t.Any]
    crossplane: dict[str, t.Any]
    offerings: list[dict[str, t.Any]]
    pipelines: dict[str, dict[str, t.Any]]
    policies: dict[str, t.Any]
    pod_security: dict[str, str]
    ingress_namespaces: list[str]
    dns_namespace: str
    crds: list[str]
    validator: str
    blueprint: Blueprint = dataclasses.field(repr=False)
    #: PEM of ``spec.signing.publicKey`` (None: bundles are not verified by the clusters).
    signing_public_key: bytes | None = None
    #: ``spec.network.egressProxy``: where host-name egress goes on clusters whose CNI cannot enforce names.
    egress_proxy: dict[str, t.Any] | None = None
    #: ``spec.observability``: Prometheus, OpenTelemetry and SLO conventions.
    observability: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    #: The add-on lock (None: the project has none yet; custom resources are then checked against crds only).
    addon_lock: AddonLock | None = None
    #: The platform's blessed add-on versions (``spec.addons`` items with a version), run by a cluster or not.
    addons: dict[str, AddOn] = dataclasses.field(default_factory=dict)

    def origin(self, path: t.Sequence[str | int] = ()) -> Origin:
        return self.blueprint.origin(path)


def resolve_platform(platform: Blueprint, lock: AddonLock | None = None) -> PlatformModel:
    spec = platform.spec
    clusters = []
    entries, versioned = platform_entries(spec)
    for ei, env in enumerate(spec.get("environments", [])):
        for ci, c in enumerate(env.get("clusters", [])):
            base = ("spec", "environments", ei, "clusters", ci)
            declared = resolve_cluster(c, base, entries, versioned)
            caps = cluster_capabilities(declared)
            gitops = c.get("gitops") or (
                "flux" if "flux" in caps else "kapp-controller" if "kapp-controller" in caps else None
            )
            addons = {a.name: _addon(platform, a, lock) for a in declared}
            clusters.append(
                Cluster(
                    env["name"],
                    c["name"],
                    c["provider"],
                    c.get("region"),
                    caps,
                    gitops,
                    platform.origin(base),
                    tuple(c.get("domains") or ()),
                    c.get("gateway") or None,
                    kubernetes_version=str(c.get("kubernetesVersion") or spec["kubernetesVersion"]),
                    addons=addons,
                )
            )
    policies = dict(spec.get("policies") or {})
    network = spec.get("network") or {}
    return PlatformModel(
        name=platform.name,
        registry=spec["registry"],
        registry_insecure=bool(spec.get("registryInsecure", False)),
        kubernetes_version=str(spec["kubernetesVersion"]),
        clusters=clusters,
        tiers=dict(spec.get("tiers") or {}),
        secrets=dict(spec.get("secrets") or {}),
        crossplane=dict(spec.get("crossplane") or {}),
        offerings=list(spec.get("offerings") or []),
        pipelines={p["name"]: p for p in spec.get("pipelines") or []},
        policies=policies,
        pod_security={**DEFAULT_PSA, **(policies.get("podSecurity") or {})},
        ingress_namespaces=list(network.get("ingressNamespaces") or DEFAULT_INGRESS_NAMESPACES),
        dns_namespace=network.get("dnsNamespace") or "kube-system",
        crds=list(spec.get("crds") or []),
        validator=spec.get("validator") or "builtin",
        blueprint=platform,
        egress_proxy=network.get("egressProxy") or None,
        observability=dict(spec.get("observability") or {}),
        addon_lock=lock,
        addons={a.name: _addon(platform, a, lock) for a in declared_addons(spec, entries, versioned)},
    )


def _addon(platform: Blueprint, a: ClusterAddon, lock: AddonLock | None) -> AddOn:
    return AddOn(
        name=a.name,
        version=a.version,
        type=a.entry.type,
        package=a.entry.package,
        capability=a.entry.capability,
        source=a.source,
        origin=platform.origin(a.version_path or a.path),
        lock=lock.matches(a) if lock is not None else None,
        install=a.entry.install,
    )


def tenant_targets(platform: PlatformModel, tenant: Blueprint, peers: t.Mapping[str, Blueprint]) -> list[TenantTarget]:
    """Every (environment, cluster) placement of one tenant, resolved."""
    spec = tenant.spec
    out = []
    clusters_by_env: dict[str, list[Cluster]] = {}
    for c in platform.clusters:
        clusters_by_env.setdefault(c.environment, []).append(c)
    offerings = {o["name"]: o for o in platform.offerings}
    for ei, env in enumerate(spec.get("environments", [])):
        ename = env["name"]
        env_path = ("spec", "environments", ei)
        wanted = env.get("clusters")
        for cluster in clusters_by_env.get(ename, []):
            if wanted and cluster.name not in wanted:
                continue
            tier_name = env.get("tier") or spec["tier"]
            origins = {
                "tier": tenant.origin((*env_path, "tier") if env.get("tier") else ("spec", "tier")),
                "environment": tenant.origin(env_path),
                "access": tenant.origin(("spec", "access")),
                "network": tenant.origin(("spec", "network")),
            }
            services = [
                _service(tenant, svc, si, env, env_path, cluster.name)
                for si, svc in enumerate(spec.get("services") or [])
            ]
            resources = []
            for ri, res in enumerate(spec.get("resources") or []):
                if res.get("environments") and ename not in res["environments"]:
                    continue
                off = offerings[res["offering"]]
                params = {k: v["default"] for k, v in (off.get("parameters") or {}).items() if "default" in v}
                params.update(res.get("parameters") or {})
                set_at = {k: ("spec", "resources", ri, "parameters", k) for k in res.get("parameters") or {}}
                # The environment's changes, then the cluster's: the most specific wins.
                for layer, at in (
                    (env, env_path),
                    (_cluster_layer(env, cluster.name), (*env_path, "clusterOverrides", cluster.name)),
                ):
                    override = ((layer.get("resources") or {}).get(res["name"]) or {}).get("parameters") or {}
                    params.update(override)
                    set_at.update({k: (*at, "resources", res["name"], "parameters", k) for k in override})
                resources.append(
                    Resource(
                        res["name"],
                        res["offering"],
                        params,
                        tenant.origin(("spec", "resources", ri)),
                        tuple(off.get("connectionDetails") or ()),
                        {k: tenant.origin(path) for k, path in set_at.items()},
                    )
                )
            events = [
                Event(
                    e["name"],
                    e.get("broker", "default"),
                    dict(e.get("filter") or {}),
                    e["subscriber"],
                    tenant.origin(("spec", "events", vi)),
                )
                for vi, e in enumerate(spec.get("events") or [])
            ]
            allow = []
            for peer in (spec.get("network") or {}).get("allowFrom") or []:
                peer_bp = peers.get(peer)
                if peer_bp is not None and any(e.get("name") == ename for e in peer_bp.spec.get("environments", [])):
                    allow.append(f"{peer}-{ename}")
            build_level = _build_pod_security(platform, services, cluster)
            builds = spec.get("builds") or {}
            origins["builds"] = tenant.origin(("spec", "builds") if builds else ("spec",))
            out.append(
                TenantTarget(
                    build_resources=build_resources(platform, services, builds) if build_level else {},
                    build_push_secret=builds.get("pushSecret"),
                    build_namespace=f"{tenant.name}-{ename}-build" if build_level else None,
                    build_pod_security=build_level,
                    name=tenant.name,
                    environment=ename,
                    cluster=cluster,
                    namespace=f"{tenant.name}-{ename}",
                    tier_name=tier_name,
                    tier=platform.tiers[tier_name],
                    access={
                        role: {"users": list(s.get("users") or []), "groups": list(s.get("groups") or [])}
                        for role, s in (spec.get("access") or {}).items()
                    },
                    services=services,
                    resources=resources,
                    events=events,
                    allow_from=sorted(allow),
                    labels=dict((tenant.data.get("metadata") or {}).get("labels") or {}),
                    description=spec.get("description"),
                    origin=tenant.origin(("metadata", "name")),
                    origins=origins,
                    blueprint=tenant,
                )
            )
    return out


def _build_pod_security(platform: PlatformModel, services: list[Service], cluster: Cluster) -> str | None:
    """The least strict Pod Security level among the pipeline templates the tenant builds with here."""
    if not cluster.has("tekton"):
        return None
    levels = [
        platform.pipelines[s.build["pipeline"]].get("podSecurity", platform.pod_security["enforce"])
        for s in services
        if s.build and s.build.get("pipeline") in platform.pipelines
    ]
    return min(levels, key=POD_SECURITY_LEVELS.index) if levels else None


def build_resources(platform: PlatformModel, services: list[Service], builds: dict[str, t.Any]) -> dict[str, t.Any]:
    """Quota, container limits and workspace size of a tenant's build namespace.

    The largest value of each key among the pipeline templates the tenant builds with (one namespace
    runs them all), then the tenant's ``spec.builds`` overrides; validation keeps both within the
    platform's ``builds.ceiling``. Keys no template sets stay absent (the tier's apply).
    """

    def bigger(a: t.Any, b: t.Any) -> t.Any:
        qa, qb = parse_quantity(a), parse_quantity(b)
        return b if qa is None or (qb is not None and qb > qa) else a

    quota: dict[str, t.Any] = {}
    container: dict[str, dict[str, t.Any]] = {}
    workspace: t.Any = None
    for svc in services:
        template = platform.pipelines.get((svc.build or {}).get("pipeline", ""))
        res = (template or {}).get("resources") or {}
        for k, v in (res.get("quota") or {}).items():
            quota[k] = bigger(quota[k], v) if k in quota else v
        for part, values in (res.get("container") or {}).items():
            have = container.setdefault(part, {})
            for k, v in values.items():
                have[k] = bigger(have[k], v) if k in have else v
        if res.get("workspace") is not None:
            workspace = res["workspace"] if workspace is None else bigger(workspace, res["workspace"])
    quota.update(builds.get("quota") or {})
    for part, values in (builds.get("container") or {}).items():
        container.setdefault(part, {}).update(values)
    if builds.get("workspace") is not None:
        workspace = builds["workspace"]
    out: dict[str, t.Any] = {}
    if quota:
        out["quota"] = quota
    if container:
        out["container"] = container
    if workspace is not None:
        out["workspace"] = workspace
    return out


def _cluster_layer(env: dict[str, t.Any], cluster: str) -> dict[str, t.Any]:
    """A tenant environment's changes for one of its clusters (``clusterOverrides.<cluster>``)."""
    return (env.get("clusterOverrides") or {}).get(cluster) or {}


def _service(
    tenant: Blueprint,
    svc: dict[str, t.Any],
    si: int,
    env: dict[str, t.Any],
    env_path: tuple[str | int, ...],
    cluster: str,
) -> Service:
    base = ("spec", "services", si)
    override = (env.get("services") or {}).get(svc["name"]) or {}
    cluster_override = (_cluster_layer(env, cluster).get("services") or {}).get(svc["name"]) or {}
    # Most specific wins: the service, then its environment's changes, then its cluster's.
    eff = deep_merge(deep_merge(svc, override), cluster_override)
    origins = FieldOrigins(
        tenant,
        base,
        [
            ((*env_path, "clusterOverrides", cluster, "services", svc["name"]), frozenset(cluster_override)),
            ((*env_path, "services", svc["name"]), frozenset(override)),
        ],
    )
    env = eff.get("env") or {}
    return Service(
        name=svc["name"],
        image=eff["image"],
        command=eff.get("command"),
        args=eff.get("args"),
        port=int(eff.get("port", DEFAULT_PORT)),
        env={k: _env_str(v) for k, v in env.items() if not isinstance(v, dict)},
        connections=[(k, v["fromResource"], v["key"]) for k, v in env.items() if isinstance(v, dict)],
        workload=eff.get("workload", "knative"),
        schedule=eff.get("schedule") or {},
        job=eff.get("job") or {},
        probes=eff.get("probes") or {},
        volumes=eff.get("volumes") or [],
        egress=eff.get("egress") or [],
        hostnames=eff.get("hostnames") or [],
        metrics=eff.get("metrics"),
        slo=eff.get("slo"),
        # Shared with the blueprint data, not copied (10,000 tenants): renderers build new objects.
        secrets=eff.get("secrets") or [],
        scaling=eff.get("scaling") or {},
        resources=eff.get("resources") or {},
        traffic=eff.get("traffic") or [],
        visibility=eff.get("visibility", "public"),
        build=eff.get("build") or None,
        origin=tenant.origin(base),
        origins=origins,
    )


def _env_str(value: t.Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve(project: Project) -> tuple[PlatformModel, dict[str, list[TenantTarget]]]:
    """The whole project resolved: bundle "<env>/<cluster>" → tenant placements (in tenant name order)."""
    assert project.platform is not None, "resolve runs on validated projects only"
    platform = resolve_platform(project.platform, project.addon_lock)
    key_value = (project.platform.spec.get("signing") or {}).get("publicKey")
    if isinstance(key_value, str) and key_value:
        platform.signing_public_key, _ = signing_public_key(project.root, key_value)
    peers = {bp.name: bp for bp in project.tenants}
    bundles: dict[str, list[TenantTarget]] = {c.bundle: [] for c in platform.clusters}
    for tenant in sorted(project.tenants, key=lambda b: b.name):
        for target in tenant_targets(platform, tenant, peers):
            bundles[target.cluster.bundle].append(target)
    return platform, bundles
