"""Validate stage: the checks for what a tenant's workloads are wired to.

Run by :func:`genplat.validation.blueprints.validate` after the schema checks, on the same defensive reading of
the data (a value of the wrong type was already reported by the schema):

* :mod:`.offerings` — offerings' connection details (published keys, written by every composition,
  no secret values) and parameters no composition patch uses;
* :mod:`.services` — ``env: {X: {fromResource, key}}`` references (the resource exists, is ordered in
  every environment the service runs in, and its offering publishes the key); fields that do not fit
  a ``workload: deployment``;
* :mod:`.builds` — build resources within the platform's ceiling, push credentials for templates
  that push.
"""

from __future__ import annotations

from genplat.validation.connections.builds import check_platform_builds, check_tenant_builds
from genplat.validation.connections.offerings import check_offerings
from genplat.validation.connections.services import check_services

__all__ = ["check_offerings", "check_platform_builds", "check_services", "check_tenant_builds"]
