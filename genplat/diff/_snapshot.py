"""Reading one side of a diff: the bundles and files of an output folder, and their objects.

A side is first read as bytes only (:class:`Snapshot`); objects are parsed later and only from the
files whose bytes differ between the two sides. An output folder holds one bundle per folder that
has a ``kustomization.yaml`` (``out/<env>/<cluster>/``); folders whose names start with ``.`` or
``_`` (``.oci/``, ``_gitops/``) and files outside bundles (``genplat.lock.json``) are not part of
the diff: they are derived from the bundles (the wiring pins digests that change with any content).
A folder without any ``kustomization.yaml`` is read as a single bundle named ``.``.

Parsing uses PyYAML's libyaml loader (about 7,000 objects/s here, against about 850/s for
genplat.loader.safe_yaml's position-keeping loader). libyaml's composer recurses, so a file with more flow
brackets than any rendered file would hold is read with genplat.loader.safe_yaml's iterative loader instead.
"""

from __future__ import annotations

import dataclasses
import os
import re
import typing as t
from pathlib import Path

import yaml

from genplat.core.errors import UsageError
from genplat.diff._model import Document, ObjectKey
from genplat.loader.safe_yaml import load_documents

YAML_SUFFIXES = (".yaml", ".yml")
KUSTOMIZATION = "kustomization.yaml"
# Configuration documents of the tools kapp-controller runs (kbld-config.yaml, kapp-config.yaml in a
# kapp-delivered bundle): derived from the objects, consumed by kbld and kapp, not cluster objects.
TOOL_CONFIG_GROUPS = ("kbld.k14s.io/", "kapp.k14s.io/")
# Above this many "[" and "{" a file goes to the slower loader that limits nesting depth.
_FLOW_BRACKET_LIMIT = 2000


class DiffInputError(UsageError):
    """A side cannot be read (not a folder, unparsable YAML, a git revision that does not exist…)."""


@dataclasses.dataclass(slots=True)
class Snapshot:
    """One side as raw files: ``files[(bundle, path)] = bytes``."""

    files: dict[tuple[str, str], bytes]
    label: str = ""
    # The side's blueprints (genplat.loader.sources.Blueprints) when it has any, else None and
    # ``no_blueprints`` says why ("an output folder", "an OCI bundle").
    blueprints: t.Any = None
    no_blueprints: str = "an output folder"

    @property
    def bundles(self) -> list[str]:
        return sorted({b for b, _ in self.files})


def _is_yaml(name: str) -> bool:
    return name.endswith(YAML_SUFFIXES) and name not in (KUSTOMIZATION, "kustomization.yml", "Kustomization")


def read_output(path: str | os.PathLike[str], *, label: str | None = None) -> Snapshot:
    """Read every bundle file under an output folder (bytes only; nothing is parsed yet)."""
    root = Path(path)
    if not root.is_dir():
        raise DiffInputError(f"{path}: not a folder", hint="give an output folder such as out/")
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
        rel = Path(dirpath).relative_to(root).as_posix()
        for f in filenames:
            if _is_yaml(f) or f in (KUSTOMIZATION, "kustomization.yml"):
                files[f if rel == "." else f"{rel}/{f}"] = (Path(dirpath) / f).read_bytes()
    return snapshot_from_files(files, label if label is not None else str(path))


def snapshot_from_files(files: t.Mapping[str, bytes], label: str) -> Snapshot:
    """Group an output folder's files ({relative path: bytes}) into bundles."""
    visible = {p: d for p, d in files.items() if not any(part.startswith((".", "_")) for part in p.split("/")[:-1])}
    found = {p.rpartition("/")[0] for p in visible if p.rpartition("/")[2] in (KUSTOMIZATION, "kustomization.yml")}
    # A bundle's layer folders (platform/, tenants/) have kustomization files of their own: a folder
    # below another bundle root is part of that bundle, not a bundle.
    nested = {r for r in found if any(r.startswith(o + "/") for o in found if o)}
    roots = sorted(found - nested, key=lambda r: -r.count("/") - (1 if r else 0))
    out: dict[tuple[str, str], bytes] = {}
    for p, data in visible.items():
        if not _is_yaml(p.rpartition("/")[2]):
            continue
        if not roots:
            out[(".", p)] = data
            continue
        for r in roots:
            if not r:
                out[(".", p)] = data
                break
            if p.startswith(r + "/"):
                out[(r, p[len(r) + 1 :])] = data
                break
    return Snapshot(out, label)


def tenant_of(path: str) -> str | None:
    """``tenants/acme.yaml`` and ``tenants/acme/…`` belong to tenant ``acme``; the rest is platform."""
    parts = path.split("/")
    if len(parts) >= 2 and parts[0] == "tenants":
        name = parts[1]
        if len(parts) == 2:
            for suffix in YAML_SUFFIXES:
                if name.endswith(suffix):
                    return name[: -len(suffix)]
        return name
    return None


def _key_text(key: t.Any) -> str:
    # Kubernetes turns YAML into JSON, where keys are strings: `on:` is "true", `1:` is "1".
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


class _Loader(yaml.CSafeLoader):
    """libyaml, read the way Kubernetes reads manifests, and refusing what genplat never writes.

    Timestamps and binaries stay strings; keys are strings; anchors and aliases are refused (a few
    aliases can expand into billions of values for every walk over the data).
    """

    def construct_object(self, node: t.Any, deep: bool = False) -> t.Any:
        if node in self.constructed_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases are not allowed in rendered output", node.start_mark
            )
        return super().construct_object(node, deep)

    def construct_mapping(self, node: t.Any, deep: bool = False) -> dict[t.Any, t.Any]:
        # Keys become strings before they go into the dict: `on` (True) and `1` would collide.
        self.flatten_mapping(node)
        mapping: dict[t.Any, t.Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if type(key) is not str:
                if isinstance(key, (list, dict)):
                    raise yaml.constructor.ConstructorError(
                        None, None, "a mapping key must be a plain value", key_node.start_mark
                    )
                key = _key_text(key)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


# Annotated so the stub's add_constructor sees a constructor for _Loader (it is one: _Loader is a SafeConstructor).
_as_str: t.Callable[[_Loader, yaml.Node], str] = yaml.SafeLoader.construct_yaml_str
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _as_str)
_Loader.add_constructor("tag:yaml.org,2002:binary", _as_str)

_DOC_START = re.compile(r"^---(?:[ \t].*)?$", re.M)
_SOURCE = re.compile(r"^#\s*source:\s*(.*?)\s*$")


def _doc_headers(text: str) -> list[tuple[int, str | None]]:
    """For each document in ``text``: its first content line and the ``# source:`` comment before it.

    The comment may sit right after the ``---`` (what genplat writes) or right before it.
    """
    docs: list[list[t.Any]] = []
    pending: str | None = None
    awaiting = False
    for n, line in enumerate(text.split("\n"), start=1):
        if _DOC_START.match(line):
            docs.append([n + 1, None])
            awaiting = True
            continue
        stripped = line.strip()
        if not stripped or stripped == "...":
            continue
        if stripped.startswith("#"):
            m = _SOURCE.match(stripped)
            if m:
                pending = m.group(1)
            continue
        if not docs:  # content before any "---": an implicit first document
            docs.append([n, None])
            awaiting = True
        if awaiting:
            docs[-1] = [n, pending]
            awaiting = False
        pending = None
    return [(int(line), source) for line, source in docs]


def _load(text: str, where: str) -> list[t.Any]:
    if text.count("[") + text.count("{") > _FLOW_BRACKET_LIMIT:
        docs, diags = load_documents(text, where, multi=True, max_bytes=64 * 1024 * 1024)
        if diags:
            d = diags[0]
            raise DiffInputError(f"{d.file}:{d.line}:{d.column}: {d.message}", hint=d.hint)
        # The safe loader drops empty documents; keep the count aligned with the headers.
        return [d.data for d in docs]
    try:
        return list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise DiffInputError(
            f"{where}{pos}: YAML syntax error: {exc.problem or exc}",
            hint="the output folder should hold YAML written by genplat build",
        ) from None
    except yaml.YAMLError as exc:
        raise DiffInputError(f"{where}: YAML error: {exc}") from None


def parse_file(bundle: str, path: str, raw: bytes, *, warnings: list[str]) -> list[Document]:
    """The objects of one output file, masked, each with its line and blueprint source."""
    where = f"{bundle}/{path}" if bundle != "." else path
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DiffInputError(f"{where}: byte {exc.start} is not valid UTF-8") from None
    loaded = _load(text, where)
    headers = _doc_headers(text)
    if len(headers) != len(loaded):  # unusual layout: keep the objects, lose lines and sources
        headers = [(1, None)] * len(loaded)
    tenant = tenant_of(path)
    docs: list[Document] = []
    for (line, source), data in zip(headers, loaded, strict=True):
        if data is None:
            continue
        if not isinstance(data, dict):
            warnings.append(f"{where}:{line}: document is not a mapping; skipped")
            continue
        api_version, kind = data.get("apiVersion"), data.get("kind")
        raw_meta = data.get("metadata")
        meta: dict[str, t.Any] = raw_meta if isinstance(raw_meta, dict) else {}
        if not isinstance(api_version, str) or not isinstance(kind, str):
            warnings.append(f"{where}:{line}: document has no apiVersion or kind; skipped")
            continue
        if api_version.startswith(TOOL_CONFIG_GROUPS):  # kbld's and kapp's own configuration, never applied
            continue
        name, ns = meta.get("name"), meta.get("namespace")
        key = ObjectKey(bundle, api_version, kind, "" if ns is None else str(ns), "" if name is None else str(name))
        docs.append(Document(key, data, path, line, source, tenant))
    return docs
