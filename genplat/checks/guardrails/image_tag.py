"""Every image is pinned: no ``:latest`` tag and no untagged image (a digest ``@sha256:…`` is fine).

``latest`` and missing tags make a build's output mean different things on different days.
Checked for every container in every pod template (see ``guardrail/privileged``).
"""

from __future__ import annotations

import typing as t

from ..._diagnostics import Severity
from ._context import Finding, View
from ._pods import split_image

ID = "guardrail/image-tag"
SEVERITY = Severity.ERROR
NEEDS_BLUEPRINT = False


def check(view: View) -> t.Iterator[Finding]:
    for w in view.workloads:
        ro = w.ro
        for path, c, _ in w.containers:
            image = c.get("image")
            if not isinstance(image, str) or not image:
                continue
            _registry, _repo, tag, digest = split_image(image)
            if digest:
                continue
            if tag is None:
                yield Finding(ro, f"image {image!r} has no tag", path + ("image",),
                              "pin a version tag or a digest (image@sha256:…)")
            elif tag == "latest":
                yield Finding(ro, f"image {image!r} uses the 'latest' tag", path + ("image",),
                              "pin a version tag or a digest (image@sha256:…)")
