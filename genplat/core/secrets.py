"""The one secret detector: what counts as secret material, for every stage that must keep it out.

Validation (blueprint values and template text), the build gate and ``genplat check`` (every string of
every object), ``genplat package`` and ``genplat push`` (every file they send), the diff's masking and
the reporters (no finding message repeats a secret) all ask :func:`scan`, so they classify a string
the same way. docs/rules.md lists what is found and how a platform allows a value.

The detection is Yelp's detect-secrets (its plugins' patterns for cloud keys, Stripe, Slack, GitHub,
GitLab, JWTs, private keys, basic-auth URLs, …; its keyword list for secret-sounding names; its
Shannon-entropy plugins and their limits; its heuristic filters for UUIDs, sequences and templated
values). detect-secrets scans source lines; genplat scans structured values, where the field or
variable name is known, so each value is handed to the plugins the way detect-secrets' YAML
transformer hands it a quoted value, with the name as context. genplat's own additions are marked
``# genplat:`` and say why the library does not cover the case.

The library is imported on first use, not with this module: ``import genplat.cli`` stays light.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import re
import typing as t

if t.TYPE_CHECKING:
    from detect_secrets.plugins.base import BasePlugin
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

KEYWORD_KIND = "Secret Keyword"
PRIVATE_KEY_KIND = "Private Key"

# Plugins of the library that find no secret material: a public IPv4 address is an address.
_NOT_SECRETS = frozenset({"Public IP (ipv4)"})

# genplat: names that say where a secret is or what describes it, not what it is (``secretName``,
# ``passwordSecretRef``, ``TOKEN_URL``, ``API_KEY_HEADER``, ``*_FILE``). The library's keyword plugin
# reads source code, where such names are rare; Kubernetes objects are full of them. Only the
# name-based finding is suppressed: a value that is a secret by its content is found under any name.
_POINTER_SUFFIXES = (
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
    "dir",
    "mount",
    "kind",
    "type",
    "id",
    "ids",
    "version",
    "provider",
    "property",
    "field",
    "audience",
    "seconds",
    "ttl",
    "timeout",
    "expiry",
    "expiration",
    "url",
    "uri",
    "endpoint",
    "host",
    "header",
    "template",
    "policy",
    "enabled",
    "length",
    "mode",
    "format",
    "keys",  # a list of key names (connectionSecretKeys)
    "secretkey",  # external-secrets' secretKey, Crossplane's fromConnectionSecretKey: a key's name
)
# genplat: secret-sounding words the library's keyword list leaves out (it scans code, where ``token``
# and ``credential`` are everywhere); in an environment variable or a manifest field they hold one.
_EXTRA_KEYWORDS = ("token", "credential", "accesskey", "sshkey", "connectionstring", "passphrase", "signingkey")
_EXTRA_EXACT = ("dsn", "auth", "authorization")

# genplat: names of values that identify content (checksums, digests, commits): high entropy is what
# they are made of. Only the entropy plugins are quieted for them.
_CHECKSUM_WORDS = frozenset(
    {"digest", "checksum", "sha", "sha1", "sha256", "sha512", "hash", "commit", "revision", "rev", "fingerprint"}
    | {"etag", "integrity", "sum", "md5"}
)

# genplat: documented placeholders (docs/rules.md): never secrets, wherever they are.
_PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "changeit",
        "replaceme",
        "replace-me",
        "replace_me",
        "placeholder",
        "example",
        "dummy",
        "redacted",
        "secret",
        "password",
        "todo",
        "tbd",
        "none",
        "null",
    }
)
_PLACEHOLDER_SHAPE = re.compile(r"x{3,}|\*{3,}|<[^<>]*>|\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|%[A-Za-z_]+%", re.I | re.S)

# genplat: PEM private keys the library's list misses: PKCS#8 ``ENCRYPTED PRIVATE KEY`` and cosign's
# ``ENCRYPTED SIGSTORE/COSIGN PRIVATE KEY`` are still keys that must not be published.
_PEM_PRIVATE = re.compile(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*-----")
# genplat: token formats without a plugin in detect-secrets 1.5.
_EXTRA_PATTERNS = (
    ("GitHub Token", re.compile(r"github_pat_[A-Za-z0-9_]{22,}")),  # fine-grained PATs (plugin: ghp_ & co)
    ("Google API Key", re.compile(r"AIza[0-9A-Za-z_\-]{35}")),
    ("Kubernetes Bootstrap Token", re.compile(r"(?<![\w.])[a-z0-9]{6}\.[a-z0-9]{16}(?![\w.])")),
)
# genplat: credentials in a URL's query (``?token=…``, Azure SAS ``sig=…``) and tokens as path segments
# (Discord/Teams-style webhooks): the library's basic-auth plugin reads only ``user:password@``.
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.I)
_EMPTY_USER = re.compile(r"[a-z][a-z0-9+.-]*://:([^@/\s]+)@", re.I)
_QUERY_PARAM = re.compile(r"[?&]([A-Za-z0-9_.-]+)=([^&#\s]+)")
_SIGNATURE_PARAMS = frozenset({"sig", "signature", "xamzsignature", "xgoogsignature", "code"})
# genplat: lines of text that assign a value to a name: ``key: value``, ``KEY=value``, ``export KEY=value``,
# ``"key": "value"``; the name is context as it is for a field (kubeconfigs, .env files, scripts).
_ASSIGNMENT = re.compile(
    r"""^\s*(?:-\s+)?(?:export\s+)?["']?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*(?::|=)\s*(?P<value>\S.*?)\s*,?\s*$"""
)
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-+/=]*")
_JWT_TAIL = re.compile(r"[A-Za-z0-9_\-+/=.]*")
_BASE64_BODY = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
_PUBLIC_PEM = ("-----BEGIN CERTIFICATE-----", "-----BEGIN PUBLIC KEY-----", "-----BEGIN RSA PUBLIC KEY-----")
_SSH_PUBLIC = re.compile(r"^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com) AAAA")
# Shorter hex strings are short commit hashes and build ids; a hex key under 80 bits is no key.
_MIN_HEX = 20
_MAX_SCAN = 1 << 20  # the longest string scanned whole: larger ones are scanned line by line
# The plugins of detect-secrets 1.5 (AUDITED_PLUGINS) each need one of these in a string to match:
# a literal part of their pattern, or a run of 24 token characters (their shortest bare token). Strings
# without any skip the plugins: most strings of a manifest are names, so this keeps the gate cheap.
# tests/core/test_secrets.py fails when the library's plugins change, so this is audited again.
AUDITED_PLUGINS = frozenset(
    {
        "AWS Access Key",
        "Artifactory Credentials",
        "Azure Storage Account access key",
        "Basic Auth Credentials",
        "Cloudant Credentials",
        "Discord Bot Token",
        "GitHub Token",
        "GitLab Token",
        "IBM COS HMAC Credentials",
        "IBM Cloud IAM Key",
        "JSON Web Token",
        "Mailchimp Access Key",
        "NPM tokens",
        "OpenAI Token",
        "Private Key",
        "PyPI Token",
        "SendGrid API Key",
        "Slack Token",
        "SoftLayer Credentials",
        "Square OAuth Secret",
        "Stripe Access Key",
        "Telegram Bot Token",
        "Twilio API Key",
    }
)
_GATE = re.compile(
    r"://|PRIVATE KEY|PuTTY-User-Key|_authToken|k_live_|eyJ|gh[pousr]_|github_pat_|gl[a-z]+-|GR1348941|sq0csp-"
    r"|pypi-|SG\.|AccountKey=|T3BlbkFJ|AKC|AP[0-9A-F]|A3T|ABIA|ACCA|AKIA|ASIA|AIza|[A-Za-z0-9_\-]{24}"
    r"|[a-z0-9]{6}\.[a-z0-9]{16}|(?i:xox|aws)"
)


@dataclasses.dataclass(frozen=True, slots=True)
class Hit:
    """Secret material inside a string: its kind and where it is (``value[start:end]``), never itself."""

    kind: str
    start: int
    end: int
    shown: str  # what may be printed: a masked prefix at most
    # How specific the kind is (0: a named format, 1: a URL's part, 2: a name, 3: entropy alone): of
    # overlapping hits the most specific names the secret, the widest gives its extent.
    rank: int = dataclasses.field(default=0, compare=False, repr=False)

    def describe(self) -> str:
        return f"{self.kind} ({self.shown})"


def value_digest(value: str) -> str:
    """How a lock file names an allowed value: the hex sha256 of its stripped text."""
    return hashlib.sha256(value.strip().encode("utf-8", "surrogatepass")).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class Allowances:
    """Values the platform declares not secret (``spec.secrets.allow``), each with its reason: by value
    (from the blueprint) or by ``value_digest`` (from the lock file the build wrote)."""

    values: t.Mapping[str, str] = dataclasses.field(default_factory=dict)
    digests: t.Mapping[str, str] = dataclasses.field(default_factory=dict)

    def reason(self, text: str) -> str | None:
        found = self.values.get(text.strip())
        if found is None and self.digests:
            found = self.digests.get(value_digest(text))
        return found

    def __bool__(self) -> bool:
        return bool(self.values or self.digests)


NO_ALLOWANCES = Allowances()


def allowances_from(secrets: t.Any) -> Allowances:
    """The platform blueprint's ``spec.secrets`` → its ``allow`` entries (value → reason)."""
    values: dict[str, str] = {}
    entries = secrets.get("allow") if isinstance(secrets, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("value"), str) and isinstance(entry.get("reason"), str):
            values[entry["value"].strip()] = entry["reason"]
    return Allowances(values)


MASK = "***"


def shown(secret: str, *, prefix: bool = True) -> str:
    """The most of ``secret`` any output shows: a token's leading characters that name its format (up to
    4, a quarter of it at most: ``sk_l…``), and for secrets without a format (a password, a random string)
    nothing at all (``***``)."""
    keep = min(4, len(secret) // 4) if prefix and len(secret) >= 8 else 0
    return f"{secret[:keep]}…" if keep else MASK


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


@functools.lru_cache(maxsize=16384)
def secretish_key(key: str) -> bool:
    """Whether a field or variable name says its value is secret material (detect-secrets' keyword
    list, plus genplat's), and is not a name that points at a secret (``secretName``, ``TOKEN_URL``)."""
    k = _norm(key)
    if not k or k.endswith(_POINTER_SUFFIXES):
        return False
    if k in _EXTRA_EXACT or any(w in k for w in _EXTRA_KEYWORDS):
        return True
    return _library().keyword_names.search(key.lower()) is not None or (_library().keyword_names.search(k) is not None)


# genplat: fields that hold an identifier (an env variable's ``name``, a Secret key's ``key``): a
# blueprint writes these as mapping keys, which are names, not values; the output repeats them as values.
# Entropy alone is no reason to call a name secret, so validate (keys) and build (values) agree.
_IDENTIFIER_FIELDS = frozenset({"name", "key", "secretkey", "generatename"})


@functools.lru_cache(maxsize=4096)
def checksum_key(key: str) -> bool:
    """A field whose high-entropy value is expected: a checksum, a digest, a commit, or an identifier."""
    return _norm(key) in _IDENTIFIER_FIELDS or not _CHECKSUM_WORDS.isdisjoint(_words(key))


def _words(key: str) -> list[str]:
    """``GIT_COMMIT_SHA`` → git, commit, sha; ``contentHash`` → content, hash."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def is_placeholder(text: str) -> bool:
    """Documented placeholders (docs/rules.md) and references to values: never secrets."""
    s = text.strip().strip("\"'")
    if not s or s.lower() in _PLACEHOLDERS or _PLACEHOLDER_SHAPE.fullmatch(s):
        return True
    return "EXAMPLE" in s  # the cloud providers' documented example keys (AKIAIOSFODNN7EXAMPLE)


class _Library:
    """detect-secrets' plugins and filters, loaded once per process."""

    def __init__(self) -> None:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.filters import heuristic
        from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
        from detect_secrets.plugins.keyword import DENYLIST, KeywordDetector

        self.heuristic = heuristic
        self.patterns: list[BasePlugin] = []
        self.entropy: list[HighEntropyStringsPlugin] = []
        mapping: t.Mapping[str, type[BasePlugin]] = get_mapping_from_secret_type_to_class()
        self.secret_types = frozenset(mapping)
        for secret_type, cls in sorted(mapping.items()):
            if secret_type in _NOT_SECRETS or issubclass(cls, KeywordDetector):
                continue
            plugin = cls()
            if isinstance(plugin, HighEntropyStringsPlugin):
                self.entropy.append(plugin)
            else:
                self.patterns.append(plugin)
        self.keyword_names = re.compile("|".join(DENYLIST), re.I)
        self.base64 = next(p for p in self.entropy if "Base64" in p.secret_type)


@functools.lru_cache(maxsize=1)
def _library() -> _Library:
    return _Library()


def _span(value: str, found: str, after: int = 0) -> tuple[int, int] | None:
    i = value.find(found, after)
    return None if i < 0 else (i, i + len(found))


def _private_key_span(value: str, start: int) -> int:
    end = _PEM_END.search(value, start)
    return end.end() if end else len(value)


def _public_material(text: str) -> bool:
    s = text.strip()
    return s.startswith(_PUBLIC_PEM) or _SSH_PUBLIC.match(s) is not None


def _decoded(value: str) -> str | None:
    """The text a long base64 value stands for (Secret data, kubeconfig ``*-data``), if it is text."""
    s = value.strip()
    if len(s) < 40 or not _BASE64_BODY.fullmatch(s):
        return None
    try:
        return base64.b64decode(s, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _entropy_hit(plugin: HighEntropyStringsPlugin, candidate: str, key: str | None) -> bool:
    lib = _library()
    if plugin is not lib.base64 and len(candidate) < _MIN_HEX:
        return False
    # Shannon entropy is at most log2 of the number of distinct characters: skip what cannot pass.
    if len(set(candidate)) <= 2**plugin.entropy_limit:
        return False
    if key is not None and checksum_key(key):
        return False
    if (
        lib.heuristic.is_potential_uuid(candidate)
        or lib.heuristic.is_sequential_string(candidate)
        or is_placeholder(candidate)
    ):
        return False
    return plugin.calculate_shannon_entropy(candidate) > plugin.entropy_limit


def _whole_value_entropy(value: str, key: str | None, out: list[Hit]) -> None:
    """The library's entropy plugins on a whole value (as its YAML transformer quotes each value) and
    on the quoted strings inside it."""
    lib = _library()
    s = value.strip()
    for plugin in lib.entropy:
        candidates = list(plugin.analyze_string(value))  # quoted substrings: 'x', "x"
        if s and all(c in plugin.charset for c in s):
            candidates.append(s)
        for c in candidates:
            if _entropy_hit(plugin, c, key) and (span := _span(value, c)):
                decoded = _decoded(c)
                if decoded is not None and _public_material(decoded):
                    continue
                out.append(Hit(plugin.secret_type, *span, MASK, rank=3))


def _url_parts(value: str, out: list[Hit]) -> None:
    lib = _library()
    for url in _URL.finditer(value):
        text = url.group()
        # genplat: a password with no user name (redis://:pw@host): the library's pattern needs a user.
        userinfo = _EMPTY_USER.match(text)
        if userinfo and not is_placeholder(userinfo.group(1)) and not userinfo.group(1).startswith("$"):
            start = url.start() + userinfo.start(1)
            out.append(Hit("Basic Auth Credentials", start, start + len(userinfo.group(1)), MASK, rank=0))
        for m in _QUERY_PARAM.finditer(text):
            name, v = m.group(1), m.group(2)
            if is_placeholder(v):
                continue
            if secretish_key(name) or _norm(name) in _SIGNATURE_PARAMS:
                start = url.start() + m.start(2)
                out.append(Hit("Credential in URL query", start, start + len(v), MASK, rank=1))
            elif _entropy_hit(lib.base64, v, name):
                start = url.start() + m.start(2)
                out.append(Hit("Token in URL", start, start + len(v), MASK, rank=1))
        path = text.split("?", 1)[0].split("#", 1)[0]
        offset = 0
        for segment in path.split("/"):
            here = offset
            offset += len(segment) + 1
            if (
                len(segment) >= 24
                and all(c in lib.base64.charset for c in segment)
                and _entropy_hit(lib.base64, segment, None)
            ):
                start = url.start() + here
                out.append(Hit("Token in URL", start, start + len(segment), MASK, rank=1))


def _keyword(value: str, key: str, out: list[Hit]) -> None:
    """A literal value under a secret-sounding name (the library's keyword plugin, its filters)."""
    s = value.strip()
    h = _library().heuristic
    if (
        not s
        or is_placeholder(s)
        or h.is_templated_secret(s)
        or h.is_prefixed_with_dollar_sign(s)
        or h.is_not_alphanumeric_string(s)
        or s.lower() in ("true", "false", "yes", "no", "on", "off")
        # genplat: a path or a plain URL names where the secret is (a mounted file, a token endpoint).
        or s.startswith(("/", "./", "file:"))
        or ("://" in s and "@" not in s.split("://", 1)[1].split("/", 1)[0] and "?" not in s)
    ):
        return
    start = value.find(s)
    out.append(Hit(KEYWORD_KIND, start, start + len(s), MASK, rank=2))


def _patterns(value: str, out: list[Hit]) -> None:
    if _GATE.search(value) is None:
        return
    lib = _library()
    for plugin in lib.patterns:
        after = 0
        for found in plugin.analyze_string(value):
            span = _span(value, found, after) or _span(value, found)
            if span is None or is_placeholder(found):
                continue
            after = span[1]
            start, end = span
            if plugin.secret_type == PRIVATE_KEY_KIND:  # the whole block, not just its BEGIN line
                start = start - 5 if value[max(start - 5, 0) : start] == "-----" else start
                end = _private_key_span(value, start)
            elif plugin.secret_type != "Basic Auth Credentials":
                # The plugins' patterns match a token's first characters (Stripe's 24, a JWT's
                # header and payload): the secret runs on to the end of the token.
                tail = _JWT_TAIL if plugin.secret_type == "JSON Web Token" else _TOKEN_TAIL
                end = tail.match(value, end).end()  # type: ignore[union-attr]
            prefix = plugin.secret_type != "Basic Auth Credentials"  # a password has no format to name
            out.append(Hit(plugin.secret_type, start, end, shown(value[start:end], prefix=prefix)))
    for m in _PEM_PRIVATE.finditer(value):
        out.append(Hit(PRIVATE_KEY_KIND, m.start(), _private_key_span(value, m.start()), "-----BEGIN … PRIVATE KEY"))
    for kind, pattern in _EXTRA_PATTERNS:
        for m in pattern.finditer(value):
            if not is_placeholder(m.group()):
                out.append(Hit(kind, m.start(), m.end(), shown(m.group())))


def _assigned(m: re.Match[str]) -> tuple[str, int]:
    """The value of an assignment line and where it starts, without its quotes."""
    value, start = m.group("value"), m.start("value")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1], start + 1
    return value, start


def _lines(value: str, out: list[Hit], allowed: Allowances) -> None:
    """genplat: text of several lines (a kubeconfig, a .env file, a script): each ``name: value`` line
    is scanned with its name as context."""
    offset = 0
    for line in value.splitlines(keepends=True):
        m = _ASSIGNMENT.match(line.rstrip("\r\n"))
        if m and len(line) < _MAX_SCAN:
            text, start = _assigned(m)
            for h in _scan(text, m.group("key"), allowed, nested=True):
                base = offset + start
                out.append(dataclasses.replace(h, start=base + h.start, end=base + h.end))
        offset += len(line)


def _scan(value: str, key: str | None, allowed: Allowances, *, nested: bool = False) -> list[Hit]:
    out: list[Hit] = []
    if len(value) > _MAX_SCAN:
        return out
    _patterns(value, out)
    if "://" in value:
        _url_parts(value, out)
    if "\n" in value.strip():
        if not nested:
            _lines(value, out, allowed)
    else:
        _whole_value_entropy(value, key, out)
        if key is not None and secretish_key(key) and not out:
            _keyword(value, key, out)
    decoded = _decoded(value)
    if decoded is not None:
        inner = _scan(decoded, key, allowed, nested=False)
        if inner:
            s = value.strip()
            start = value.find(s)
            kinds = sorted({h.kind for h in inner})
            out = [h for h in out if not (h.start >= start and h.end <= start + len(s))]
            out.append(Hit(f"{', '.join(kinds)} (base64)", start, start + len(s), MASK))
    return _tidy(value, out, allowed)


def _tidy(value: str, hits: list[Hit], allowed: Allowances) -> list[Hit]:
    """Allowed values dropped; overlapping hits merged into one (one secret, one finding), named by the
    most specific kind among them."""
    keep: list[Hit] = []
    if allowed and allowed.reason(value) is not None:
        return keep
    for h in sorted(hits, key=lambda h: (h.start, -(h.end - h.start), h.rank, h.kind)):
        if allowed and allowed.reason(value[h.start : h.end]) is not None:
            continue
        if keep and h.start < keep[-1].end:
            last = keep[-1]
            best = last if (last.rank, last.kind) <= (h.rank, h.kind) else h
            end = max(last.end, h.end)
            text = value[last.start : end]
            keep[-1] = Hit(best.kind, last.start, end, shown(text, prefix=best.rank == 0), rank=best.rank)
            continue
        keep.append(h)
    return keep


@functools.lru_cache(maxsize=65536)
def _cached(value: str, key: str | None) -> tuple[Hit, ...]:
    return tuple(_scan(value, key, NO_ALLOWANCES))


# The shortest string any detection can match without a name for context (``xoxb-1-a``, ``a://b:c@``):
# shorter strings (kinds, versions, ports, most labels) are skipped unless their name sounds secret.
_SHORTEST = 8


@functools.lru_cache(maxsize=16384)
def _context(key: str | None) -> str | None:
    """The name as far as it changes the verdict: secret-sounding or checksum-like names; else None."""
    return key if key is not None and (secretish_key(key) or checksum_key(key)) else None


def scan(value: str, *, key: str | None = None, allowed: Allowances = NO_ALLOWANCES) -> tuple[Hit, ...]:
    """Every piece of secret material in ``value`` (``key``: the field or variable name it sits under)."""
    if not isinstance(value, str) or not value:
        return ()
    if not allowed:
        context = _context(key)
        if len(value) < _SHORTEST and context is None:
            return ()
        return _cached(value, context)
    return tuple(_scan(value, key, allowed))


PathT = tuple[str | int, ...]


def scan_tree(
    node: t.Any, *, allowed: Allowances = NO_ALLOWANCES, path: PathT = (), key: str | None = None
) -> t.Iterator[tuple[PathT, str, Hit]]:
    """(path, value, hit) for every string under ``node``, in document order; a mapping key is its value's
    name, and so is the ``name`` of a ``{name, value}`` item (container env, Tekton params).

    The build runs this on every object it renders and almost none holds a secret: a quick walk that
    builds no paths answers first, and only an object with a finding is walked again for its paths."""
    if not allowed and not _any_hit(node, key):
        return
    yield from _walk(node, allowed, path, key)


def _any_hit(node: t.Any, key: str | None) -> bool:
    stack: list[tuple[t.Any, str | None]] = [(node, key)]
    pop, push = stack.pop, stack.append
    while stack:
        node, key = pop()
        kind = type(node)
        if kind is str:
            if len(node) >= _SHORTEST or key is not None:
                context = _context(key)
                if (len(node) >= _SHORTEST or context is not None) and _cached(node, context):
                    return True
        elif kind is dict:
            item = node.get("name") if "value" in node else None
            for k, v in node.items():
                push((v, item if k == "value" and type(item) is str else k if type(k) is str else None))
        elif kind is list:
            for v in node:
                push((v, key))
        elif isinstance(node, str | dict | list):  # a subclass (a YAML loader's own types): as its base
            push((str(node) if isinstance(node, str) else dict(node) if isinstance(node, dict) else list(node), key))
    return False


def _walk(node: t.Any, allowed: Allowances, path: PathT, key: str | None) -> t.Iterator[tuple[PathT, str, Hit]]:
    if isinstance(node, str):
        for hit in scan(node, key=key, allowed=allowed):
            yield path, node, hit
    elif isinstance(node, dict):
        item_name = node.get("name") if "value" in node else None
        for k, v in node.items():
            name = item_name if k == "value" and isinstance(item_name, str) else k if isinstance(k, str) else None
            yield from _walk(v, allowed, (*path, k), name)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, allowed, (*path, i), key)


_JINJA_TAG = re.compile(r"\{%-?\s*(?:set\s+)?|\s*-?%\}")


def scan_text(text: str, *, allowed: Allowances = NO_ALLOWANCES) -> t.Iterator[tuple[int, int, str | None, Hit]]:
    """(line, column, name, hit) for every secret in a text of lines (a template, a script): a line that
    assigns a value (``name: value``, ``NAME=value``, ``{% set name = value %}``) is scanned with its
    name as context, any other line as it is."""
    for number, raw in enumerate(text.splitlines(), start=1):
        if len(raw) > _MAX_SCAN:
            continue
        line = _JINJA_TAG.sub(lambda m: " " * len(m.group()), raw)  # same columns, tags as blanks
        m = _ASSIGNMENT.match(line)
        name = m.group("key") if m else None
        seen: list[Hit] = []
        value_at = (len(line), len(line))
        if m:
            text, start = _assigned(m)
            value_at = (m.start("value"), m.end("value"))
            for h in scan(text, key=name, allowed=allowed):
                seen.append(dataclasses.replace(h, start=start + h.start, end=start + h.end))
        for h in scan(line, allowed=allowed):  # the rest of the line; the value was read with its name
            if not (h.start < value_at[1] and value_at[0] < h.end):
                seen.append(h)
        for h in sorted(seen, key=lambda h: h.start):
            yield number, h.start + 1, name, h


def redact(text: str, known: t.Iterable[str] = ()) -> str:
    """``text`` with every secret in it (found, or ``known`` to the caller) replaced by its shown form."""
    if not text:
        return text
    for value in sorted({k for k in known if k and len(k) >= 3}, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    hits = scan(text)
    for h in sorted(hits, key=lambda h: h.start, reverse=True):
        text = text[: h.start] + h.shown + text[h.end :]
    return text
