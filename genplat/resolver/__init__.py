"""Resolve stage: platform defaults + tenant tier + per-environment overrides + each cluster's add-ons
(:class:`AddOn`, with its lock entry) become one :class:`PlatformModel` and, per bundle, the
:class:`TenantTarget` placements to render."""

from __future__ import annotations

from genplat.resolver.model import AddOn, Cluster, PlatformModel, TenantTarget, resolve

__all__ = ["AddOn", "Cluster", "PlatformModel", "TenantTarget", "resolve"]
