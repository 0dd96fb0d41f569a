"""Tenant images come only from the platform's allowed registries (``policies.allowedRegistries``).

An entry is a registry host (``ghcr.io``) or a host and path prefix (``ghcr.io/acme``); short names
like ``nginx`` mean ``docker.io/library/nginx``, as in Docker. Needs the platform blueprint's
list; with none given the rule is reported as switched off.
"""

from __future__ import annotations

import typing as t

from ..._diagnostics import Severity
from ._context import Finding, View
from ._pods import split_image

ID = "guardrail/image-registry"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = True


def allowed(image: str, registries: t.Iterable[str]) -> bool:
    registry, repository, _tag, _digest = split_image(image)
    full = f"{registry}/{repository}"
    for entry in registries:
        entry = entry.rstrip("/")
        if full == entry or full.startswith(entry + "/"):
            return True
    return False


def check(view: View) -> t.Iterator[Finding]:
    ctx = view.context
    if ctx is None:
        return
    if not ctx.allowed_registries:  # run_guardrails reports the rule as off
        return
    shown = ", ".join(ctx.allowed_registries)
    for w in view.workloads:
        ro = w.ro
        if not view.tenant_owned(ro):
            continue
        for path, c, _ in w.containers:
            image = c.get("image")
            if isinstance(image, str) and image and not allowed(image, ctx.allowed_registries):
                yield Finding(ro, f"image {image!r} is not from an allowed registry", path + ("image",),
                              f"allowed: {shown}")
