"""Which of a cluster's domain suffixes a tenant may put a host name under (validation and rendering agree).

A platform cluster lists ``domains: [{suffix, issuer, tenants}]``. A suffix may start with the label
``{tenant}``, standing for the tenant's name (``{tenant}.apps.acme.example``: each tenant its own);
``tenants`` limits a suffix to those tenants (a customer's own domain). A host name is allowed when it
equals an allowed suffix or ends in ``.<suffix>``; the longest such suffix decides its issuer.
"""

from __future__ import annotations

import typing as t

TENANT = "{tenant}"


def suffix_for(suffix: str, tenant: str) -> str:
    return suffix.replace(TENANT, tenant, 1) if suffix.startswith(TENANT) else suffix


def allowed(domains: t.Iterable[t.Mapping[str, t.Any]], tenant: str) -> list[tuple[str, t.Mapping[str, t.Any]]]:
    """(suffix, its domain entry) the tenant may use, in the platform's order."""
    out = []
    for domain in domains:
        suffix = domain.get("suffix")
        tenants = domain.get("tenants")
        if isinstance(suffix, str) and (not tenants or (isinstance(tenants, list) and tenant in tenants)):
            out.append((suffix_for(suffix, tenant), domain))
    return out


def matching(
    domains: t.Iterable[t.Mapping[str, t.Any]], tenant: str, hostname: str
) -> tuple[str, t.Mapping[str, t.Any]] | None:
    """The longest allowed suffix ``hostname`` is under, with its domain entry (None: none)."""
    hits = [(s, d) for s, d in allowed(domains, tenant) if hostname == s or hostname.endswith("." + s)]
    return max(hits, key=lambda hit: len(hit[0])) if hits else None
