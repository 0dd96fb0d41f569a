"""Showing paths, values and object names the same way in every format."""

from __future__ import annotations

import difflib
import json
import re
import typing as t

import yaml

from genplat.diff._model import Masked, ObjectKey, Segment

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_PLAIN_IDENT = re.compile(r"^[A-Za-z0-9_./:@-]+$")
# Strings shown unquoted: nothing that could be read as another type or blur the "old → new" line.
_PLAIN_STR = re.compile(r"^[A-Za-z0-9_./:@+%^=~][A-Za-z0-9_./:@+%^=~ -]*$")
_NOT_PLAIN = re.compile(r"^(?:true|false|null|yes|no|on|off|y|n|~|[-+]?(?:\d[\d_]*)?\.?\d+(?:[eE][-+]?\d+)?)$", re.I)
# API groups whose kinds are unambiguous without the group (Kubernetes' own).
_BUILTIN_GROUPS = ("", "apps", "batch", "policy", "autoscaling")


def path_text(path: t.Sequence[Segment]) -> str:
    """``spec.template.spec.containers[name=app].image``, ``metadata.labels["app.kubernetes.io/name"]``."""
    out: list[str] = []
    for seg in path:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        elif isinstance(seg, tuple):
            field, value = seg
            shown = value if _PLAIN_IDENT.match(value) else json.dumps(value, ensure_ascii=False)
            out.append(f"[{field}={shown}]")
        elif _PLAIN_KEY.match(seg):
            out.append(f".{seg}" if out else seg)
        else:
            out.append(f"[{json.dumps(seg, ensure_ascii=False)}]")
    return "".join(out) or "(whole object)"


def path_segments(path: t.Sequence[Segment]) -> list[t.Any]:
    """JSON form of a path: keys as strings, indices as numbers, matched items as {field: value}."""
    return [{seg[0]: seg[1]} if isinstance(seg, tuple) else seg for seg in path]


def scalar_text(v: t.Any) -> str:
    if isinstance(v, Masked):
        return v.display
    if isinstance(v, str):
        if _PLAIN_STR.match(v) and not _NOT_PLAIN.match(v) and not v.endswith(" "):
            return v
        return json.dumps(v, ensure_ascii=False)
    return json.dumps(v, ensure_ascii=False)


def flow_text(v: t.Any) -> str:
    """A value on one line: ``{name: app, image: x}``, ``[get, list]``."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{scalar_text(k)}: {flow_text(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(flow_text(x) for x in v) + "]"
    return scalar_text(v)


def shown(v: t.Any) -> t.Any:
    """The value with masked parts replaced by their display text (for JSON and YAML output)."""
    if isinstance(v, Masked):
        return v.display
    if isinstance(v, dict):
        return {k: shown(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shown(x) for x in v]
    return v


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: t.Any) -> bool:
        return True


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def yaml_lines(v: t.Any) -> list[str]:
    """Block YAML of a value, key order kept, masked values shown masked."""
    text = yaml.dump(
        shown(v), Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=10_000
    )
    if text.endswith("...\n"):
        text = text[:-4]
    return text.rstrip("\n").split("\n")


def kind_text(key: ObjectKey) -> str:
    group = key.group
    if group in _BUILTIN_GROUPS or group.endswith(".k8s.io"):
        return key.kind
    return f"{key.kind}.{group}"


def object_text(key: ObjectKey) -> str:
    """``Service.serving.knative.dev globex/checkout`` or ``Namespace globex``."""
    name = f"{key.namespace}/{key.name}" if key.namespace else key.name
    return f"{kind_text(key)} {name}"


def multiline(c: t.Any) -> bool:
    """Whether a field change is of text with several lines (CEL, scripts, config files, PEM): it is
    shown as a line diff. Masked values never are."""
    old, new = getattr(c, "old", None), getattr(c, "new", None)
    if getattr(c, "op", None) != "change" or not isinstance(old, str) or not isinstance(new, str):
        return False
    return "\n" in old.rstrip("\n") or "\n" in new.rstrip("\n")


def line_diff(old: str, new: str, context: int = 3) -> list[str]:
    """A unified diff of two texts' lines: ``@@ -1,4 +1,5 @@`` hunks of `` ``, ``-`` and ``+`` lines."""
    a, b = old.removesuffix("\n").split("\n"), new.removesuffix("\n").split("\n")
    out = list(difflib.unified_diff(a, b, lineterm="", n=context))[2:]  # without the ---/+++ file header
    return out or ["  (only the line break at the end differs)"]
