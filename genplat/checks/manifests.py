"""Read manifest files and folders for ``genplat check``: multi-document YAML, JSON and ``*List`` kinds.

Each object keeps its YAML document so a finding can point at the exact line and column of the
offending field, not just at the object.
"""

from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

from genplat.core.diagnostics import Diagnostic, json_path
from genplat.core.objects import Origin, RenderedObject
from genplat.loader.safe_yaml import YamlDocument, load_documents

PathT = tuple[str | int, ...]
SUFFIXES = (".yaml", ".yml", ".json")
# Manifests (CRDs above all) are far larger and deeper than blueprints: the pinned upstream CRDs
# nest 38 levels at most. Deeper input is refused before validators (which recurse)
# see it; aliases keep the blueprint budget, since no real manifest expands a few anchors that far.
MAX_BYTES = 256 * 1024 * 1024
MAX_NODES = 20_000_000
MAX_DEPTH = 128
# Files and kinds that sit beside manifests but are not Kubernetes objects.
SKIPPED_FILES = frozenset({"genplat.lock.json"})
# Build and deploy tool configuration, never applied to a cluster: kustomization.yaml (kustomize), and
# kbld-config.yaml / kapp-config.yaml in kapp-delivered bundles (consumed by kbld and kapp).
SKIPPED_API_GROUPS = ("kustomize.config.k8s.io/", "kbld.k14s.io/", "kapp.k14s.io/")


@dataclasses.dataclass(slots=True)
class Located:
    """An object plus, for manifest input, the document it sits in and its path within it."""

    ro: RenderedObject
    doc: YamlDocument | None = None
    prefix: PathT = ()

    def place(self, path: PathT, *, key: bool = False) -> tuple[str | None, int | None, int | None]:
        if self.doc is not None:
            line, col = self.doc.locate(self.prefix + tuple(path), key=key)
            return self.doc.file, line, col
        o = self.ro.origin
        return o.file, o.line, o.column


def manifest_files(paths: t.Iterable[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Files given, plus every YAML/JSON file under folders given (sorted; dot-files skipped)."""
    out: list[Path] = []
    diags: list[Diagnostic] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file()
                    and f.suffix in SUFFIXES
                    and f.name not in SKIPPED_FILES
                    and not any(part.startswith(".") for part in f.relative_to(p).parts)
                )
            )
        elif p.is_file():
            out.append(p)
        else:
            diags.append(Diagnostic(rule="file-not-found", message=f"no such file or folder: {str(p)!r}", file=str(p)))
    return out, diags


def read_manifests(paths: t.Iterable[Path]) -> tuple[list[Located], list[Diagnostic]]:
    files, diags = manifest_files(paths)
    located: list[Located] = []
    for f in files:
        try:
            raw = f.read_bytes()
        except OSError as exc:
            diags.append(Diagnostic(rule="file-unreadable", message=f"cannot read file: {exc.strerror}", file=str(f)))
            continue
        docs, d = load_documents(raw, str(f), multi=True, max_bytes=MAX_BYTES, max_nodes=MAX_NODES, max_depth=MAX_DEPTH)
        diags.extend(x for x in d if x.rule != "file-empty")
        for doc in docs:
            for item in _objects(doc, doc.data, ()):
                (located if isinstance(item, Located) else diags).append(item)  # type: ignore[arg-type]
    return located, diags


def _objects(doc: YamlDocument, data: t.Any, prefix: PathT) -> t.Iterator[Located | Diagnostic]:
    if (
        isinstance(data, dict)
        and isinstance(data.get("items"), list)
        and str(data.get("kind", "")).endswith("List")
        and "spec" not in data
    ):
        for i, item in enumerate(data["items"]):
            yield from _objects(doc, item, prefix + ("items", i))
        return
    line, col = doc.locate(prefix)
    if not isinstance(data, dict):
        yield Diagnostic(
            rule="schema-kind",
            message=f"a manifest document must be a mapping, not {type(data).__name__}",
            file=doc.file,
            line=line,
            column=col,
            path=json_path(prefix),
            hint="each YAML document should be one Kubernetes object",
        )
        return
    if str(data.get("apiVersion", "")).startswith(SKIPPED_API_GROUPS):
        return
    yield Located(RenderedObject(data, Origin(doc.file, line, col, json_path(prefix))), doc, prefix)
