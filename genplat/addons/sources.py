"""Fetch one add-on version from its source: the bytes, their digests, and the CRD files inside.

Every source kind ends the same way: the files it yields (a module zip's, a tarball's, an artifact's
layers', a folder's) are narrowed to the source's ``paths`` and then to the files that hold a
``CustomResourceDefinition``, kept byte for byte. What was fetched is recorded by its upstream
reference (never a mirror's) and digest: the download's bytes for HTTP sources, the manifest (or
index) for OCI sources, the sorted files for a local folder.

* ``goModule``: ``https://proxy.golang.org/<module>/@v/<version>.zip``; the zip's ``<module>@<version>/``
  prefix is cut, so paths are relative to the module (as ``tools/upstream.toml`` writes them).
* ``url``: each URL; a ``.tar.gz`` or ``.zip`` is searched with ``paths``, anything else is one file.
* ``helm``: an OCI Helm chart (config ``application/vnd.cncf.helm.config.v1+json``, the chart's
  tarball as the ``application/vnd.cncf.helm.chart.content.v1.tar+gzip`` layer, tag = the version with
  ``+`` as ``_``); the chart's top folder is cut, so its CRDs are at ``crds/``.
* ``xpkg``: a Crossplane package (an image, or an index of them: the first ``linux/amd64`` image, else
  the first); the layer annotated ``io.crossplane.xpkg: base`` (or named so by the config's labels,
  else the first layer holding one) holds ``package.yaml``: the package's metadata, then its CRDs.
* ``oci``: an artifact whose layers are tarballs (``…tar+gzip``) or single files named by their
  ``org.opencontainers.image.title`` annotation.
* ``local``: a folder beside the platform blueprint (regular files only; nothing outside it).
"""

from __future__ import annotations

import dataclasses
import json
import typing as t
import urllib.parse
from pathlib import Path, PurePosixPath

from genplat.addons.archive import crd_documents, kind_of, read_tar, read_zip, select, served
from genplat.addons.local import read_local, tree_digest
from genplat.addons.mirrors import Mirrors
from genplat.core.addons import Fetched, Source, expand, go_module_url
from genplat.core.errors import FetchError, GenplatError
from genplat.packaging.artifact import ANN_TITLE, DOCKER_MANIFEST_LIST, OCI_INDEX, Blob
from genplat.packaging.tar import UnsafeArchiveError, check_member_name
from genplat.publish.auth import resolve_credentials
from genplat.publish.download import Downloader
from genplat.publish.registry import RegistryClient

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
XPKG_ANNOTATION = "io.crossplane.xpkg"
XPKG_FILE = "package.yaml"


@dataclasses.dataclass(slots=True)
class Fetcher:
    """How fetching is done: mirrors, bounds, TLS trust; one per command run."""

    mirrors: Mirrors
    base: Path  # the platform blueprint's folder (local sources are relative to it)
    timeout: float = 120.0
    max_bytes: int = 256 << 20
    ca_file: str | None = None
    downloader: Downloader | None = None
    _clients: dict[tuple[str, bool], RegistryClient] = dataclasses.field(default_factory=dict)

    def download(self, url: str) -> tuple[bytes, str]:
        """The bytes of ``url`` (through its mirror) and their digest."""
        if self.downloader is None:
            self.downloader = Downloader(timeout=self.timeout, max_bytes=self.max_bytes, ca_file=self.ca_file)
        mirrored = self.mirrors.url(url)
        try:
            got = self.downloader.get(mirrored)
        except FetchError as exc:
            if mirrored == url:
                raise
            # Name what the lock names, and where it was asked for.
            raise FetchError(exc.message.replace(mirrored, f"{url} (mirrored to {mirrored})"), hint=exc.hint) from None
        return got.data, got.digest

    def registry(self, host: str, insecure: bool) -> RegistryClient:
        key = (host, insecure)
        if key not in self._clients:
            self._clients[key] = RegistryClient(
                host,
                insecure=insecure,
                ca_file=self.ca_file,
                credentials=resolve_credentials(host),
                timeout=self.timeout,
            )
        return self._clients[key]


@dataclasses.dataclass(slots=True)
class Got:
    """What one add-on version's source yielded."""

    fetched: list[Fetched]
    files: dict[str, bytes]  # CRD files: path inside what was fetched → bytes
    serves: dict[str, tuple[str, ...]]


def fetch(fetcher: Fetcher, name: str, version: str, source: Source, *, pinned: t.Sequence[Fetched] = ()) -> Got:
    """Fetch ``name`` at ``version`` from ``source``. OCI sources are fetched by the digests in ``pinned``
    (the lock's) when given, so a moved tag cannot change what a locked version means."""
    what = f"add-on {name} {version}"
    try:
        fetched, files = _FETCH[source.kind](fetcher, version, source, pinned)
        crds = {}
        docs: list[dict[str, t.Any]] = []
        for path, body in select(files, source.selected()).items():
            found = crd_documents(body, path)
            if found:
                crds[path] = body
                docs.extend(found)
    except UnsafeArchiveError as exc:
        raise FetchError(
            f"{what}: hostile archive from {source.describe(version)}: {exc.message}; nothing was cached"
        ) from None
    except FetchError as exc:
        raise FetchError(f"{what}: {exc.message}") from None
    except GenplatError as exc:
        raise FetchError(f"{what}: {exc.message}", hint=exc.hint) from None
    if not crds:
        raise FetchError(
            f"{what}: {source.describe(version)} holds no CustomResourceDefinition under {', '.join(source.selected())}",
            hint="check the source's paths (globs relative to the module, archive or folder)",
        )
    return Got(fetched, crds, served(docs))


def _go_module(
    fetcher: Fetcher, version: str, source: Source, pinned: t.Sequence[Fetched]
) -> tuple[list[Fetched], dict[str, bytes]]:
    module, mversion = source.ref[0], source.tag_for(version)
    url = go_module_url(module, mversion)
    data, digest = fetcher.download(url)
    if kind_of(data) != "zip":
        raise FetchError(f"{url} is not a zip archive")
    # Module zips hold every file under "<module>@<version>/" (as the module is written, not escaped).
    files = read_zip(data, prefix=f"{module}@{mversion}/")
    if not files:
        raise FetchError(f"{url} holds no files under {module}@{mversion}/ (is it the module's zip?)")
    return [Fetched(url, digest)], files


def _url(
    fetcher: Fetcher, version: str, source: Source, pinned: t.Sequence[Fetched]
) -> tuple[list[Fetched], dict[str, bytes]]:
    fetched: list[Fetched] = []
    files: dict[str, bytes] = {}
    for template in source.ref:
        url = expand(template, version)
        data, digest = fetcher.download(url)
        fetched.append(Fetched(url, digest))
        kind = kind_of(data)
        if kind == "zip":
            part = read_zip(data)
        elif kind == "tar.gz":
            part = read_tar(data)
        else:  # one manifest, named by the URL (a name without a YAML suffix gets one: it is read as YAML)
            name = PurePosixPath(urllib.parse.urlsplit(url).path).name or "manifest"
            part = {name if name.endswith((".yaml", ".yml", ".json")) else f"{name}.yaml": data}
        for path, body in part.items():
            if path in files:
                raise FetchError(f"two URLs of the source yield {path}; give them paths that keep them apart")
            files[path] = body
    return fetched, files


def _oci_ref(ref: str) -> tuple[str, str]:
    """(registry host, repository) of ``oci://host/repo`` or ``host/repo``."""
    bare = ref.removeprefix("oci://").strip("/")
    host, _, repo = bare.partition("/")
    if not host or not repo or "@" in repo or ":" in repo.rsplit("/", 1)[-1]:
        raise FetchError(f"{ref!r} is not <registry>/<repository> (the version gives the tag)")
    return host, repo


def _manifest(
    fetcher: Fetcher, ref: str, version: str, source: Source, pinned: t.Sequence[Fetched], *, helm: bool = False
) -> tuple[RegistryClient, str, Blob, Fetched]:
    host, repo = _oci_ref(ref)
    tag = source.tag_for(version).replace("+", "_") if helm else source.tag_for(version)
    upstream = f"oci://{host}/{repo}:{tag}"
    where = fetcher.mirrors.oci(host, repo)
    client = fetcher.registry(where.host, where.insecure)
    digest = next((p.digest for p in pinned if p.ref == upstream), None)
    blob = client.get_manifest(where.repository, digest or tag, index_ok=True)
    return client, where.repository, blob, Fetched(upstream, blob.digest)


def _json(blob: Blob, what: str) -> dict[str, t.Any]:
    try:
        doc = json.loads(blob.data)
    except ValueError:
        raise FetchError(f"{what} is not JSON") from None
    if not isinstance(doc, dict):
        raise FetchError(f"{what} is not a JSON object")
    return doc


def _blob(fetcher: Fetcher, client: RegistryClient, repo: str, desc: t.Any) -> bytes:
    if not isinstance(desc, dict) or not isinstance(desc.get("digest"), str):
        raise FetchError(f"a descriptor in {repo} has no digest")
    blob = client.get_blob(repo, desc["digest"], str(desc.get("mediaType", "")), max_bytes=fetcher.max_bytes)
    if isinstance(desc.get("size"), int) and desc["size"] != len(blob.data):
        raise FetchError(
            f"blob {desc['digest']} of {repo} has {len(blob.data)} bytes; the manifest says {desc['size']}"
        )
    return blob.data


def _helm(
    fetcher: Fetcher, version: str, source: Source, pinned: t.Sequence[Fetched]
) -> tuple[list[Fetched], dict[str, bytes]]:
    client, repo, blob, fetched = _manifest(fetcher, source.ref[0], version, source, pinned, helm=True)
    doc = _json(blob, f"the manifest of {fetched.ref}")
    layers = [d for d in doc.get("layers") or [] if isinstance(d, dict) and d.get("mediaType") == HELM_LAYER]
    if len(layers) != 1:
        raise FetchError(f"{fetched.ref} is not a Helm chart (no single {HELM_LAYER} layer)")
    files = read_tar(_blob(fetcher, client, repo, layers[0]), max_bytes=fetcher.max_bytes)
    # A chart's tarball holds one top folder, the chart's name: paths are relative to the chart.
    return [fetched], {path.split("/", 1)[1]: body for path, body in files.items() if "/" in path}


def _xpkg(
    fetcher: Fetcher, version: str, source: Source, pinned: t.Sequence[Fetched]
) -> tuple[list[Fetched], dict[str, bytes]]:
    client, repo, blob, fetched = _manifest(fetcher, source.ref[0], version, source, pinned)
    doc = _json(blob, f"the manifest of {fetched.ref}")
    if blob.media_type in (OCI_INDEX, DOCKER_MANIFEST_LIST) or "manifests" in doc:
        images = [m for m in doc.get("manifests") or [] if isinstance(m, dict) and isinstance(m.get("digest"), str)]
        if not images:
            raise FetchError(f"{fetched.ref} is an index without images")
        amd64 = [m for m in images if (m.get("platform") or {}).get("architecture") == "amd64"]
        chosen = (amd64 or images)[0]
        doc = _json(client.get_manifest(repo, chosen["digest"]), f"image {chosen['digest']} of {fetched.ref}")
    layers = [d for d in doc.get("layers") or [] if isinstance(d, dict)]
    base = [d for d in layers if (d.get("annotations") or {}).get(XPKG_ANNOTATION) == "base"]
    if not base and isinstance(doc.get("config"), dict):
        labels = (
            _json(Blob.of("", _blob(fetcher, client, repo, doc["config"])), "the image config").get("config") or {}
        ).get("Labels") or {}
        named = {k.split(":", 1)[1] for k, v in labels.items() if v == "base" and k.startswith(XPKG_ANNOTATION + ":")}
        base = [d for d in layers if d.get("digest") in named]
    for desc in base or layers:
        files = read_tar(_blob(fetcher, client, repo, desc), max_bytes=fetcher.max_bytes)
        if XPKG_FILE in files:
            return [fetched], {XPKG_FILE: files[XPKG_FILE]}
    raise FetchError(f"{fetched.ref} is not a Crossplane package: no layer holds {XPKG_FILE}")


def _oci(
    fetcher: Fetcher, version: str, source: Source, pinned: t.Sequence[Fetched]
) -> tuple[list[Fetched], dict[str, bytes]]:
    client, repo, blob, fetched = _manifest(fetcher, source.ref[0], version, source, pinned)
    doc = _json(blob, f"the manifest of {fetched.ref}")
    files: dict[str, bytes] = {}
    for desc in doc.get("layers") or []:
        data = _blob(fetcher, client, repo, desc)
        title = ((desc.get("annotations") or {}) if isinstance(desc, dict) else {}).get(ANN_TITLE)
        if kind_of(data) == "tar.gz":
            part = read_tar(data, max_bytes=fetcher.max_bytes)
        elif isinstance(title, str):
            part = {check_member_name(title): data}
        else:
            continue
        for path, body in part.items():
            if path in files:
                raise FetchError(f"{fetched.ref}: two layers hold {path}")
            files[path] = body
    return [fetched], files


def _local(
    fetcher: Fetcher, version: str, source: Source, pinned: t.Sequence[Fetched]
) -> tuple[list[Fetched], dict[str, bytes]]:
    files = read_local(fetcher.base, source)
    return [Fetched(source.ref[0], tree_digest(files))], files


_FETCH: dict[str, t.Callable[[Fetcher, str, Source, t.Sequence[Fetched]], tuple[list[Fetched], dict[str, bytes]]]] = {
    "goModule": _go_module,
    "url": _url,
    "helm": _helm,
    "xpkg": _xpkg,
    "oci": _oci,
    "local": _local,
}
