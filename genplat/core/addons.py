"""Add-ons as data: the catalog genplat ships, what a platform blueprint declares, and the lock file.

Every stage that asks what a cluster runs reads it here: validation (names, versions, the lock being
current), the resolver (each cluster's add-ons and the capabilities they give), the add-on stage
(:mod:`genplat.addons`: what to fetch) and the checks (which CRDs a cluster's objects are checked
against). Standard library only, as everything in ``core``.

An add-on is a catalog entry (:data:`CATALOG_FILE`, or one a platform blueprint adds under
``spec.addons``) at a version. A cluster runs the add-ons its ``addons`` list names, at its own version
when the item gives one, else at the platform's (``spec.addons[].version``), else at the catalog's.
Its old ``capabilities`` list still works: each capability stands for the catalog entries that give it
(``tekton`` → tekton-pipelines and tekton-triggers), at the platform's versions.

The lock (``addons.lock.json`` beside ``platform.yaml``) records, for every add-on version a cluster
runs, its source, the digest of what was fetched, every CRD file with its digest, and the kinds and
versions those CRDs serve. ``genplat addons lock`` writes it; the build reads CRDs by those digests.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import json
import re
import tomllib
import typing as t
from pathlib import Path

CATALOG_FILE = Path(__file__).with_name("addons.toml")
LOCK_FILE = "addons.lock.json"
LOCK_FORMAT = 1
SOURCE_KINDS = ("goModule", "url", "helm", "xpkg", "oci", "local")
ADDON_TYPES = ("addon", "provider", "function")
GO_PROXY = "https://proxy.golang.org"
# What a source yields when it names no paths: every YAML file (only files holding CRDs are kept).
DEFAULT_PATHS = ("**/*.yaml", "**/*.yml")
HELM_CRD_PATHS = ("crds/**/*.yaml", "crds/**/*.yml", "crds/**/*.json")


def expand(template: str, version: str) -> str:
    """``template`` with ``{version}`` (as written) and ``{semver}`` (without a leading "v") filled in."""
    semver = version[1:] if version[:1] in ("v", "V") else version
    return template.replace("{version}", version).replace("{semver}", semver)


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    """Where an add-on's CRDs come from; ``ref`` and ``tag`` are templates of the add-on version."""

    kind: str  # one of SOURCE_KINDS
    ref: tuple[str, ...]  # module path, URL templates, OCI reference or local folder (one, except url)
    paths: tuple[str, ...] = ()  # globs selecting files (relative to the module, archive or folder)
    tag: str | None = None  # module version or OCI tag template (default "{version}")

    @classmethod
    def from_dict(cls, data: t.Any) -> Source:
        """A source as the catalog and blueprints write it; ValueError says what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a source is a mapping such as {goModule: <module>, paths: [<glob>]}")
        kinds = [k for k in SOURCE_KINDS if k in data]
        if len(kinds) != 1:
            raise ValueError(f"a source names exactly one of {', '.join(SOURCE_KINDS)}")
        kind = kinds[0]
        raw = data[kind]
        refs = tuple(raw) if isinstance(raw, list) and kind == "url" else (raw,)
        if not refs or not all(isinstance(r, str) and r.strip() for r in refs):
            raise ValueError(
                f"source {kind} must be a non-empty string" + (" or a list of them" if kind == "url" else "")
            )
        paths = data.get("paths", [])
        if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
            raise ValueError("source paths must be a list of globs")
        tag = data.get("tag")
        if tag is not None and (not isinstance(tag, str) or not tag):
            raise ValueError("source tag must be a string such as '{version}'")
        unknown = sorted(set(data) - {kind, "paths", "tag"})
        if unknown:
            raise ValueError(f"unknown source field {unknown[0]!r}")
        if kind == "goModule" and not paths:
            raise ValueError("a goModule source needs paths: the globs of its CRD files inside the module")
        return cls(kind, tuple(r.strip() for r in refs), tuple(paths), tag)

    def to_dict(self) -> dict[str, t.Any]:
        out: dict[str, t.Any] = {self.kind: list(self.ref) if self.kind == "url" else self.ref[0]}
        if self.paths:
            out["paths"] = list(self.paths)
        if self.tag is not None:
            out["tag"] = self.tag
        return out

    def selected(self) -> tuple[str, ...]:
        """The globs that pick CRD files from what the source yields."""
        if self.paths:
            return self.paths
        return HELM_CRD_PATHS if self.kind == "helm" else DEFAULT_PATHS

    def tag_for(self, version: str) -> str:
        return expand(self.tag or "{version}", version)

    def describe(self, version: str) -> str:
        """One line for messages: where this source fetches ``version`` from."""
        if self.kind == "goModule":
            return f"Go module {self.ref[0]}@{self.tag_for(version)}"
        if self.kind == "url":
            urls = [expand(u, version) for u in self.ref]
            return urls[0] + (f" (+{len(urls) - 1} more)" if len(urls) > 1 else "")
        if self.kind == "local":
            return f"local folder {self.ref[0]}"
        ref = self.ref[0].removeprefix("oci://")
        return f"{self.kind} {ref}:{self.tag_for(version)}"


_NUMBERS = re.compile(r"^[vV]?(\d+)\.(\d+)\.(\d+)")
_OFFSET = re.compile(r"\{(major|minor|patch)([+-]\d+)?\}")


def release_of(template: str, version: str) -> str:
    """``template`` filled in for ``version``: ``{version}``, ``{semver}``, and ``{major}``, ``{minor}``,
    ``{patch}`` with an optional offset (``{minor-27}``: Knative's ``v0.47.0`` module is release
    ``knative-v1.20.0``). A version without those numbers is taken as the release tag itself (a platform
    that pins Knative as ``knative-v1.20.0`` with a URL source); ValueError for a negative number."""
    out = expand(template, version)
    if not _OFFSET.search(out):
        return out
    m = _NUMBERS.match(version)
    if m is None:  # a version written as the release tag itself (knative-v1.20.0): that is the release
        return version
    numbers = dict(zip(("major", "minor", "patch"), (int(g) for g in m.groups()), strict=True))

    def fill(x: re.Match[str]) -> str:
        value = numbers[x.group(1)] + int(x.group(2) or 0)
        if value < 0:
            raise ValueError(f"{template!r} gives a negative number for version {version!r}")
        return str(value)

    return _OFFSET.sub(fill, out)


INSTALL_KINDS = ("manifests", "helm", "delivery", "bootstrap", "with")
#: Install kinds a bundle installs itself; the others are there before it (or come with another add-on).
BUNDLE_INSTALLS = ("manifests", "helm")


@dataclasses.dataclass(frozen=True, slots=True)
class Install:
    """How a cluster's bundle installs an add-on (its ``addons/`` layer): release manifests by URL, a
    Helm chart, or nothing: ``delivery`` (the GitOps controller) and ``bootstrap`` (the CNI) are installed
    with the cluster, ``with`` comes in another add-on's release. Templates are of the add-on version (:func:`release_of`)."""

    kind: str  # one of INSTALL_KINDS
    urls: tuple[str, ...] = ()  # manifests: URL templates ({release} is the release tag)
    repository: str | None = None  # helm: oci://… or an HTTP chart repository
    chart: str | None = None
    release: str = "{version}"  # the release tag / chart version, from the add-on version
    namespace: str | None = None
    values: t.Mapping[str, t.Any] = dataclasses.field(default_factory=dict)
    after: tuple[str, ...] = ()  # add-ons installed before this one
    part_of: str | None = None  # with: the add-on whose release installs this one

    @classmethod
    def from_dict(cls, data: t.Any) -> Install:
        if not isinstance(data, dict):
            raise ValueError("install is a mapping such as {manifests: [<URL>]} or {helm: <repository>, chart: <name>}")
        kinds = [k for k in INSTALL_KINDS if k in data]
        if len(kinds) != 1:
            raise ValueError(f"install names exactly one of {', '.join(INSTALL_KINDS)}")
        kind = kinds[0]
        unknown = sorted(set(data) - {kind, "chart", "release", "namespace", "values", "after"})
        if unknown:
            raise ValueError(f"unknown install field {unknown[0]!r}")
        urls: tuple[str, ...] = ()
        if kind == "manifests":
            raw = data["manifests"]
            urls = tuple(raw) if isinstance(raw, list) else (raw,)
            if not urls or not all(isinstance(u, str) and u.startswith(("https://", "http://")) for u in urls):
                raise ValueError("install manifests are http(s) URL templates")
        if kind == "helm" and not (isinstance(data.get("helm"), str) and isinstance(data.get("chart"), str)):
            raise ValueError("a helm install names its repository (helm: oci://… or https://…) and chart")
        if kind in ("delivery", "bootstrap") and data[kind] is not True:
            raise ValueError(f"install {kind} must be true")
        if kind == "with" and not (isinstance(data["with"], str) and data["with"]):
            raise ValueError("install with names the add-on whose release installs this one")
        values = data.get("values", {})
        after = data.get("after", [])
        if not isinstance(values, dict) or not isinstance(after, list):
            raise ValueError("install values is a mapping and after a list of add-on names")
        return cls(
            kind,
            urls,
            str(data["helm"]).rstrip("/") if kind == "helm" else None,
            str(data["chart"]) if kind == "helm" else None,
            str(data.get("release") or "{version}"),
            str(data["namespace"]) if isinstance(data.get("namespace"), str) else None,
            values,
            tuple(str(a) for a in after),
            str(data["with"]) if kind == "with" else None,
        )

    def release_for(self, version: str) -> str:
        return release_of(self.release, version)

    def urls_for(self, version: str) -> tuple[str, ...]:
        release = self.release_for(version)
        return tuple(expand(u, version).replace("{release}", release) for u in self.urls)


@dataclasses.dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What an add-on is and where its CRDs come from."""

    name: str
    source: Source
    version: str | None = None  # the default version (the platform's, else the catalog's)
    description: str = ""
    capability: str | None = None
    type: str = "addon"
    package: str | None = None
    note: str | None = None
    builtin: bool = True
    install: Install | None = None  # how a bundle installs it (None: providers and functions, or unknown)


@functools.cache
def catalog() -> dict[str, CatalogEntry]:
    """The add-ons genplat knows, by name (``addons.toml`` beside this module)."""
    with CATALOG_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    out: dict[str, CatalogEntry] = {}
    for name, entry in data.items():
        out[name] = CatalogEntry(
            name=name,
            source=Source.from_dict(entry["source"]),
            version=entry["version"],
            description=entry.get("description", ""),
            capability=entry.get("capability", name),
            type=entry.get("type", "addon"),
            package=entry.get("package"),
            note=entry.get("note"),
            install=Install.from_dict(entry["install"]) if "install" in entry else None,
        )
    return out


def capability_addons() -> dict[str, tuple[str, ...]]:
    """Capability → the catalog entries that give it, in catalog order (what an old ``capabilities`` item
    stands for)."""
    out: dict[str, list[str]] = {}
    for name, entry in catalog().items():
        if entry.capability:
            out.setdefault(entry.capability, []).append(name)
    return {k: tuple(v) for k, v in out.items()}


def _dict(x: t.Any) -> dict[str, t.Any]:
    return x if isinstance(x, dict) else {}


def _list(x: t.Any) -> list[t.Any]:
    return x if isinstance(x, list) else []


def platform_entries(spec: t.Mapping[str, t.Any]) -> tuple[dict[str, CatalogEntry], dict[str, int]]:
    """The catalog as the platform sees it: built-in entries with ``spec.addons`` applied (its version,
    source, package), plus the platform's own entries (those with a source). Also, for each name whose
    ``spec.addons`` item sets a version, that item's index. Entries that are neither known nor given a
    source are left out (validation reports them)."""
    entries = dict(catalog())
    index: dict[str, int] = {}
    seen: set[str] = set()
    for i, item in enumerate(_list(spec.get("addons"))):
        item = _dict(item)
        name = item.get("name")
        if not isinstance(name, str) or name in seen:
            continue
        seen.add(name)
        if isinstance(item.get("version"), str):
            index[name] = i
        base = entries.get(name)
        try:
            source = Source.from_dict(item["source"]) if "source" in item else None
        except ValueError:
            source = None
        if source is None and base is None:
            continue
        version = item.get("version") if isinstance(item.get("version"), str) else None
        try:
            install = Install.from_dict(item["install"]) if "install" in item else None
        except ValueError:
            install = None
        entries[name] = CatalogEntry(
            name=name,
            source=source or t.cast(CatalogEntry, base).source,
            version=version or (base.version if base else None),
            description=str(item.get("description") or (base.description if base else "")),
            capability=str(item.get("capability") or (base.capability if base else name)),
            type=str(item.get("type") or (base.type if base else "addon")),
            package=str(item["package"]) if isinstance(item.get("package"), str) else (base.package if base else None),
            note=base.note if base else None,
            builtin=base is not None and source is None,
            install=install or (base.install if base else None),
        )
    return entries, index


PathT = tuple[str | int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterAddon:
    """One add-on a cluster runs, as the platform blueprint declares it (before any lock is read)."""

    name: str
    version: str
    entry: CatalogEntry
    path: PathT  # where the cluster asks for it: its addons item, or its capabilities item
    version_path: PathT | None  # where the version is written (None: the catalog's default)

    @property
    def source(self) -> Source:
        return self.entry.source

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.version)


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterRequest:
    """What a cluster's ``addons`` item or ``capabilities`` item asks for, before it is resolved."""

    name: str
    version: str | None
    path: PathT
    from_capability: str | None = None


def cluster_requests(cluster: t.Mapping[str, t.Any], base: PathT) -> list[ClusterRequest]:
    """The add-ons a raw cluster mapping asks for: its ``addons`` items (a name, or ``{name, version}``),
    then what its ``capabilities`` stand for that no item already names."""
    out: list[ClusterRequest] = []
    named: set[str] = set()
    for i, item in enumerate(_list(cluster.get("addons"))):
        if isinstance(item, str):
            name, version = item, None
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            name = item["name"]
            version = item.get("version") if isinstance(item.get("version"), str) else None
        else:
            continue
        if name in named:
            continue
        named.add(name)
        out.append(ClusterRequest(name, version, (*base, "addons", i)))
    expansion = capability_addons()
    for i, cap in enumerate(_list(cluster.get("capabilities"))):
        for name in expansion.get(cap, ()) if isinstance(cap, str) else ():
            if name not in named:
                named.add(name)
                out.append(ClusterRequest(name, None, (*base, "capabilities", i), from_capability=cap))
    return out


def resolve_cluster(
    cluster: t.Mapping[str, t.Any], base: PathT, entries: t.Mapping[str, CatalogEntry], index: t.Mapping[str, int]
) -> list[ClusterAddon]:
    """A cluster's add-ons with their versions; requests for unknown names or without any version are left
    out (validation reports them)."""
    out: list[ClusterAddon] = []
    for req in cluster_requests(cluster, base):
        entry = entries.get(req.name)
        if entry is None:
            continue
        where: PathT | None
        if req.version is not None:
            version, where = req.version, (*req.path, "version")
        elif req.name in index:  # the platform's version
            version, where = entry.version or "", ("spec", "addons", index[req.name], "version")
        else:  # the catalog's
            version, where = entry.version or "", None
        if not version:
            continue
        out.append(ClusterAddon(req.name, version, entry, req.path, where))
    return out


def declared_addons(
    spec: t.Mapping[str, t.Any], entries: t.Mapping[str, CatalogEntry], index: t.Mapping[str, int]
) -> list[ClusterAddon]:
    """The platform's blessed versions: every ``spec.addons`` item that gives a version, whether or not a
    cluster runs it yet (a provider blessed for clusters that do not exist yet, say). They are locked too,
    and what no cluster selects (a Composition for another cloud) is checked against them."""
    out = []
    for name, i in index.items():
        entry = entries.get(name)
        if entry is not None and entry.version:
            path: PathT = ("spec", "addons", i)
            out.append(ClusterAddon(name, entry.version, entry, path, (*path, "version")))
    return out


def cluster_capabilities(addons: t.Iterable[ClusterAddon]) -> frozenset[str]:
    """What the renderers may rely on: every capability the cluster's add-ons give."""
    return frozenset(a.entry.capability for a in addons if a.entry.capability)


def clusters_of(spec: t.Mapping[str, t.Any]) -> t.Iterator[tuple[str, str, t.Mapping[str, t.Any], PathT]]:
    """(environment, cluster name, cluster mapping, its path) for every cluster of a platform spec."""
    for ei, env in enumerate(_list(spec.get("environments"))):
        env = _dict(env)
        for ci, cluster in enumerate(_list(env.get("clusters"))):
            cluster = _dict(cluster)
            name = cluster.get("name")
            if isinstance(env.get("name"), str) and isinstance(name, str):
                yield env["name"], name, cluster, ("spec", "environments", ei, "clusters", ci)


def raw_cluster_capabilities(cluster: t.Mapping[str, t.Any], spec: t.Mapping[str, t.Any]) -> frozenset[str]:
    """The capabilities of a raw cluster mapping (for checks that run before the resolver)."""
    entries, index = _platform_entries_cached(spec)
    return cluster_capabilities(resolve_cluster(cluster, (), entries, index))


def _platform_entries_cached(spec: t.Mapping[str, t.Any]) -> tuple[dict[str, CatalogEntry], dict[str, int]]:
    # Validation asks per tenant and cluster; the platform's entries are the same each time.
    key = json.dumps(spec.get("addons"), sort_keys=True, default=str)
    return _entries_for(key)


@functools.lru_cache(maxsize=8)
def _entries_for(addons_json: str) -> tuple[dict[str, CatalogEntry], dict[str, int]]:
    return platform_entries({"addons": json.loads(addons_json)})


# ---- paths inside archives and folders ---------------------------------------------------------------


def glob_match(pattern: str, path: str) -> bool:
    """Whether POSIX ``path`` matches ``pattern``: ``*``, ``?`` and ``[…]`` within one segment, ``**`` for any
    number of segments (as a shell's globstar)."""
    return _segments_match(pattern.strip("/").split("/"), path.split("/"))


def _segments_match(pat: list[str], parts: list[str]) -> bool:
    if not pat:
        return not parts
    if pat[0] == "**":
        return any(_segments_match(pat[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pat[0]) and _segments_match(pat[1:], parts[1:])


def module_escape(path: str) -> str:
    """A module path or version as the Go module proxy spells it: capitals as ``!`` + lower case."""
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), path)


def go_module_url(module: str, version: str) -> str:
    return f"{GO_PROXY}/{module_escape(module)}/@v/{module_escape(version)}.zip"


# ---- the lock file ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Fetched:
    """One thing fetched for an add-on version: a URL, an OCI reference or a local folder, and its digest
    (of the bytes downloaded; of the manifest for OCI; of the listed files for a folder)."""

    ref: str
    digest: str


@dataclasses.dataclass(frozen=True, slots=True)
class LockedFile:
    """A CRD file of an add-on version: its path inside what was fetched, and its digest (its name in
    the cache)."""

    path: str
    digest: str


@dataclasses.dataclass(frozen=True, slots=True)
class LockEntry:
    name: str
    version: str
    source: Source
    fetched: tuple[Fetched, ...]
    crds: tuple[LockedFile, ...]
    serves: t.Mapping[str, tuple[str, ...]]  # "Kind.group" → served versions
    clusters: tuple[str, ...] = ()  # "<env>/<cluster>" of every cluster that runs it

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.version)

    def serves_kind(self, group: str, kind: str) -> tuple[str, ...]:
        return tuple(self.serves.get(f"{kind}.{group}", ()))

    def to_dict(self) -> dict[str, t.Any]:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source.to_dict(),
            "fetched": [{"ref": f.ref, "digest": f.digest} for f in self.fetched],
            "crds": [{"path": c.path, "digest": c.digest} for c in self.crds],
            "serves": {k: list(v) for k, v in sorted(self.serves.items())},
            "clusters": list(self.clusters),
        }


@dataclasses.dataclass(slots=True)
class AddonLock:
    """The lock file's entries, by (name, version)."""

    entries: dict[tuple[str, str], LockEntry]
    file: str = LOCK_FILE

    def get(self, name: str, version: str) -> LockEntry | None:
        return self.entries.get((name, version))

    def matches(self, addon: ClusterAddon) -> LockEntry | None:
        """The entry of exactly this add-on version from exactly this source, or None (the lock is stale)."""
        entry = self.entries.get(addon.key)
        return entry if entry is not None and entry.source == addon.source else None


LOCK_COMMENT = (
    "Written by `genplat addons lock`: every add-on version a cluster runs, where its CRDs come from, the digest "
    "of what was fetched and of each CRD file, and the kinds it serves. Commit it; a change here is a reviewed "
    "change of what the clusters run."
)


def lock_bytes(entries: t.Iterable[LockEntry]) -> bytes:
    """The lock file's bytes: entries by name and version, keys in a fixed order, one line per fetched
    thing, CRD file and kind (so a version bump reads as a line diff), one trailing newline."""
    ordered = sorted(entries, key=lambda e: (e.name, _version_key(e.version)))

    def leaf(value: t.Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    def block(items: list[str], opener: str, closer: str, indent: str) -> str:
        if not items:
            return opener + closer
        return opener + "\n" + ",\n".join(indent + "  " + i for i in items) + "\n" + indent + closer

    out = []
    for e in ordered:
        d = e.to_dict()
        fields = [
            f'"name": {leaf(d["name"])}',
            f'"version": {leaf(d["version"])}',
            f'"source": {leaf(d["source"])}',
            '"fetched": ' + block([leaf(f) for f in d["fetched"]], "[", "]", "      "),
            '"crds": ' + block([leaf(c) for c in d["crds"]], "[", "]", "      "),
            '"serves": ' + block([f"{leaf(k)}: {leaf(v)}" for k, v in d["serves"].items()], "{", "}", "      "),
            f'"clusters": {leaf(d["clusters"])}',
        ]
        out.append(block(fields, "{", "}", "    "))
    head = f'{{\n  "comment": {leaf(LOCK_COMMENT)},\n  "lockVersion": {LOCK_FORMAT},\n  "addons": '
    return (head + block(out, "[", "]", "  ") + "\n}\n").encode("utf-8")


def _version_key(version: str) -> tuple[t.Any, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-+]", version.lstrip("vV")))


_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


Problem = tuple[int | None, int | None, str]  # (line, column, message)


def parse_lock(raw: bytes, file: str = LOCK_FILE) -> tuple[AddonLock | None, list[Problem]]:
    """The lock, or None with problems as (line, column, message)."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [(None, None, "the add-on lock is not UTF-8 text")]
    except json.JSONDecodeError as exc:
        return None, [(exc.lineno, exc.colno, f"the add-on lock is not valid JSON: {exc.msg}")]
    if not isinstance(doc, dict) or doc.get("lockVersion") != LOCK_FORMAT or not isinstance(doc.get("addons"), list):
        return None, [(1, 1, f"the add-on lock is not a lockVersion {LOCK_FORMAT} file with an addons list")]
    entries: dict[tuple[str, str], LockEntry] = {}
    problems: list[Problem] = []
    for i, item in enumerate(doc["addons"]):
        try:
            entry = _entry(item)
        except (ValueError, KeyError, TypeError) as exc:
            problems.append((None, None, f"addons[{i}] of the add-on lock is malformed: {exc}"))
            continue
        if entry.key in entries:
            problems.append((None, None, f"the add-on lock lists {entry.name} {entry.version} twice"))
        entries[entry.key] = entry
    return (None if problems else AddonLock(entries, file)), problems


def _digest(value: t.Any) -> str:
    if not isinstance(value, str) or not _DIGEST.fullmatch(value):
        raise ValueError(f"{value!r} is not a sha256:<hex> digest")
    return value


def _entry(item: t.Any) -> LockEntry:
    if not isinstance(item, dict):
        raise ValueError("not a mapping")
    name, version = item["name"], item["version"]
    if not isinstance(name, str) or not isinstance(version, str):
        raise ValueError("name and version must be strings")
    serves = item.get("serves") or {}
    if not isinstance(serves, dict):
        raise ValueError("serves must be a mapping")
    return LockEntry(
        name=name,
        version=version,
        source=Source.from_dict(item["source"]),
        fetched=tuple(Fetched(str(f["ref"]), _digest(f["digest"])) for f in item["fetched"]),
        crds=tuple(LockedFile(str(c["path"]), _digest(c["digest"])) for c in item["crds"]),
        serves={str(k): tuple(str(v) for v in vs) for k, vs in serves.items()},
        clusters=tuple(str(c) for c in item.get("clusters") or ()),
    )
