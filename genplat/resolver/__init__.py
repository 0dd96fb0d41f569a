"""Resolve stage: platform defaults + tenant tier + per-environment overrides + cluster capabilities
become one :class:`PlatformModel` and, per bundle, the :class:`TenantTarget` placements to render."""

from __future__ import annotations

from genplat.resolver.model import Cluster, PlatformModel, TenantTarget, resolve

__all__ = ["Cluster", "PlatformModel", "TenantTarget", "resolve"]
