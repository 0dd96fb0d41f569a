"""Lock the add-ons every cluster runs, and give the build the CRD files of exactly those versions.

:func:`lock_addons` (``genplat addons lock``) resolves each cluster's add-ons, keeps the lock's entry for
every version it already records (fetching it only when the cache lacks it, and then checking it against
the lock), fetches what is new, and writes ``addons.lock.json`` beside ``platform.yaml``.
:func:`cluster_crds` (the build) reads the lock's CRD files from the cache, filling a cold cache from the
sources the lock names, checked against its digests.

Whole or not at all: everything is fetched and checked first, then the cache entries are written, then
the lock (to a temporary file renamed into place). A digest that differs from the lock's, a hostile
archive, a file over the size bound or a cold cache under ``offline`` raises :class:`~genplat.FetchError`
before anything is written.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import typing as t
from pathlib import Path

from genplat.addons import store
from genplat.addons.local import read_local, tree_digest
from genplat.addons.mirrors import Mirrors
from genplat.core.addons import LOCK_FILE, AddonLock, Fetched, LockedFile, LockEntry, Source, lock_bytes
from genplat.core.diagnostics import has_errors
from genplat.core.digests import sha256_digest
from genplat.core.errors import FetchError, FindingsError, OutdatedError
from genplat.loader.project import blueprint_folder, load_project
from genplat.resolver.model import PlatformModel, resolve_platform
from genplat.validation import validate

if t.TYPE_CHECKING:
    from genplat.addons.sources import Fetcher, Got

ENV_CA_FILE = "GENPLAT_CA_FILE"
# Where the CA bundle comes from without --ca-file, first set wins (else certifi's bundle): genplat's own
# variable, then the ones requests and OpenSSL read (the clients ignore the environment otherwise, so a
# proxy variable never reroutes a download).
CA_ENV = (ENV_CA_FILE, "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


@dataclasses.dataclass(slots=True)
class FetchOptions:
    """How add-on CRDs are fetched when the cache lacks them."""

    offline: bool = False  # never fetch: a cold cache is an error
    mirrors: tuple[str, ...] = ()  # HOST=URL (after GENPLAT_MIRRORS)
    ca_file: str | None = None  # a CA bundle for HTTPS sources and registries (default: see CA_ENV)
    timeout: float = 120.0  # seconds per download
    max_size: int = 256 << 20  # bytes per download (and per archive, expanded)
    env: t.Mapping[str, str] | None = None  # instead of os.environ (tests)

    def fetcher(self, base: Path) -> Fetcher:
        # Deferred: the HTTP and registry clients (requests) load only when something must be fetched.
        from genplat.addons.sources import Fetcher

        env = os.environ if self.env is None else self.env
        return Fetcher(
            mirrors=Mirrors.parse(self.mirrors, env=env),
            base=base,
            timeout=self.timeout,
            max_bytes=self.max_size,
            ca_file=self.ca_file or next((env[k] for k in CA_ENV if env.get(k)), None),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Wanted:
    """One add-on version that clusters run, from one source."""

    name: str
    version: str
    source: Source
    clusters: tuple[str, ...]


def wanted(platform: PlatformModel) -> dict[tuple[str, str], Wanted]:
    """Every add-on version some cluster runs, with the clusters that run it."""
    found: dict[tuple[str, str, str], list[str]] = {}
    sources: dict[tuple[str, str, str], Source] = {}
    for cluster in platform.clusters:
        for addon in cluster.addons.values():
            key = (addon.name, addon.version, repr(addon.source))
            found.setdefault(key, []).append(cluster.bundle)
            sources[key] = addon.source
    for addon in platform.addons.values():  # blessed by the platform, run by no cluster yet
        key = (addon.name, addon.version, repr(addon.source))
        found.setdefault(key, [])
        sources[key] = addon.source
    out: dict[tuple[str, str], Wanted] = {}
    for (name, version, skey), clusters in found.items():
        if (name, version) in out:  # validation refuses one version from two sources; keep the first
            continue
        out[(name, version)] = Wanted(name, version, sources[(name, version, skey)], tuple(clusters))
    return out


@dataclasses.dataclass(slots=True)
class LockResult:
    path: Path  # the lock file
    data: bytes  # its new bytes
    changed: bool  # differs from what is on disk (with check_only: would be written)
    added: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    kept: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    removed: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    fetched: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # from the network this run
    entries: list[LockEntry] = dataclasses.field(default_factory=list)


def lock_addons(
    project: Path,
    options: FetchOptions | None = None,
    *,
    check_only: bool = False,
    refresh: t.Collection[str] = (),
) -> LockResult:
    """Resolve, fetch and lock every cluster's add-ons (see the module docstring). ``refresh`` names add-ons
    whose locked versions are fetched again and recorded anew (after upstream republished one, say).
    ``check_only`` fetches and writes nothing: it says whether the lock records what the blueprints ask."""
    options = options or FetchOptions()
    root = blueprint_folder(project)
    loaded = load_project(root)
    if loaded.platform is None:
        raise FindingsError([d for d in loaded.diagnostics], "no platform blueprint to lock the add-ons of")
    platform_file = loaded.platform.file
    # The lock is what this command rewrites: its own staleness is no reason to stop.
    findings = [
        d
        for d in validate(loaded)
        if d.file == platform_file and d.rule not in ("addon-not-locked", "addons-lock-invalid")
    ]
    if has_errors(findings):
        raise FindingsError(findings, "the platform blueprint has errors; fix them before locking its add-ons")
    unknown = set(refresh) - {n for c in resolve_platform(loaded.platform).clusters for n in c.addons}
    if unknown:
        raise FetchError(f"--refresh names {', '.join(sorted(unknown))}, which no cluster runs")
    old = loaded.addon_lock or AddonLock({})
    platform = resolve_platform(loaded.platform, old)
    fetcher = options.fetcher(root)
    result = LockResult(path=root / LOCK_FILE, data=b"", changed=False)
    pending: dict[str, bytes] = {}
    entries: list[LockEntry] = []
    for (name, version), want in sorted(wanted(platform).items()):
        entry = old.get(name, version)
        if check_only:  # what would change, from the blueprints and the lock alone: nothing is fetched
            if entry is not None and entry.source == want.source and name not in refresh:
                result.kept.append((name, version))
                entries.append(dataclasses.replace(entry, clusters=want.clusters))
            else:
                result.added.append((name, version))
            continue
        # A local folder is the platform team's own: what it holds now is what gets locked.
        if entry is not None and entry.source == want.source and name not in refresh and want.source.kind != "local":
            got = _ensure(fetcher, entry, options.offline)
            if got is not None:
                pending.update(got)
                result.fetched.append((name, version))
            result.kept.append((name, version))
            entries.append(dataclasses.replace(entry, clusters=want.clusters))
            continue
        if options.offline and want.source.kind != "local":
            raise FetchError(
                f"add-on {name} {version} is not in the lock and --offline forbids fetching it",
                hint="run `genplat addons lock` where its source is reachable (or set a mirror)",
            )
        got_new = _fetch(fetcher, name, version, want.source)
        pending.update(_blobs(got_new))
        new = _entry(want, got_new)
        if entry is not None and dataclasses.replace(entry, clusters=want.clusters) == new:
            result.kept.append((name, version))  # a local folder as it was
        else:
            result.fetched.append((name, version))
            result.added.append((name, version))
        entries.append(new)
    kept_keys = {e.key for e in entries}
    result.removed = sorted(k for k in old.entries if k not in kept_keys)
    result.entries = entries
    result.data = lock_bytes(entries)
    try:
        on_disk: bytes | None = result.path.read_bytes()
    except FileNotFoundError:
        on_disk = None
    result.changed = on_disk != result.data or bool(result.added)
    if check_only:
        return result
    store.put_all(pending)
    if result.changed:
        _write_atomically(result.path, result.data)
    return result


def cluster_crds(platform: PlatformModel, options: FetchOptions | None = None) -> dict[str, list[Path]]:
    """Bundle → the cached CRD files of the cluster's locked add-ons, filling a cold cache from the lock's
    sources (checked against its digests). Clusters of a project without a lock are left out. The files
    of every add-on version the platform blesses are in the cache afterwards (:func:`declared_crds`)."""
    options = options or FetchOptions()
    if platform.addon_lock is None:
        return {}
    fetcher: Fetcher | None = None
    pending: dict[str, bytes] = {}
    entries: dict[tuple[str, str], LockEntry] = {}
    for addon in [*(a for c in platform.clusters for a in c.addons.values()), *platform.addons.values()]:
        if addon.lock is not None:
            entries[addon.lock.key] = addon.lock
    base = Path(platform.blueprint.file).parent
    for entry in entries.values():
        if _cached(entry, base):
            continue
        fetcher = fetcher or options.fetcher(base)
        got = _ensure(fetcher, entry, options.offline)
        pending.update(got or {})
    store.put_all(pending)
    out: dict[str, list[Path]] = {}
    for cluster in platform.clusters:
        if cluster.addons and cluster.locked:
            out[cluster.bundle] = [
                store.path_of(c.digest) for a in cluster.addons.values() if a.lock is not None for c in a.lock.crds
            ]
        elif not cluster.addons:
            out[cluster.bundle] = []
    return out


def declared_crds(platform: PlatformModel) -> list[Path]:
    """The cached CRD files of every add-on version the platform blesses (``spec.addons``), run by a
    cluster or not: what a Composition no cluster selects is checked against. Call after
    :func:`cluster_crds`, which puts them in the cache."""
    return [store.path_of(c.digest) for a in platform.addons.values() if a.lock is not None for c in a.lock.crds]


def _cached(entry: LockEntry, base: Path) -> bool:
    """Whether the cache holds every CRD file of a locked entry; for a local folder, also that the folder
    still holds what was locked (its files are hashed, not parsed, so this stays cheap)."""
    if entry.source.kind == "local":
        files = read_local(base, entry.source)
        if [f.digest for f in entry.fetched] != [tree_digest(files)]:
            raise OutdatedError(
                f"add-on {entry.name} {entry.version}: local folder {entry.source.ref[0]} changed since it was "
                "locked; refusing to check against CRDs nobody locked",
                hint="review the change and run `genplat addons lock`, then commit the lock",
            )
    return all(store.has(c.digest) for c in entry.crds)


def _fetch(fetcher: Fetcher, name: str, version: str, source: Source, pinned: t.Sequence[Fetched] = ()) -> Got:
    # Deferred: see FetchOptions.fetcher.
    from genplat.addons.sources import fetch

    return fetch(fetcher, name, version, source, pinned=pinned)


def _ensure(fetcher: Fetcher, entry: LockEntry, offline: bool) -> dict[str, bytes] | None:
    """The blobs to store for a locked entry the cache lacks (None: the cache has it all), checked
    against the lock."""
    if entry.source.kind != "local" and all(store.has(c.digest) for c in entry.crds):
        return None
    what = f"add-on {entry.name} {entry.version}"
    if offline and entry.source.kind != "local":
        raise FetchError(
            f"{what} is not in the cache ({store.root()}) and --offline forbids fetching it",
            hint="fetch it once without --offline (`genplat addons lock` or a build), or restore the cache",
        )
    got = _fetch(fetcher, entry.name, entry.version, entry.source, entry.fetched)
    have = {f.ref: f.digest for f in got.fetched}
    for f in entry.fetched:
        if have.get(f.ref) != f.digest:
            raise FetchError(
                f"{what}: {f.ref} has digest {have.get(f.ref, 'none')}, but the lock records {f.digest}; "
                "refusing it (nothing was cached)",
                hint=f"if the change is genuine, review it and run `genplat addons lock --refresh {entry.name}`",
            )
    files = {path: sha256_digest(body) for path, body in got.files.items()}
    locked = {c.path: c.digest for c in entry.crds}
    if files != locked:
        differ = sorted(p for p in set(files) | set(locked) if files.get(p) != locked.get(p))
        raise FetchError(
            f"{what}: its CRD files differ from the lock's ({', '.join(differ[:3])}{', …' if len(differ) > 3 else ''}); "
            "refusing them (nothing was cached)",
            hint=f"if the change is genuine, review it and run `genplat addons lock --refresh {entry.name}`",
        )
    return _blobs(got)


def _blobs(got: Got) -> dict[str, bytes]:
    return {sha256_digest(body): body for body in got.files.values()}


def _entry(want: Wanted, got: Got) -> LockEntry:
    return LockEntry(
        name=want.name,
        version=want.version,
        source=want.source,
        fetched=tuple(got.fetched),
        crds=tuple(LockedFile(path, sha256_digest(body)) for path, body in sorted(got.files.items())),
        serves=got.serves,
        clusters=want.clusters,
    )


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


__all__ = ["FetchOptions", "Fetched", "LockResult", "Wanted", "cluster_crds", "declared_crds", "lock_addons", "wanted"]
