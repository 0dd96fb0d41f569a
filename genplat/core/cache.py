"""Where genplat keeps its caches: ``$GENPLAT_CACHE_DIR``, else ``$XDG_CACHE_HOME/genplat``, else
``~/.cache/genplat``. Converted CRD schemas (:mod:`genplat.checks`) and fetched add-on CRDs
(:mod:`genplat.addons`) live in folders of their own under it; nothing in it is ever a source of truth
that is not checked against a digest."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    explicit = os.environ.get("GENPLAT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "genplat"
