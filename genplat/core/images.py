"""Container image references: ``[registry/]repository[:tag][@digest]``, parsed in one place.

Used by the rule model (allowed registries, tags), the imgpkg ImagesLock, the Tekton renderer, and
everything that lists the images of an object (:func:`images_in`).
Docker's defaults apply to short names: ``nginx`` is ``docker.io/library/nginx``.
"""

from __future__ import annotations

import dataclasses
import typing as t


@dataclasses.dataclass(frozen=True, slots=True)
class ImageRef:
    name: str  # as written, without tag and digest (a registry port is kept)
    tag: str | None
    digest: str | None

    @property
    def registry(self) -> str:
        first, _, rest = self.name.partition("/")
        return first if rest and ("." in first or ":" in first or first == "localhost") else "docker.io"

    @property
    def repository(self) -> str:
        first, _, rest = self.name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            return rest
        return self.name if "/" in self.name else f"library/{self.name}"


def parse_image(ref: str) -> ImageRef:
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    slash, colon = ref.rfind("/"), ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1 :]
    return ImageRef(ref, tag, digest)


# Kinds whose ``image`` fields are patterns, not references (Kyverno policies).
PATTERN_KINDS = frozenset({"ClusterPolicy", "Policy"})


def image_values(obj: t.Any) -> set[str]:
    """Every string value of an ``image`` key in ``obj``, whatever its kind (what kbld would resolve)."""
    found: set[str] = set()
    stack = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "image" and isinstance(value, str) and value:
                    found.add(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return found


def images_in(obj: t.Any) -> set[str]:
    """The images one object names (nothing for policy kinds, whose ``image`` values are patterns)."""
    if isinstance(obj, dict) and obj.get("kind") in PATTERN_KINDS:
        return set()
    return image_values(obj)


def is_tool_config(doc: dict[str, t.Any]) -> bool:
    """kbld's and kapp's own Config documents (their ``image`` keys are matchers, not images)."""
    return doc.get("kind") == "Config" and str(doc.get("apiVersion", "")).startswith(("kbld.k14s.io/", "kapp.k14s.io/"))
