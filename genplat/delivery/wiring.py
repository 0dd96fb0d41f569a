"""Delivery stage: what genplat told each cluster to run, read back from ``out/``.

For every bundle of ``out/genplat.lock.json`` with wiring under ``out/_gitops/``: the digest the lock
pins for the cluster's delivery format, the delivery objects of the wiring (Flux ``OCIRepository``,
``Kustomization`` and ``HelmRelease``, kapp-controller ``App``; whatever the wiring holds, in its order),
and every object of the bundle with its layer, its file and line in ``out/``, its tenant and the
``# source:`` comment genplat wrote before it.
"""

from __future__ import annotations

import dataclasses
import json
import typing as t
from pathlib import Path

import yaml

from genplat.core.errors import GenplatError
from genplat.loader.safe_yaml import load_documents
from genplat.output.lockfile import LOCKFILE_NAME
from genplat.packaging.gitops import LAYER_LABEL
from genplat.packaging.pins import WIRING_FOLDERS, read_pins

#: Bounds for reading genplat's own output back (as ``genplat check`` reads manifests).
MAX_FILE_BYTES = 256 * 1024 * 1024
TENANT_LABEL = "genplat.dev/tenant"
#: What a layer is called in reports when an object belongs to none (the wiring's source objects).
SOURCE_LAYER = "source"


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Ref:
    """An object's identity as controllers name it: group, kind, namespace, name (any version)."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: t.Mapping[str, t.Any]) -> Ref:
        meta = obj.get("metadata") or {}
        api_version = str(obj.get("apiVersion") or "")
        return cls(
            api_version.rpartition("/")[0] if "/" in api_version else "",
            str(obj.get("kind") or ""),
            str(meta.get("namespace") or ""),
            str(meta.get("name") or ""),
        )

    def __str__(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` when cluster-scoped), as Flux writes object references."""
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"


@dataclasses.dataclass(frozen=True, slots=True)
class BundleObject:
    """One object of a bundle as written to ``out/``."""

    ref: Ref
    obj: dict[str, t.Any]
    layer: str  # the bundle folder it sits in: platform, tenants, …
    file: str  # its file, relative to the project (out/prod/prod-eu/tenants/globex.yaml)
    line: int  # the line its document starts at in that file
    source: str | None  # the ``# source:`` comment before it
    tenant: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Unit:
    """One delivery object of the wiring: what a controller on the cluster reconciles."""

    api_version: str
    kind: str
    name: str
    namespace: str
    layer: str
    obj: dict[str, t.Any]

    @property
    def ref(self) -> Ref:
        return Ref.of(self.obj)

    @property
    def depends_on(self) -> tuple[str, ...]:
        deps = (self.obj.get("spec") or {}).get("dependsOn") or []
        return tuple(str(d.get("name")) for d in deps if isinstance(d, dict) and d.get("name"))


@dataclasses.dataclass(slots=True)
class Delivery:
    """One cluster's bundle: the lock's digest, its wiring and its objects."""

    bundle: str  # <env>-<cluster>
    environment: str
    cluster: str
    fmt: str  # flux | imgpkg
    digest: str  # what the lock pins for fmt
    wiring_file: str
    units: list[Unit]
    objects: list[BundleObject]
    index: dict[Ref, BundleObject] = dataclasses.field(default_factory=dict, repr=False)  # by identity, on first use

    def layer_objects(self, layer: str) -> list[BundleObject]:
        return [o for o in self.objects if o.layer == layer]

    def find(self, ref: Ref) -> BundleObject | None:
        if not self.index and self.objects:
            self.index = {o.ref: o for o in self.objects}
        return self.index.get(ref)


def _unescape_comment(text: str) -> str:
    """Undo the escaping genplat's emitter applies to comment text (``\\\\`` and ``\\uXXXX``)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            if text[i + 1] == "\\":
                out.append("\\")
                i += 2
                continue
            if text[i + 1] == "u" and i + 6 <= len(text):
                try:
                    out.append(chr(int(text[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                except ValueError:
                    pass
        out.append(text[i])
        i += 1
    return "".join(out)


def _sources(text: str) -> dict[int, str]:
    """``# source:`` comments by the line of the ``---`` that opens their document."""
    out: dict[int, str] = {}
    opener = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("---"):
            opener = number
        elif line.startswith("# source: ") and opener and opener not in out:
            out[opener] = _unescape_comment(line[len("# source: ") :])
    return out


def read_objects(bundle_dir: Path, display: str) -> list[BundleObject]:
    """Every object under ``bundle_dir``'s layer folders (kustomize's, kbld's and kapp's own config aside)."""
    out: list[BundleObject] = []
    for path in sorted(bundle_dir.rglob("*")):
        rel = path.relative_to(bundle_dir)
        if not path.is_file() or path.suffix not in (".yaml", ".yml") or len(rel.parts) < 2:
            continue
        if path.name == "kustomization.yaml" or any(p.startswith(".") for p in rel.parts):
            continue
        raw = path.read_bytes()
        if len(raw) > MAX_FILE_BYTES:
            raise GenplatError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes; is this genplat's output?")
        text = raw.decode("utf-8", "replace")
        openers = sorted(_sources(text).items())
        file = f"{display}/{rel.as_posix()}"
        docs, diags = load_documents(raw, file, multi=True, max_bytes=MAX_FILE_BYTES)
        if diags and not docs:
            raise GenplatError(f"{file}: not readable YAML ({diags[0].message}); run `genplat build` again")
        tenant_of_file = rel.parts[1].split(".")[0] if rel.parts[0] == "tenants" else None
        for doc in docs:
            data = doc.data
            if not isinstance(data, dict) or not data.get("kind"):
                continue
            source = next((s for opener, s in reversed(openers) if opener <= doc.line), None)
            labels = (data.get("metadata") or {}).get("labels") or {}
            tenant = labels.get(TENANT_LABEL) if isinstance(labels, dict) else None
            out.append(
                BundleObject(
                    Ref.of(data),
                    data,
                    rel.parts[0],
                    file,
                    doc.line,
                    source,
                    str(tenant) if tenant else tenant_of_file,
                )
            )
    return out


def _units(docs: t.Iterable[dict[str, t.Any]]) -> list[Unit]:
    units: list[Unit] = []
    for doc in docs:
        kind = str(doc.get("kind") or "")
        if kind in ("ServiceAccount", "Secret") or kind.startswith(("Role", "ClusterRole")):
            continue  # the deployer's RBAC and the public key: set-up, not reconciled
        meta = doc.get("metadata") or {}
        labels = meta.get("labels") or {}
        spec = doc.get("spec") or {}
        layer = labels.get(LAYER_LABEL) if isinstance(labels, dict) else None
        if not layer and kind == "Kustomization":
            layer = str(spec.get("path") or "").strip("./") or None
        if not layer:
            layer = "all" if kind == "App" else SOURCE_LAYER
        units.append(
            Unit(
                str(doc.get("apiVersion") or ""),
                kind,
                str(meta.get("name") or ""),
                str(meta.get("namespace") or ""),
                str(layer),
                doc,
            )
        )
    return units


def read_deliveries(out_dir: Path, *, display: str = "out") -> list[Delivery]:
    """Every bundle that has GitOps wiring under ``out_dir/_gitops``, in the lock's order."""
    pins = read_pins(out_dir)
    out: list[Delivery] = []
    for key in sorted(_bundle_keys(out_dir)):
        env, _, cluster = key.partition("/")
        bundle = f"{env}-{cluster}"
        for fmt, folder in WIRING_FOLDERS.items():
            wiring = out_dir / folder / f"{bundle}.yaml"
            if not wiring.is_file():
                continue
            digest = pins.get(bundle, {}).get(fmt)
            if not digest:
                raise GenplatError(
                    f"{out_dir / LOCKFILE_NAME}: no {fmt} digest for bundle {key}; run `genplat build` again"
                )
            try:
                docs = [d for d in yaml.safe_load_all(wiring.read_text("utf-8")) if isinstance(d, dict)]
            except yaml.YAMLError:
                raise GenplatError(f"{wiring}: not valid YAML; run `genplat build` again") from None
            out.append(
                Delivery(
                    bundle,
                    env,
                    cluster,
                    fmt,
                    digest,
                    f"{display}/{folder}/{bundle}.yaml",
                    _units(docs),
                    read_objects(out_dir / env / cluster, f"{display}/{env}/{cluster}"),
                )
            )
    return out


def _bundle_keys(out_dir: Path) -> list[str]:
    doc = json.loads((out_dir / LOCKFILE_NAME).read_text("utf-8"))
    return [k for k in (doc.get("bundles") or {}) if "/" in k]
