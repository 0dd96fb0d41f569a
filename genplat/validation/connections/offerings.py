"""Offerings: what they publish and what their parameters drive."""

from __future__ import annotations

import difflib
import typing as t

from genplat.core.diagnostics import Diagnostic
from genplat.core.readers import as_dict, as_list, as_str, listing
from genplat.core.secrets import secretish_key
from genplat.core.suggest import did_you_mean
from genplat.loader.project import Blueprint

# Names of values that are secrets: a fixed ``value`` under such a name is a secret in the blueprint.


def check_offerings(bp: Blueprint) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for oi, off in enumerate(as_list(bp.spec.get("offerings"))):
        off = as_dict(off)
        base = ("spec", "offerings", oi)
        name = as_str(off.get("name")) or ""
        published = {k for k in as_dict(off.get("connectionDetails")) if isinstance(k, str)}
        used: set[str] = set()
        for ci, comp in enumerate(as_list(off.get("compositions"))):
            comp = as_dict(comp)
            written: set[str] = set()
            for ri, res in enumerate(as_list(comp.get("resources"))):
                res = as_dict(res)
                for patch in as_list(res.get("patches")):
                    src = as_str(as_dict(patch).get("from"))
                    if src:
                        used.add(src)
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
            if (
                isinstance(pname, str)
                and pname not in used
                and not difflib.get_close_matches(pname, misspelt, n=1, cutoff=0.6)
            ):
                out.append(
                    bp.diagnostic(
                        "unused-parameter",
                        f"parameter {pname!r} of offering {name!r} is used by no composition patch: "
                        "what a tenant sets there changes nothing",
                        (*base, "parameters", pname),
                        key=True,
                        hint=f"patch it onto a composed resource (patches: [{{from: {pname}, to: …}}]) or remove it",
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
