"""Schemas of the built-in Kubernetes kinds, from the strict files shipped in ``kubernetes-validate``.

The package holds, per minor version, ``v1.NN.0-local-strict/<kind>-<group>-<version>.json`` (group
cut at its first dot; core kinds are ``<kind>-<version>.json``), each ``$ref``-ing into one shared
``_definitions.json``. We read ``_definitions.json`` once per version and each kind file on first use;
``kubernetes_validate.validate()`` itself rereads everything per call (≈ 80 objects/s).

A file name is ambiguous across groups (``networking.k8s.io`` and ``networking.example.com`` both
map to ``networking``), so a file only counts when its ``x-kubernetes-group-version-kind`` names the
object's exact group, version and kind.
"""

from __future__ import annotations

import json
import re
import typing as t

from genplat.core.kube import resolve_version, schema_root, split_api_version

DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
_DEF_REF = re.compile(r"^(?:/api/_definitions\.json|https://kubernetes\.io/api/_definitions\.json)?#/\$defs/")


def file_stem(api_version: str, kind: str) -> str:
    """``apps/v1`` Deployment → ``deployment-apps-v1``; ``v1`` Pod → ``pod-v1``."""
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return f"{kind.lower()}-{group.split('.')[0].lower()}-{version.lower()}"
    return f"{kind.lower()}-{api_version.lower()}"


class KubernetesSchemas:
    """The built-in kinds of one Kubernetes minor version."""

    def __init__(self, version: str) -> None:
        self.version, self.note = resolve_version(version)
        self.folder = schema_root() / f"v{self.version}.0-local-strict"
        self._definitions: dict[str, t.Any] | None = None
        self._schemas: dict[tuple[str, str], dict[str, t.Any] | None] = {}

    @property
    def definitions(self) -> dict[str, t.Any]:
        if self._definitions is None:
            self._definitions = json.loads((self.folder / "_definitions.json").read_bytes())
        return self._definitions

    def schema(self, api_version: str, kind: str) -> dict[str, t.Any] | None:
        """The kind's schema (with ``$ref``s into :attr:`definitions`), or None when not built in."""
        key = (api_version, kind)
        if key not in self._schemas:
            self._schemas[key] = self._load(api_version, kind)
        return self._schemas[key]

    def _load(self, api_version: str, kind: str) -> dict[str, t.Any] | None:
        if not kind or not api_version or "/" in kind or "\\" in kind or ".." in api_version:
            return None
        path = self.folder / f"{file_stem(api_version, kind)}.json"
        try:
            schema = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        group, version = split_api_version(api_version)
        gvks = schema.get("x-kubernetes-group-version-kind") or []
        if not any(g.get("group", "") == group and g.get("version") == version and g.get("kind") == kind for g in gvks):
            return None
        return t.cast("dict[str, t.Any]", schema)

    def kinds(self) -> list[tuple[str, str]]:
        """Every top-level (apiVersion, kind) shipped for this version."""
        out = []
        for p in sorted(self.folder.glob("*.json")):
            if p.name.startswith("_") or p.name == "all.json":
                continue
            try:
                schema = json.loads(p.read_bytes())
            except ValueError:
                continue
            for g in schema.get("x-kubernetes-group-version-kind") or []:
                api = f"{g['group']}/{g['version']}" if g.get("group") else g["version"]
                if file_stem(api, g["kind"]) == p.stem:
                    out.append((api, g["kind"]))
        return out

    def standalone(self, api_version: str, kind: str) -> dict[str, t.Any] | None:
        """The kind's schema with every definition it reaches copied under its own ``$defs``.

        Refs are rewritten to ``#/$defs/<name>``: tools that cannot fetch kubernetes.io (kubeconform
        offline) resolve everything inside the one file; recursive definitions stay recursive.
        """
        schema = self.schema(api_version, kind)
        if schema is None:
            return None
        defs = self.definitions["$defs"]
        needed: dict[str, t.Any] = {}
        root = _rewrite(schema, needed)
        queue = list(needed)
        while queue:
            name = queue.pop()
            if needed[name] is not None:
                continue
            found: dict[str, t.Any] = {}
            needed[name] = _rewrite(defs.get(name, {}), found)
            for n in found:
                if n not in needed:
                    needed[n] = None
                    queue.append(n)
        root = {k: v for k, v in root.items() if k != "$id"}
        root["$defs"] = {k: needed[k] for k in sorted(needed)}
        return root


def _rewrite(node: t.Any, found: dict[str, t.Any]) -> t.Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and _DEF_REF.match(v):
                name = _DEF_REF.sub("", v)
                found.setdefault(name, None)
                out[k] = f"#/$defs/{name}"
            else:
                out[k] = _rewrite(v, found)
        return out
    if isinstance(node, list):
        return [_rewrite(v, found) for v in node]
    return node
