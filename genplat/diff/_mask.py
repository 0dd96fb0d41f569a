"""Masking of values that may hold secret material, before anything is compared or shown.

Masked values are replaced by :class:`Masked`: it prints as ``<masked>`` or as the value with each
secret in it replaced by its masked prefix (``postgres://app:…@db:5432/shop``), and compares by a
digest, so a changed secret still shows up as a change without showing either value.

What is masked (docs/diff.md lists the same rules for users):

1. ``data`` and ``stringData`` of a core ``Secret``: every value, whatever its key.
2. The ``kubectl.kubernetes.io/last-applied-configuration`` annotation (it can hold a whole Secret).
3. Every string the one secret detector (:mod:`genplat.core.secrets`, what validate, build, check,
   package and push use) finds secret material in, with its field name as context: a mapping key, or
   the ``name`` of a ``{name, value}`` item (container ``env``, Tekton ``params``). So the diff and the
   other commands classify every string the same way.
4. In external-secrets objects, ``spec.target.template.data`` (templates may embed literals).
"""

from __future__ import annotations

import dataclasses
import hashlib
import typing as t

from genplat.core.secrets import scan
from genplat.core.secrets import secretish_key as _secretish_key

MASK = "<masked>"

_EXTERNAL_SECRETS_GROUPS = ("external-secrets.io", "generators.external-secrets.io")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def secretish_key(key: str) -> bool:
    """Whether a field or variable name says its value is secret material (the one detector's rule)."""
    return _secretish_key(key)


def _digest(value: t.Any) -> str:
    return hashlib.sha256(repr(value).encode("utf-8", "surrogatepass")).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class Masked:
    """A value that may be secret: shown as ``display``, compared by ``digest``.

    The digest is only ever used to tell whether the value changed; it is never printed, because a
    hash of a short password can be reversed by guessing.
    """

    display: str
    digest: str

    def __str__(self) -> str:
        return self.display


def masked(value: t.Any, display: str = MASK) -> Masked:
    return Masked(display, _digest(value))


def _mask_string(s: str, name: str | None = None) -> t.Any:
    """Mask a string the detector finds secret material in; other strings come back unchanged."""
    hits = scan(s, key=name)
    if not hits:
        return s
    if any(h.start <= len(s) - len(s.lstrip()) and h.end >= len(s.rstrip()) for h in hits):
        return masked(s)  # the whole value is the secret
    shown = s
    for h in sorted(hits, key=lambda h: h.start, reverse=True):
        shown = shown[: h.start] + h.shown + shown[h.end :]
    return masked(s, shown if len(shown) <= 200 and "\n" not in shown else MASK)


def _mask_all(value: t.Any) -> t.Any:
    """Mask every leaf string or number under ``value`` (used where the whole subtree is secret)."""
    if isinstance(value, dict):
        return {k: _mask_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_all(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    return masked(value)


def mask_object(obj: dict[str, t.Any]) -> dict[str, t.Any]:
    """A copy of ``obj`` with every value that may be secret replaced by :class:`Masked`."""
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    external = group in _EXTERNAL_SECRETS_GROUPS
    out: dict[str, t.Any] = {}
    for key, value in obj.items():
        if kind == "Secret" and api_version == "v1" and key in ("data", "stringData"):
            out[key] = _mask_all(value)
        elif key == "metadata" and isinstance(value, dict):
            out[key] = _metadata(value)
        else:
            out[key] = _walk(value, external, (key,))
    return out


def _metadata(meta: dict[str, t.Any]) -> dict[str, t.Any]:
    out = _walk(meta, False, ("metadata",))
    ann = out.get("annotations")
    if isinstance(ann, dict) and _LAST_APPLIED in ann:
        ann = dict(ann)
        ann[_LAST_APPLIED] = masked(ann[_LAST_APPLIED])
        out["annotations"] = ann
    return t.cast(dict[str, t.Any], out)


def _walk(value: t.Any, external: bool, path: tuple[t.Any, ...], name: str | None = None) -> t.Any:
    if isinstance(value, str):
        return _mask_string(value, name)
    if isinstance(value, list):
        return [_walk(v, external, path + (i,), name) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if external and path[-3:] == ("target", "template", "data"):
        return _mask_all(value)
    item = value.get("name") if "value" in value else None
    out: dict[str, t.Any] = {}
    for k, v in value.items():
        key = item if k == "value" and isinstance(item, str) else k if isinstance(k, str) else None
        out[k] = _walk(v, external, path + (k,), key)
    return out
