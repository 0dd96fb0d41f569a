"""Offerings: what they publish and what their parameters drive."""

from __future__ import annotations

import typing as t

from genplat.core.diagnostics import Diagnostic, as_warning
from genplat.core.readers import as_dict, as_list, as_str, listing
from genplat.core.secrets import secretish_key
from genplat.core.suggest import close_matches, did_you_mean
from genplat.loader.project import Blueprint


def check_offerings(bp: Blueprint) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for oi, off in enumerate(as_list(bp.spec.get("offerings"))):
        off = as_dict(off)
        base = ("spec", "offerings", oi)
        name = as_str(off.get("name")) or ""
        published = {k for k in as_dict(off.get("connectionDetails")) if isinstance(k, str)}
        used: set[str] = set()
        used_by: list[set[str]] = []
        for ci, comp in enumerate(as_list(off.get("compositions"))):
            comp = as_dict(comp)
            written: set[str] = set()
            used_by.append(set())
            for ri, res in enumerate(as_list(comp.get("resources"))):
                res = as_dict(res)
                for patch in as_list(res.get("patches")):
                    src = as_str(as_dict(patch).get("from"))
                    if src:
                        used.add(src)
                        used_by[ci].add(src)
                for di, detail in enumerate(as_list(res.get("connectionDetails"))):
                    detail = as_dict(detail)
                    key = as_str(detail.get("name"))
                    where = (*base, "compositions", ci, "resources", ri, "connectionDetails", di)
                    if key is None:
                        continue
                    written.add(key)
                    if key not in published:
                        out.append(
                            bp.diagnostic(
                                "unknown-connection-key",
                                f"connection detail {key!r} is not one offering {name!r} publishes",
                                (*where, "name"),
                                hint=(did_you_mean(key, published) if published else None)
                                or f"declare it under offerings[{oi}].connectionDetails, or remove it",
                            )
                        )
                    if "value" in detail and secretish_key(key):
                        out.append(
                            bp.diagnostic(
                                "inline-secret",
                                f"connection detail {key!r} has a fixed value: a secret written into the blueprint",
                                (*where, "value"),
                                hint="take it from the composed resource: fromConnectionSecretKey or fromFieldPath",
                            )
                        )
            for key in sorted(published - written):
                out.append(
                    bp.diagnostic(
                        "connection-detail-unwritten",
                        f"the composition for provider {comp.get('provider')!r} writes no {key!r}, which offering {name!r} publishes",
                        (*base, "compositions", ci, "provider"),
                        hint=f"add a connectionDetails entry with name: {key} to one of its resources "
                        "(fromConnectionSecretKey, fromFieldPath or a fixed value)",
                    )
                )
        params = as_dict(off.get("parameters"))
        # A patch reading a misspelt parameter is reported as unknown-parameter, with the name it meant.
        misspelt = [u for u in used if "." not in u and u not in params]
        for pname in params:
            if isinstance(pname, str) and pname not in used and not close_matches(pname, misspelt):
                out.append(
                    as_warning(
                        bp.diagnostic(
                            "unused-parameter",
                            f"parameter {pname!r} of offering {name!r} is used by no composition patch: "
                            "what a tenant sets there changes nothing",
                            (*base, "parameters", pname),
                            key=True,
                            hint=f"patch it onto a composed resource (patches: [{{from: {pname}, to: …}}]) "
                            "or remove it",
                        )
                    )
                )
        out += _unused_by_composition(bp, base, name, params, used, used_by)
    return out


def _unused_by_composition(
    bp: Blueprint,
    base: tuple[str | int, ...],
    name: str,
    params: dict[str, t.Any],
    used: set[str],
    used_by: list[set[str]],
) -> list[Diagnostic]:
    """A parameter some composition reads and another ignores: tenants on the other provider's clusters
    set it for nothing (read by none at all is the offering-wide finding above)."""
    out = []
    comps = as_list(as_dict(as_list(bp.spec.get("offerings"))[base[-1]]).get("compositions"))  # type: ignore[index]
    for ci, reads in enumerate(used_by):
        ignored = [p for p in params if isinstance(p, str) and p in used and p not in reads]
        if not ignored:
            continue
        provider = as_str(as_dict(comps[ci]).get("provider")) or "?"
        listed = ", ".join(repr(p) for p in ignored)
        out.append(
            as_warning(
                bp.diagnostic(
                    "unused-parameter",
                    f"composition {name}-{provider} reads no {'parameter' if len(ignored) == 1 else 'parameters'} "
                    f"{listed} of offering {name!r}: on {provider} clusters what a tenant sets there changes nothing",
                    (*base, "compositions", ci, "provider"),
                    hint=f"patch {'it' if len(ignored) == 1 else 'each'} onto a resource of this composition "
                    f"(patches: [{{from: {ignored[0]}, to: …}}]), as the other compositions do",
                )
            )
        )
    return out


def published_keys(platform: Blueprint) -> dict[str, set[str]]:
    """Offering name → the connection details it publishes."""
    out: dict[str, set[str]] = {}
    for off in as_list(platform.spec.get("offerings")):
        off = as_dict(off)
        name = as_str(off.get("name"))
        if name:
            out[name] = {k for k in as_dict(off.get("connectionDetails")) if isinstance(k, str)}
    return out


def describe(keys: t.Iterable[str]) -> str:
    return listing(keys)
