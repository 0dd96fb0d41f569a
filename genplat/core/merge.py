"""Overlay rules shared by validation and resolution: mappings merge key by key, everything else replaces."""

from __future__ import annotations

import typing as t


def deep_merge(base: t.Any, overlay: t.Any) -> t.Any:
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return overlay
