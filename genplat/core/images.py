"""Container image references: ``[registry/]repository[:tag][@digest]``, parsed in one place.

Used by the guardrails (allowed registries, tags), the imgpkg ImagesLock and the Tekton renderer.
Docker's defaults apply to short names: ``nginx`` is ``docker.io/library/nginx``.
"""

from __future__ import annotations

import dataclasses


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
        ref, tag = ref[:colon], ref[colon + 1:]
    return ImageRef(ref, tag, digest)
