"""Turn CustomResourceDefinition YAML into strict JSON Schemas, one per served version.

The API server validates a custom resource against the version's ``openAPIV3Schema`` after pruning
unknown fields. Rendered output should never rely on pruning (a misspelt field silently vanishes), so
the converted schema is *stricter* than pruning and as strict as ``kubectl apply --validate=strict``:

* an object that lists ``properties`` refuses other fields (``additionalProperties: false``), unless it
  says ``x-kubernetes-preserve-unknown-fields: true``. Not inside ``allOf``/``anyOf``/``oneOf``/``not``
  branches: structural schemas only repeat fields of the main schema there, so a branch that lists one
  property must not forbid the others;
* ``apiVersion`` and ``kind`` are required and pinned to the CRD's group/version and kind;
* ``metadata`` is checked as ObjectMeta: known fields only, labels and annotations are string maps;
* ``nullable: true`` adds ``null`` to the type (and to an ``enum``). A null *property* value where the
  field is not nullable is dropped before validation (:func:`prune_nulls`), as the API server prunes it
  (documented under "Defaulting and Nullable"): so a required field given as null is reported missing;
  in lists and map values null stays an error unless nullable;
* ``x-kubernetes-int-or-string`` becomes ``type: [integer, string]``;
* ``x-kubernetes-embedded-resource`` requires ``apiVersion`` and ``kind`` and checks ``metadata``;
* a required field that has a ``default`` is not demanded: the API server fills it in first;
* OpenAPI v3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` become the numeric 2020-12 form;
* ``x-kubernetes-list-type: set`` becomes ``uniqueItems``.

Not translated: CEL rules (``x-kubernetes-validations``) and ``format`` (the API server's format set
differs from JSON Schema's, and a wrong format assertion would be a false finding).

Converted schemas are cached by the CRD file's content hash (see :mod:`genplat.checks._cache`), so a
second run reads JSON instead of parsing megabytes of YAML.
"""

from __future__ import annotations

import dataclasses
import hashlib
import typing as t
from pathlib import Path

import yaml

from genplat.checks import _cache
from genplat.core.diagnostics import Diagnostic

# Part of every cache key: bump it whenever the conversion below changes its output.
CONVERTER_VERSION = "4"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

_COPIED = (
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "multipleOf",
    "minimum",
    "maximum",
)
_BRANCHES = ("allOf", "anyOf", "oneOf")


def _string_map() -> dict[str, t.Any]:
    return {"type": ["object", "null"], "additionalProperties": {"type": "string"}}


def object_meta_schema() -> dict[str, t.Any]:
    """ObjectMeta as a strict schema: the fields a client may send, labels/annotations as string maps."""
    s: dict[str, t.Any] = {"type": ["string", "null"]}
    i: dict[str, t.Any] = {"type": ["integer", "null"]}
    return {
        "type": "object",
        "properties": {
            "name": s,
            "generateName": s,
            "namespace": s,
            "selfLink": s,
            "uid": s,
            "resourceVersion": s,
            "generation": i,
            "creationTimestamp": s,
            "deletionTimestamp": s,
            "deletionGracePeriodSeconds": i,
            "labels": _string_map(),
            "annotations": _string_map(),
            "finalizers": {"type": ["array", "null"], "items": {"type": "string"}},
            "ownerReferences": {
                "type": ["array", "null"],
                "items": {
                    "type": "object",
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "name": {"type": "string"},
                        "uid": {"type": "string"},
                        "controller": {"type": ["boolean", "null"]},
                        "blockOwnerDeletion": {"type": ["boolean", "null"]},
                    },
                    "required": ["apiVersion", "kind", "name", "uid"],
                    "additionalProperties": False,
                },
            },
            # Written by the API server; its inner shape is not worth pinning here.
            "managedFields": {"type": ["array", "null"], "items": {"type": "object"}},
        },
        "additionalProperties": False,
    }


def convert_schema(schema: t.Any, *, branch: bool = False) -> dict[str, t.Any]:
    """Convert one ``openAPIV3Schema`` node (and everything under it) to strict JSON Schema."""
    if not isinstance(schema, dict):
        return {}
    out: dict[str, t.Any] = {k: schema[k] for k in _COPIED if k in schema}
    nullable = schema.get("nullable") is True
    if schema.get("x-kubernetes-int-or-string") is True:
        types = ["integer", "string"]
    elif isinstance(schema.get("type"), str):
        types = [schema["type"]]
    else:
        types = []
    if types and nullable:
        types.append("null")
    if types:
        out["type"] = types[0] if len(types) == 1 else types
    if isinstance(schema.get("enum"), list):
        enum = list(schema["enum"])
        if nullable and None not in enum:
            enum.append(None)
        out["enum"] = enum
    for bound in ("Minimum", "Maximum"):
        if schema.get(f"exclusive{bound}") is True and bound.lower() in out:
            out[f"exclusive{bound}"] = out.pop(bound.lower())

    props = schema.get("properties")
    if isinstance(props, dict):
        out["properties"] = {name: _property(sub, branch=branch) for name, sub in props.items()}
    required = schema.get("required")
    if isinstance(required, list):
        defaulted = {n for n, p in (props or {}).items() if isinstance(p, dict) and "default" in p}
        kept = [r for r in required if r not in defaulted]
        if kept:
            out["required"] = kept
    if schema.get("x-kubernetes-embedded-resource") is True and not branch:
        p = out.setdefault("properties", {})
        p.setdefault("apiVersion", {"type": "string"})
        p.setdefault("kind", {"type": "string"})
        p["metadata"] = _merge_meta(p.get("metadata"))
        out["required"] = sorted(set(out.get("required", [])) | {"apiVersion", "kind"})

    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        out["additionalProperties"] = convert_schema(additional, branch=branch)
    elif isinstance(additional, bool):
        out["additionalProperties"] = additional
    elif "properties" in out and not branch and schema.get("x-kubernetes-preserve-unknown-fields") is not True:
        out["additionalProperties"] = False

    if isinstance(schema.get("items"), dict):
        out["items"] = convert_schema(schema["items"], branch=branch)
    if schema.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    for key in _BRANCHES:
        if isinstance(schema.get(key), list):
            out[key] = [convert_schema(b, branch=True) for b in schema[key]]
    if isinstance(schema.get("not"), dict):
        out["not"] = convert_schema(schema["not"], branch=True)
    return out


def _property(schema: t.Any, *, branch: bool) -> dict[str, t.Any]:
    """A property value (a null where it is not nullable is pruned first: see :func:`prune_nulls`)."""
    return convert_schema(schema, branch=branch)


def _accepts_null(schema: dict[str, t.Any]) -> bool:
    typ = schema.get("type")
    return "type" not in schema or typ == "null" or (isinstance(typ, list) and "null" in typ)


def prune_nulls(value: t.Any, schema: t.Any) -> t.Any:
    """``value`` without the null properties the API server prunes: fields whose (converted) schema does not
    accept null. Walks properties and list items; leaves everything else as it is (a copy where changed)."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        props = schema.get("properties")
        out = {}
        changed = False
        for key, item in value.items():
            sub = props.get(key) if isinstance(props, dict) else None  # map values (extra): nulls stay
            if item is None and isinstance(sub, dict) and not _accepts_null(sub):
                changed = True
                continue
            new = prune_nulls(item, sub) if isinstance(sub, dict) else item
            changed = changed or new is not item
            out[key] = new
        return out if changed else value
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        new_items = [prune_nulls(x, schema["items"]) for x in value]
        return new_items if any(a is not b for a, b in zip(new_items, value, strict=True)) else value
    return value


def _merge_meta(crd_meta: t.Any) -> dict[str, t.Any]:
    base = object_meta_schema()
    if isinstance(crd_meta, dict) and (crd_meta.get("properties") or crd_meta.get("required")):
        # The CRD may constrain name/namespace (pattern, maxLength): check both.
        extra = {k: v for k, v in crd_meta.items() if k != "additionalProperties"}
        return {"allOf": [base, extra]}
    return base


def root_schema(openapi: t.Any, *, group: str, version: str, kind: str) -> dict[str, t.Any]:
    """The schema of a whole custom resource of ``group/version`` ``kind``."""
    out = convert_schema(openapi if isinstance(openapi, dict) else {"type": "object"})
    props = out.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "enum": [f"{group}/{version}"]}
    props["kind"] = {"type": "string", "enum": [kind]}
    props["metadata"] = _merge_meta(props.get("metadata"))
    out["required"] = ["apiVersion", "kind", *[r for r in out.get("required", []) if r not in ("apiVersion", "kind")]]
    out["type"] = "object"
    if not (isinstance(openapi, dict) and openapi.get("x-kubernetes-preserve-unknown-fields") is True):
        out["additionalProperties"] = False
    out["$schema"] = DRAFT
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class CrdVersion:
    """One served version of one CRD, converted."""

    group: str
    version: str
    kind: str
    scope: str  # "Namespaced" or "Cluster"
    schema: dict[str, t.Any]
    source: str  # the CRD file it came from

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    def to_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def convert_crd(doc: dict[str, t.Any], source: str) -> tuple[list[CrdVersion], list[str]]:
    """The served versions of one CRD document, plus problems found in it (as plain messages)."""
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return [], ["CRD has no spec"]
    group = spec.get("group")
    names = spec.get("names") or {}
    kind = names.get("kind") if isinstance(names, dict) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        return [], ["CRD lacks spec.group or spec.names.kind"]
    scope: str = spec["scope"] if spec.get("scope") in ("Namespaced", "Cluster") else "Namespaced"
    out: list[CrdVersion] = []
    problems: list[str] = []
    legacy = (spec.get("validation") or {}).get("openAPIV3Schema") if isinstance(spec.get("validation"), dict) else None
    for v in spec.get("versions") or []:
        if not isinstance(v, dict) or not isinstance(v.get("name"), str):
            problems.append(f"CRD {kind}.{group} has a version without a name")
            continue
        if v.get("served") is False:
            continue
        openapi = ((v.get("schema") or {}).get("openAPIV3Schema")) if isinstance(v.get("schema"), dict) else None
        if openapi is None:
            openapi = legacy  # apiextensions v1beta1: one schema for every version
        if openapi is None:
            # No schema at all: the API server keeps any field, so only apiVersion/kind/metadata are pinned.
            openapi = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        out.append(
            CrdVersion(
                group, v["name"], kind, scope, root_schema(openapi, group=group, version=v["name"], kind=kind), source
            )
        )
    return out, problems


def crd_files(paths: t.Iterable[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Expand files and folders (recursively, sorted) into CRD candidate files."""
    files: list[Path] = []
    diags: list[Diagnostic] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in MANIFEST_SUFFIXES))
        elif p.is_file():
            files.append(p)
        else:
            diags.append(
                Diagnostic(
                    rule="crd-not-found",
                    message=f"CRD path {str(p)!r} does not exist",
                    file=str(p),
                    hint="pass a CRD file or a folder holding CRD YAML files",
                )
            )
    return files, diags


def load_crd_file(path: Path, *, use_cache: bool = True) -> tuple[list[CrdVersion], list[Diagnostic]]:
    """Converted served versions of every CRD in one file, from the cache when its bytes are known."""
    return _load_crd_file(path, use_cache=use_cache)


def _load_crd_file(path: Path, *, use_cache: bool) -> tuple[list[CrdVersion], list[Diagnostic]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Diagnostic(rule="crd-invalid", message=f"cannot read CRD file: {exc.strerror}", file=str(path))]
    key = hashlib.sha256(CONVERTER_VERSION.encode() + b"\0" + raw).hexdigest()
    entry = _cache.cache_dir() / "crd-schemas" / key[:2] / f"{key}.json"
    if use_cache:
        cached = _cache.read_json(entry)
        if isinstance(cached, dict) and isinstance(cached.get("crds"), list):
            try:
                versions = [CrdVersion(**{**c, "source": str(path)}) for c in cached["crds"]]
                return versions, [
                    Diagnostic(rule="crd-invalid", message=m, file=str(path)) for m in cached.get("problems", [])
                ]
            except TypeError:
                pass  # an entry of another shape: treat as a miss
    versions, problems, fatal = _convert_file(raw, str(path))
    if fatal is not None:
        return [], [fatal]
    if use_cache:
        _cache.write_json(entry, {"crds": [v.to_dict() for v in versions], "problems": problems})
    return versions, [Diagnostic(rule="crd-invalid", message=m, file=str(path)) for m in problems]


class _CrdLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, reading a plain ``=`` as the string Kubernetes reads (PyYAML resolves it to YAML
    1.1's ``value`` type, which it cannot construct): prometheus-operator's AlertmanagerConfig CRD has
    ``enum: ['!=', =, =~, '!~']``."""


_CrdLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def _convert_file(raw: bytes, file: str) -> tuple[list[CrdVersion], list[str], Diagnostic | None]:
    try:
        docs = list(yaml.load_all(raw, Loader=_CrdLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return (
            [],
            [],
            Diagnostic(
                rule="crd-invalid",
                message=f"CRD file is not valid YAML: {getattr(exc, 'problem', exc)}",
                file=file,
                line=(mark.line + 1) if mark else None,
            ),
        )
    versions: list[CrdVersion] = []
    problems: list[str] = []
    for doc in docs:
        for item in _crd_docs(doc):
            v, p = convert_crd(item, file)
            versions.extend(v)
            problems.extend(p)
    return versions, problems, None


def _crd_docs(doc: t.Any) -> t.Iterator[dict[str, t.Any]]:
    if not isinstance(doc, dict):
        return
    if doc.get("kind") == "CustomResourceDefinition":
        yield doc
    elif isinstance(doc.get("items"), list) and str(doc.get("kind", "")).endswith("List"):
        for item in doc["items"]:
            yield from _crd_docs(item)


@dataclasses.dataclass
class CrdSet:
    """Every served version of every CRD found, by (group, version, kind)."""

    versions: dict[tuple[str, str, str], CrdVersion] = dataclasses.field(default_factory=dict)
    diagnostics: list[Diagnostic] = dataclasses.field(default_factory=list)

    def get(self, group: str, version: str, kind: str) -> CrdVersion | None:
        return self.versions.get((group, version, kind))

    def served_versions(self, group: str, kind: str) -> list[str]:
        return sorted(v for (g, v, k) in self.versions if g == group and k == kind)

    def scope(self, group: str, kind: str) -> str | None:
        for (g, _v, k), cv in self.versions.items():
            if g == group and k == kind:
                return cv.scope
        return None


Loaded = dict[str, tuple[list[CrdVersion], list[Diagnostic]]]


def load_crds(paths: t.Iterable[Path], *, use_cache: bool = True, loaded: Loaded | None = None) -> CrdSet:
    """Load CRDs from files and folders. The first file (in the order given, folders sorted) wins a duplicate.
    ``loaded`` (file → its conversion) is shared by the CRD sets of one build: clusters share most files."""
    files, diags = crd_files(paths)
    out = CrdSet(diagnostics=diags)
    for f in files:
        if loaded is None:
            versions, d = load_crd_file(f, use_cache=use_cache)
        else:
            if str(f) not in loaded:
                loaded[str(f)] = load_crd_file(f, use_cache=use_cache)
            versions, d = loaded[str(f)]
        out.diagnostics.extend(d)
        for v in versions:
            out.versions.setdefault((v.group, v.version, v.kind), v)
    return out
