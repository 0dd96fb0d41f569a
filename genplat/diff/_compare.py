"""Field-level comparison of two versions of one object.

Mappings are compared key by key (order never matters). Lists of mappings that all carry a unique
identifying field are matched by it — ``containers[name=app]``, ``traffic[tag=canary]``,
``limits[type=Container]`` — so inserting an item does not shift every later index. Other lists of
mappings are aligned with difflib, and short lists of plain values are shown whole
(``verbs: [get, list] → [get, list, watch]``).
"""

from __future__ import annotations

import difflib
import json
import typing as t

from genplat.diff._model import Change, Masked, Segment

# Tried in order; the first one that every item on both sides has, as a unique plain value, wins.
IDENTITY_KEYS = ("name", "type", "tag", "revisionName", "containerPort", "mountPath", "key", "path", "port")
_WHOLE_LIST_MAX = 16


def compare(old: t.Any, new: t.Any, path: tuple[Segment, ...] = ()) -> list[Change]:
    out: list[Change] = []
    _diff(old, new, path, out)
    return out


def _diff(old: t.Any, new: t.Any, path: tuple[Segment, ...], out: list[Change]) -> None:
    if old == new and type(old) is type(new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for k in old:
            if k not in new:
                out.append(Change("remove", path + (k,), old=old[k]))
            else:
                _diff(old[k], new[k], path + (k,), out)
        for k in new:
            if k not in old:
                out.append(Change("add", path + (k,), new=new[k]))
        return
    if isinstance(old, list) and isinstance(new, list):
        _diff_list(old, new, path, out)
        return
    out.append(Change("change", path, old=old, new=new))


def _plain_item(v: t.Any) -> bool:
    return not isinstance(v, (dict, list))


def identity_key(old: list[t.Any], new: list[t.Any]) -> str | None:
    items = old + new
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in IDENTITY_KEYS:
        if (
            all(key in i and _plain_item(i[key]) and not isinstance(i[key], Masked) for i in items)
            and len({_ident(i[key]) for i in old}) == len(old)
            and len({_ident(i[key]) for i in new}) == len(new)
        ):
            return key
    return None


def _ident(v: t.Any) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def _diff_list(old: list[t.Any], new: list[t.Any], path: tuple[Segment, ...], out: list[Change]) -> None:
    if all(_plain_item(v) for v in old + new) and len(old) <= _WHOLE_LIST_MAX and len(new) <= _WHOLE_LIST_MAX:
        out.append(Change("change", path, old=old, new=new))
        return
    key = identity_key(old, new)
    if key is not None:
        olds = {_ident(i[key]): i for i in old}
        news = {_ident(i[key]): i for i in new}
        for ident, item in olds.items():
            if ident not in news:
                out.append(Change("remove", path + ((key, ident),), old=item))
        for ident, item in news.items():
            seg: Segment = (key, ident)
            if ident in olds:
                _diff(olds[ident], item, path + (seg,), out)
            else:
                out.append(Change("add", path + (seg,), new=item))
        return
    a = [canonical(v) for v in old]
    b = [canonical(v) for v in new]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(paired):
            _diff(old[i1 + k], new[j1 + k], path + (j1 + k,), out)
        for i in range(i1 + paired, i2):
            out.append(Change("remove", path + (i,), old=old[i]))
        for j in range(j1 + paired, j2):
            out.append(Change("add", path + (j,), new=new[j]))


def _default(o: t.Any) -> t.Any:
    if isinstance(o, Masked):
        return {"\0masked": o.digest}
    return repr(o)


def canonical(value: t.Any) -> str:
    """A text form that is equal exactly when the values are (key order ignored)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_default, ensure_ascii=False)
