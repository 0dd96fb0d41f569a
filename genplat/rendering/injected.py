"""Render stage: environment variables the platform adds to every workload container, after the
tenant's own (a variable the service sets itself is never overridden).

* the egress proxy's ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` where a service's calls to hosts go
  through it (:func:`genplat.rendering.egress.proxy_env`);
* the OpenTelemetry collector's ``OTEL_*`` (:func:`genplat.rendering.telemetry.otel_env`).
"""

from __future__ import annotations

import typing as t

from genplat.rendering._base import BundleContext
from genplat.rendering.egress import proxy_env
from genplat.rendering.telemetry import otel_env
from genplat.resolver.model import Service, TenantTarget


def platform_env(ctx: BundleContext, tenant: TenantTarget, svc: Service) -> list[dict[str, t.Any]]:
    return [*proxy_env(ctx, svc), *otel_env(ctx, tenant, svc)]
