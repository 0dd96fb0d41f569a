"""Masking of values that may hold secret material, before anything is compared or shown.

Masked values are replaced by :class:`Masked`: it prints as ``<masked>`` (or,
for a URL with a password, as the URL with ``***`` in place of the password) and compares by a
digest, so a changed secret still shows up as a change without showing either value.

What is masked (docs/diff.md lists the same rules for users):

1. ``data`` and ``stringData`` of a core ``Secret``: every value, whatever its key.
2. The ``kubectl.kubernetes.io/last-applied-configuration`` annotation (it can hold a whole Secret).
3. A string (or list of strings) under a key that sounds secret: the key, lowercased with ``-_.``
   removed, contains password, passwd, passphrase, secret, token, privatekey, apikey, accesskey,
   credential, sshkey, connectionstring, or is dsn/authorization — unless the key names a reference
   rather than a value (ends in ref, name, selector, namespace, store, path, key id and the like):
   ``secretName``, ``passwordSecretRef`` and ``tokenSecretRef`` are names to review, not secrets.
   Booleans and numbers are never masked (``automountServiceAccountToken: false`` stays readable).
4. ``value`` of any ``{name, value}`` item whose name sounds secret (container ``env``, Tekton
   ``params``): ``{name: DB_PASSWORD, value: …}``.
5. Strings that look like secrets wherever they are: PEM private keys, JSON Web Tokens, and the
   password part of ``scheme://user:password@host`` URLs.
6. In external-secrets objects, ``spec.target.template.data`` (templates may embed literals); the
   ``secretKey`` field there names a key in the target Secret and is *not* masked.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import typing as t

MASK = "<masked>"

_SECRETISH = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "privatekey",
    "apikey",
    "accesskey",
    "credential",
    "sshkey",
    "connectionstring",
)
_SECRETISH_EXACT = ("dsn", "authorization", "auth")
# Keys ending like this hold a reference to a secret (or metadata about one), not the secret itself.
_REFERENCE_SUFFIXES = (
    "ref",
    "refs",
    "name",
    "names",
    "selector",
    "namespace",
    "store",
    "storeref",
    "path",
    "paths",
    "file",
    "mount",
    "kind",
    "type",
    "id",
    "version",
    "provider",
    "property",
    "field",
    "audience",
    "seconds",
    "ttl",
    "expiration",
    "url",
    "template",
    "policy",
    "enabled",
    "ids",
)
_EXTERNAL_SECRETS_GROUPS = ("external-secrets.io", "generators.external-secrets.io")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

_PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)(?P<pw>[^@\s/]+)(?P<tail>@)")


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


@functools.lru_cache(maxsize=8192)
def secretish_key(key: str) -> bool:
    """Whether a field or variable name suggests its value is secret material."""
    k = _norm(key)
    if not k or k.endswith(_REFERENCE_SUFFIXES):
        return False
    return k in _SECRETISH_EXACT or any(word in k for word in _SECRETISH)


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


def _mask_string(s: str) -> t.Any:
    """Mask a string that looks like a secret on its own; other strings come back unchanged."""
    if _PEM_PRIVATE.search(s) or _JWT.search(s):
        return masked(s)
    if "://" in s and "@" in s:
        shown, n = _URL_PASSWORD.subn(lambda m: m.group("head") + "***" + m.group("tail"), s)
        if n:
            return masked(s, shown)
    return s


def _mask_all(value: t.Any) -> t.Any:
    """Mask every leaf string or number under ``value`` (used where the whole subtree is secret)."""
    if isinstance(value, dict):
        return {k: _mask_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_all(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    return masked(value)


def _mask_strings(value: t.Any) -> t.Any:
    """A secret-sounding key: mask strings and lists of strings, keep other shapes walkable."""
    if isinstance(value, str):
        return masked(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [masked(v) for v in value]
    return value


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


def _walk(value: t.Any, external: bool, path: tuple[t.Any, ...]) -> t.Any:
    if isinstance(value, str):
        return _mask_string(value)
    if isinstance(value, list):
        return [_walk(v, external, path + (i,)) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if external and path[-3:] == ("target", "template", "data"):
        return _mask_all(value)
    name = value.get("name")
    named_secret = isinstance(name, str) and "value" in value and secretish_key(name)
    out: dict[str, t.Any] = {}
    for k, v in value.items():
        if named_secret and k == "value":
            out[k] = _mask_all(v)
        elif isinstance(k, str) and secretish_key(k) and not (external and k == "secretKey"):
            masked_v = _mask_strings(v)
            out[k] = masked_v if masked_v is not v else _walk(v, external, path + (k,))
        else:
            out[k] = _walk(v, external, path + (k,))
    return out
