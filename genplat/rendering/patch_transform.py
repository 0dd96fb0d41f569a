"""function-patch-and-transform, offline: what it does to the patches and transforms genplat writes.

Composition in a cluster runs the function (v0.10.7) on each composite resource (XR); this module does
the same work in Python for the subset genplat renders, so a build can compose every tenant's XR and
check the result against the providers' schemas before anything reaches a cluster. Facts carried over
from the function and from crossplane-runtime's ``fieldpath`` package (read at those releases):

* a field path is fields separated by ``.`` with ``[i]`` indexes and ``[key]`` fields (quotes trimmed);
  a bracket holding an unsigned number is an index; indexes above 1024 are refused;
* reading a path that is missing (a field, a list element, a null on the way) is "not found": the
  patch is skipped (every genplat patch has the default policy ``fromFieldPath: Optional``). Reading
  through a value of the wrong shape (a field of a list, an index into an object) is an error, and so
  the function's fatal result;
* writing a path creates the maps and lists on the way (a list is grown to the index written);
  writing through an existing value of the wrong shape is an error;
* values travel as protobuf ``Struct`` s and JSON: every number the function reads from the XR is a
  float64 (so ``%d`` of an integer parameter gives ``%!d(float64=20)``), and whatever a patch writes is
  marshalled and read back (a whole float64 that fits becomes an int64);
* transforms: ``math`` ``Multiply`` (an int64 multiplier; int64 or float64 input), ``convert`` to
  ``string`` (``strconv``'s forms), ``map`` (string input; a missing key is an error; map values are
  JSON, their numbers float64) and ``string`` ``Format`` (Go's ``fmt.Sprintf`` with one operand).
  :data:`FORMAT_VERBS` are the verbs this module formats as Go does; others are refused;
* after the patches, ``crossplane render`` (and the XR reconciler) name the composed resource after
  the XR (``generateName: <xr>-``), put it in the XR's namespace, label it ``crossplane.io/composite``
  and annotate it ``crossplane.io/composition-resource-name``; a claim's XR adds the claim labels.

Anything else (other patch or transform types, wildcards in paths) raises :class:`Unsupported`: genplat
never renders it, and validation refuses what would lead here.
"""

from __future__ import annotations

import copy
import dataclasses
import decimal
import re
import typing as t

Segment = str | int
Segments = tuple[Segment, ...]

MAX_INDEX = 1024
INT64_MAX = 2**63 - 1
COMPOSITE_LABEL = "crossplane.io/composite"
RESOURCE_NAME_ANNOTATION = "crossplane.io/composition-resource-name"
CLAIM_NAME_LABEL = "crossplane.io/claim-name"
CLAIM_NAMESPACE_LABEL = "crossplane.io/claim-namespace"
# The Go verbs formatted here (``%%`` besides): what genplat accepts in a ``format`` transform.
FORMAT_VERBS = frozenset("sdvt")


class PathSyntaxError(ValueError):
    """A field path the function cannot parse."""


class PathError(Exception):
    """Reading or writing a path through a value of the wrong shape (the function fails the XR)."""


class TransformError(Exception):
    """A transform the function fails on (wrong input type, a key missing from a map, …)."""


class Unsupported(Exception):
    """Something genplat does not compose offline (and never renders)."""


class NotFound(Exception):
    """A path that is not there (a patch reading it is skipped)."""


# ---------------------------------------------------------------------------------------------- paths


def parse_path(path: str) -> Segments:
    """Segments of a field path, as crossplane-runtime's lexer reads it."""
    segments: list[Segment] = []
    i, n = 0, len(path)
    start = 0
    while i < n:
        ch = path[i]
        if ch == "]":
            raise PathSyntaxError(f"unexpected ']' at position {i} of {path!r}")
        if ch == ".":
            if i == 0 or i == n - 1:
                raise PathSyntaxError(f"unexpected '.' at position {i} of {path!r}")
            if i > start:
                segments.append(_field(path[start:i]))
            nxt = path[i + 1]
            if nxt in ".[":
                raise PathSyntaxError(f"unexpected {nxt!r} at position {i + 1} of {path!r}")
            i += 1
            start = i
            continue
        if ch == "[":
            if i > start:
                segments.append(_field(path[start:i]))
            close = path.find("]", i + 1)
            if close < 0:
                raise PathSyntaxError(f"unterminated '[' at position {i} of {path!r}")
            inner = path[i + 1 : close]
            if not inner:
                raise PathSyntaxError(f"unexpected ']' at position {close} of {path!r}")
            if "[" in inner:
                raise PathSyntaxError(f"unexpected '[' at position {i + 1 + inner.index('[')} of {path!r}")
            segments.append(_field_or_index(inner))
            i = close + 1
            start = i
            continue
        i += 1
    if start < n:
        segments.append(_field(path[start:]))
    if not segments:
        raise PathSyntaxError("empty field path")
    return tuple(segments)


def _field(s: str) -> str:
    return s.strip("'\"")


def _field_or_index(s: str) -> Segment:
    if s.isdigit() and s.isascii() and int(s) <= 0xFFFFFFFF:
        return int(s)
    return _field(s)


def format_path(segments: t.Sequence[Segment]) -> str:
    """Segments back to a path, as crossplane-runtime prints them."""
    out = ""
    for s in segments:
        if isinstance(s, int) or s == "*" or "." in s:
            out += f"[{s}]"
        else:
            out += f".{s}"
    return out.removeprefix(".")


def get_value(obj: t.Any, segments: Segments) -> t.Any:
    """The value at ``segments``. Raises :class:`NotFound` (missing) or :class:`PathError` (wrong shape)."""
    it = obj
    for i, seg in enumerate(segments):
        if isinstance(seg, int):
            if not isinstance(it, list):
                raise PathError(f"{format_path(segments[:i])}: not an array")
            if seg >= len(it):
                raise NotFound
            it = it[seg]
        else:
            if isinstance(it, dict):
                if seg not in it:
                    raise NotFound
                it = it[seg]
            elif it is None:
                raise NotFound
            else:
                raise PathError(f"{format_path(segments[:i])}: not an object")
    return it


def lookup(obj: t.Any, path: str) -> tuple[bool, t.Any]:
    """(found, value) of a field path; raises :class:`PathError` for a path through the wrong shape."""
    try:
        return True, get_value(obj, parse_path(path))
    except NotFound:
        return False, None


def set_value(obj: dict[str, t.Any], segments: Segments, value: t.Any) -> None:
    """Write ``value`` at ``segments``, creating maps and lists on the way (crossplane-runtime's ``SetValue``)."""
    for seg in segments:
        if isinstance(seg, int) and seg > MAX_INDEX:
            raise PathError(f"index {seg} is greater than max allowed index {MAX_INDEX}")
    value = json_value(value)
    it: t.Any = obj
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        if not isinstance(it, list if isinstance(seg, int) else dict):
            raise PathError(f"{format_path(segments[:i])} is not an {'array' if isinstance(seg, int) else 'object'}")
        holder: t.Any = it  # a list for an index, a map for a field (checked above)
        if i == last:
            holder[seg] = value
            return
        _prepare(holder, seg, segments[i + 1])
        it = holder[seg]


def _prepare(container: t.Any, key: Segment, nxt: Segment) -> None:
    """crossplane-runtime's ``prepareField``/``prepareElement``: make room for the next segment."""
    if isinstance(container, dict):
        missing = key not in container
    else:
        missing = container[key] is None
    if missing:
        container[key] = [None] * (nxt + 1) if isinstance(nxt, int) else {}
        return
    if not isinstance(nxt, int):
        return
    current = container[key]
    if isinstance(current, list) and nxt >= len(current):
        current.extend([None] * (nxt - len(current) + 1))


# ---------------------------------------------------------------------------------------------- values


def _numbers(value: t.Any, number: t.Callable[[int | float], int | float]) -> t.Any:
    """A JSON value with every number passed through ``number`` (keys as strings, tuples as lists)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, dict):
        return {str(k): _numbers(v, number) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_numbers(v, number) for v in value]
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _int64_if_whole(n: int | float) -> int | float:
    return int(n) if isinstance(n, float) and n.is_integer() and abs(n) <= INT64_MAX else n


def json_value(value: t.Any) -> t.Any:
    """A value as it comes back from a JSON round trip in Go: whole numbers that fit are int64."""
    return _numbers(value, _int64_if_whole)


def as_float64(value: t.Any) -> t.Any:
    """A value as Go reads it from a protobuf ``Struct`` (the XR) or with encoding/json (a map's
    values): every number a float64."""
    return _numbers(value, float)


def go_type(value: t.Any) -> str:
    """The Go type name ``fmt`` prints for a JSON value (``%T``)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "<nil>"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"


def _shortest(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of a float and the decimal exponent of the first digit (as Go's
    ``strconv`` and Python's ``repr`` both find them)."""
    d = decimal.Decimal(repr(value)).normalize()
    _sign, digits, exponent = d.as_tuple()
    text = "".join(str(x) for x in digits).rstrip("0") or "0"
    assert isinstance(exponent, int)
    return text, exponent + len(digits) - 1


def go_float_v(value: float) -> str:
    """Go's ``%v`` of a float64 (``strconv``'s shortest ``%g``): the ``%e`` form when the decimal exponent
    is below -4 or at least 6, plain digits otherwise."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, exp = _shortest(abs(value))
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return sign + _fixed(digits, exp)


def go_float_f(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'f', -1, 64)``: shortest digits, never an exponent."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, exp = _shortest(abs(value))
    return sign + _fixed(digits, exp)


def _fixed(digits: str, exp: int) -> str:
    if exp < 0:
        return "0." + "0" * (-exp - 1) + digits
    if exp + 1 >= len(digits):
        return digits + "0" * (exp + 1 - len(digits))
    return digits[: exp + 1] + "." + digits[exp + 1 :]


def go_v(value: t.Any) -> str:
    """Go's ``%v`` of a JSON value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float_v(value)
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    raise Unsupported(f"formatting a {go_type(value)} is not supported")


_VERB = re.compile(r"%(.)", re.DOTALL)


def format_verbs(fmt: str) -> list[str]:
    """The verbs of a Go format string, ``%%`` left out (an unfinished ``%`` at the end is ``!``)."""
    out = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            if i + 1 >= len(fmt):
                out.append("!")
                break
            if fmt[i + 1] != "%":
                out.append(fmt[i + 1])
            i += 2
            continue
        i += 1
    return out


def go_sprintf(fmt: str, value: t.Any) -> str:
    """``fmt.Sprintf(fmt, value)`` for a format with exactly one verb of :data:`FORMAT_VERBS`."""
    verbs = format_verbs(fmt)
    if len(verbs) != 1 or verbs[0] not in FORMAT_VERBS:
        raise Unsupported(f"format {fmt!r}: genplat formats exactly one of %s, %d, %v, %t")

    def one(m: re.Match[str]) -> str:
        c = m.group(1)
        if c == "%":
            return "%"
        return _apply_verb(c, value)

    return _VERB.sub(one, fmt)


def _apply_verb(verb: str, value: t.Any) -> str:
    ok = (
        verb == "v"
        or (verb == "s" and isinstance(value, str))
        or (verb == "d" and isinstance(value, int) and not isinstance(value, bool))
        or (verb == "t" and isinstance(value, bool))
    )
    if ok:
        return go_v(value)
    return f"%!{verb}({go_type(value)}={go_v(value)})"


# ---------------------------------------------------------------------------------------------- transforms


def resolve_transform(tr: t.Mapping[str, t.Any], value: t.Any) -> t.Any:
    """One transform of the function's input applied to a value."""
    kind = tr.get("type")
    if kind == "math":
        m = tr.get("math") or {}
        if m.get("type") != "Multiply":
            raise Unsupported(f"math transform {m.get('type')!r}")
        factor = m.get("multiply")
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TransformError(f"the multiplier must be an integer (int64), not {factor!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TransformError(f"input is required to be a number for math transformer, got {go_type(value)}")
        return value * factor if isinstance(value, int) else value * float(factor)
    if kind == "convert":
        to = (tr.get("convert") or {}).get("toType")
        if to != "string":
            raise Unsupported(f"convert to {to!r}")
        if isinstance(value, float):
            return go_float_f(value)  # strconv.FormatFloat(v, 'f', -1, 64): never an exponent
        if isinstance(value, (bool, int, str)):
            return go_v(value)
        raise TransformError(f"invalid input type {go_type(value)}")
    if kind == "map":
        pairs = tr.get("map") or {}
        if not isinstance(value, str):
            raise TransformError(f"type {go_type(value)} is not supported for map transform")
        if value not in pairs:
            raise TransformError(f"key {value} is not found in map")
        return as_float64(pairs[value])
    if kind == "string":
        s = tr.get("string") or {}
        if s.get("type") != "Format":
            raise Unsupported(f"string transform {s.get('type')!r}")
        return go_sprintf(str(s.get("fmt")), value)
    raise Unsupported(f"transform type {kind!r}")


# ---------------------------------------------------------------------------------------------- composing


@dataclasses.dataclass(frozen=True, slots=True)
class Write:
    """What one patch wrote into a composed resource."""

    patch: int  # index in the resource's patches
    source: str  # the XR field path it read
    path: Segments  # where it wrote
    value: t.Any  # the value read from the XR (before transforms)


@dataclasses.dataclass(slots=True)
class Composed:
    """One composed resource of an XR."""

    name: str  # the resource's name in the composition
    index: int  # its position in the composition's resources
    obj: dict[str, t.Any]
    writes: list[Write]


@dataclasses.dataclass(frozen=True, slots=True)
class ComposeFailure:
    """The function's fatal result for one XR: which resource and patch failed, and why."""

    resource: str
    index: int
    patch: int
    source: str
    value: t.Any
    message: str
    unsupported: bool = False  # genplat does not compose this (validation refuses it), the function may


def apply_patch(patch: t.Mapping[str, t.Any], xr: t.Mapping[str, t.Any], composed: dict[str, t.Any]) -> Write | None:
    """One ``FromCompositeFieldPath`` patch; None when its source is not set (the patch is skipped)."""
    if patch.get("type", "FromCompositeFieldPath") != "FromCompositeFieldPath":
        raise Unsupported(f"patch type {patch.get('type')!r}")
    if patch.get("policy"):
        raise Unsupported("patch policies")
    source = str(patch.get("fromFieldPath", ""))
    to = str(patch.get("toFieldPath", ""))
    if "[*]" in to:
        raise Unsupported("wildcards in toFieldPath")
    try:
        value = get_value(xr, parse_path(source))
    except NotFound:
        return None
    out = value
    for i, tr in enumerate(patch.get("transforms") or []):
        try:
            out = resolve_transform(tr, out)
        except TransformError as exc:
            raise TransformError(f"transform at index {i} returned error: {exc}") from exc
    segments = parse_path(to)
    set_value(composed, segments, out)
    return Write(-1, source, segments, json_value(value))


def compose(xr: t.Mapping[str, t.Any], fn_input: t.Mapping[str, t.Any]) -> tuple[list[Composed], ComposeFailure | None]:
    """The composed resources of one XR under one function-patch-and-transform input, and the failure
    that stops the function (then the list is empty, as the function returns nothing but the failure)."""
    oxr = as_float64(dict(xr))
    out: list[Composed] = []
    for index, tmpl in enumerate(fn_input.get("resources") or []):
        name = str(tmpl.get("name"))
        base = tmpl.get("base")
        if not isinstance(base, dict):
            raise Unsupported(f"composed resource {name!r} without a base")
        obj = json_value(copy.deepcopy(base))
        writes = []
        for pi, patch in enumerate(tmpl.get("patches") or []):
            try:
                written = apply_patch(patch, oxr, obj)
            except (PathError, TransformError, PathSyntaxError, Unsupported) as exc:
                found, value = _source_value(oxr, patch)
                source = str(patch.get("fromFieldPath", ""))
                return [], ComposeFailure(
                    name,
                    index,
                    pi,
                    source,
                    json_value(value) if found else None,
                    str(exc),
                    unsupported=isinstance(exc, Unsupported),
                )
            if written is not None:
                writes.append(dataclasses.replace(written, patch=pi))
        _set_metadata(obj, oxr, name)
        out.append(Composed(name, index, obj, writes))
    return out, None


def _source_value(xr: t.Any, patch: t.Mapping[str, t.Any]) -> tuple[bool, t.Any]:
    try:
        return lookup(xr, str(patch.get("fromFieldPath", "")))
    except (PathError, PathSyntaxError):
        return False, None


def _set_metadata(obj: dict[str, t.Any], xr: t.Mapping[str, t.Any], name: str) -> None:
    """What crossplane sets on every composed resource (``SetComposedResourceMetadata``), but the
    controller reference: it needs the XR's uid, which only the cluster knows."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    xmeta = xr.get("metadata") or {}
    if not meta.get("name") and not meta.get("generateName"):
        meta["generateName"] = f"{xmeta.get('name', '')}-"
    if xmeta.get("namespace"):
        meta["namespace"] = xmeta["namespace"]
    meta.setdefault("annotations", {})[RESOURCE_NAME_ANNOTATION] = name
    labels = meta.setdefault("labels", {})
    labels[COMPOSITE_LABEL] = xmeta.get("name", "")
    claim = (xr.get("spec") or {}).get("claimRef")
    if isinstance(claim, dict):
        labels[CLAIM_NAMESPACE_LABEL] = claim.get("namespace", "")
        labels[CLAIM_NAME_LABEL] = claim.get("name", "")
