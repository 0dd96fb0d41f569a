"""Load stage: a project's blueprints by file, and the way back from rendered output to them.

Every document genplat writes is preceded by a ``# source:`` comment naming the blueprint value it came
from. Whoever reads rendered output later (``genplat diff``'s attribution, ``genplat status`` relating
what a cluster reports to a blueprint line) turns that comment back into a file and line here.

A git revision, the working tree and a project folder have blueprints; an output folder and an OCI
bundle do not. Blueprints are read with the position-keeping loader (``genplat.loader.safe_yaml``),
never rendered here, and named as the ``# source:`` comments name them: relative to the project
(``blueprints/tenants/globex.yaml``).

A ``# source:`` comment is either ``file:line`` or a stable anchor ``file#path``
(``blueprints/tenants/globex.yaml#spec.services[checkout]``: keys, and list items by their ``name``).
:meth:`Blueprints.resolve` turns either form into (file, line, path) by looking the path up in the
loaded blueprint. A template's objects are anchored by identity (``templates/platform/x.j2#Kind/ns/name``):
the line is that of the template document declaring the object (:func:`template_line`).
"""

from __future__ import annotations

import dataclasses
import os
import re
import typing as t
from pathlib import Path

from genplat.loader.project import Blueprint, blueprint_folder
from genplat.loader.safe_yaml import load_documents

Path_ = tuple[str | int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Cause:
    """A blueprint value: where it is and, when known, its path (``spec.network.allowFrom``)."""

    file: str
    line: int | None
    path: str = ""
    # Why this value: "umbrella's allowFrom lists initech", "tier medium → large". Empty: it is the source.
    note: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclasses.dataclass(slots=True)
class Blueprints:
    """The platform and tenant blueprints of one side, by tenant name and by file."""

    platform: Blueprint | None
    tenants: dict[str, Blueprint]
    by_file: dict[str, Blueprint]
    templates: dict[str, str] = dataclasses.field(default_factory=dict)  # project-relative .j2 file → text

    def line(self, file: str, path: t.Sequence[str | int] = (), *, key: bool = False) -> int | None:
        bp = self.by_file.get(file)
        if bp is None:
            return None
        return bp.doc.locate(tuple(path), key=key)[0]

    def cause(self, bp: Blueprint, path: t.Sequence[str | int], note: str = "", *, key: bool = False) -> Cause:
        return Cause(bp.file, bp.doc.locate(tuple(path), key=key)[0], path_text(path, bp.data), note)

    def resolve(self, source: str) -> Cause:
        """A ``# source:`` comment in either form as (file, line, path)."""
        return resolve_source(source, self)


_LINE_FORM = re.compile(r"^(?P<file>.+?):(?P<line>\d+)$")
_TOKEN = re.compile(r'\.?([A-Za-z_/][A-Za-z0-9_/-]*)|\["((?:[^"\\]|\\.)*)"\]|\[([^\]]*)\]')


def parse_anchor(anchor: str) -> list[str | int | tuple[str]] | None:
    """``spec.services[checkout].env["LOG_LEVEL"]`` → ["spec", "services", ("checkout",), "env", "LOG_LEVEL"].

    Named items come back as 1-tuples (resolved against the data), numeric brackets as ints.
    """
    out: list[str | int | tuple[str]] = []
    pos = 0
    while pos < len(anchor):
        m = _TOKEN.match(anchor, pos)
        if m is None or m.end() == pos:
            return None
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(m.group(2).replace('\\"', '"').replace("\\\\", "\\"))
        else:
            inner = m.group(3)
            out.append(int(inner) if inner.isdigit() else (inner,))
        pos = m.end()
    return out


def anchor_to_path(tokens: t.Sequence[str | int | tuple[str]], data: t.Any) -> Path_:
    """Resolve named list items (``[checkout]``) to indexes in ``data``."""
    path: list[str | int] = []
    node = data
    for tok in tokens:
        if isinstance(tok, tuple) or (isinstance(tok, int) and isinstance(node, list) and not 0 <= tok < len(node)):
            name = tok[0] if isinstance(tok, tuple) else str(tok)
            if not isinstance(node, list):
                break
            idx = next((i for i, item in enumerate(node) if isinstance(item, dict) and item.get("name") == name), None)
            if idx is None:
                break
            path.append(idx)
            node = node[idx]
        elif isinstance(tok, int):
            path.append(tok)
            node = node[tok] if isinstance(node, list) and 0 <= tok < len(node) else None
        else:
            path.append(tok)
            node = node.get(tok) if isinstance(node, dict) else None
    return tuple(path)


def resolve_source(source: str, blueprints: Blueprints | None) -> Cause:
    m = _LINE_FORM.match(source)
    if m is not None and "#" not in source:
        file, line = m.group("file"), int(m.group("line"))
        bp = blueprints.by_file.get(file) if blueprints else None
        return Cause(file, line, _path_at_line(bp, line) if bp is not None else "")
    file, _, anchor = source.partition("#")
    bp = blueprints.by_file.get(file) if blueprints else None
    if not anchor:
        return Cause(file, None)
    template = blueprints.templates.get(file) if blueprints else None
    if template is not None:
        return Cause(file, template_line(template, anchor), anchor)
    if bp is None:
        return Cause(file, None, anchor)
    tokens = parse_anchor(anchor)
    if tokens is None:
        return Cause(file, None, anchor)
    path = anchor_to_path(tokens, bp.data)
    return Cause(file, bp.doc.locate(path)[0], anchor)


def _path_at_line(bp: Blueprint, line: int) -> str:
    """The shortest path written on ``line`` (``file:line`` sources carry no path): a mapping key on
    that line, or a list item starting there — not the list or mapping whose first item it is."""
    best: Path_ | None = None
    stack: list[tuple[Path_, t.Any]] = [((), bp.data)]
    while stack:
        path, node = stack.pop()
        if path and (best is None or len(path) < len(best)):
            if isinstance(path[-1], int):
                here = bp.doc.positions.get(path)
            else:
                here = bp.doc.key_positions.get(path)
            if here is not None and here[0] == line:
                best = path
        items: t.Iterable[tuple[str | int, t.Any]] = (
            node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        )
        for k, v in items:
            if isinstance(k, (str, int)):
                stack.append(((*path, k), v))
    return path_text(best, bp.data) if best else ""


def path_text(path: t.Sequence[str | int], data: t.Any) -> str:
    """A blueprint path as the anchors write it: list items by name (``spec.services[checkout].image``)."""
    out: list[str] = []
    node = data
    for part in path:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            out.append(f"[{name}]" if isinstance(name, str) else f"[{part}]")
            node = item
        else:
            plain = bool(re.match(r"^[A-Za-z_][A-Za-z0-9_/-]*$", part))
            out.append((f".{part}" if out else part) if plain else f'["{part}"]')
            node = node.get(part) if isinstance(node, dict) else None
    return "".join(out)


_KIND_LINE = re.compile(r"^kind:\s*[\"']?([A-Za-z0-9]+)[\"']?\s*(#.*)?$")
_NAME_LINE = re.compile(r"^\s+name:\s*[\"']?([^\"'#\s]+)[\"']?\s*(#.*)?$")


def template_line(text: str, anchor: str) -> int | None:
    """The line of the template document that renders object ``Kind/[namespace/]name``: its ``kind:``
    line, in the document whose ``name:`` is that name; else the only document of that kind."""
    kind, _, rest = anchor.partition("/")
    name = rest.rsplit("/", 1)[-1]
    if not kind or not name:
        return None
    documents: list[tuple[int, set[str]]] = []  # (kind line, names written in that document)
    current: tuple[int, set[str]] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("---"):
            current = None
            continue
        m = _KIND_LINE.match(line)
        if m is not None:
            current = (number, set()) if m.group(1) == kind else None
            if current is not None:
                documents.append(current)
            continue
        n = _NAME_LINE.match(line)
        if n is not None and current is not None:
            current[1].add(n.group(1))
    named = [first for first, names in documents if name in names]
    if named:
        return named[0]
    return documents[0][0] if len(documents) == 1 else None


def _blueprint_root(names: t.Iterable[str]) -> str:
    """``blueprints/`` when the project holds one (as the load stage decides), else the project itself."""
    names = list(names)
    if any(n.startswith("blueprints/") for n in names) and "platform.yaml" not in names:
        return "blueprints/"
    return ""


def blueprints_from_files(files: t.Mapping[str, bytes]) -> Blueprints | None:
    """The blueprints among a project's files ({project-relative path: bytes}); None without a platform."""
    root = _blueprint_root(files)
    platform: Blueprint | None = None
    tenants: dict[str, Blueprint] = {}
    by_file: dict[str, Blueprint] = {}
    templates: dict[str, str] = {}
    for name in sorted(files):
        if name.startswith(root + "templates/") and name.endswith(".j2"):
            templates[name] = files[name].decode("utf-8", "replace")
            continue
        if not name.startswith(root) or not name.endswith((".yaml", ".yml")):
            continue
        rest = name[len(root) :].split("/")
        if any(p.startswith(".") for p in rest) or rest[0] == "templates" or (not root and rest[0] == "out"):
            continue
        docs, _ = load_documents(files[name], name)
        if not docs or not isinstance(docs[0].data, dict):
            continue
        bp = Blueprint(docs[0])
        if bp.kind == "Platform" and platform is None:
            platform = bp
        elif bp.kind == "Tenant" and bp.name and bp.name not in tenants:
            tenants[bp.name] = bp
        else:
            continue
        by_file[name] = bp
    if platform is None:
        return None
    return Blueprints(platform, tenants, by_file, templates)


def blueprints_from_folder(project: Path) -> Blueprints | None:
    """Read a project folder's blueprint files (its ``blueprints/`` folder when it has one)."""
    root = blueprint_folder(project)
    prefix = "blueprints/" if root != project else ""
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root).as_posix()
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (rel == "." and d == "out"))
        in_templates = rel == "templates" or rel.startswith("templates/")
        for f in filenames:
            if f.endswith(".j2" if in_templates else (".yaml", ".yml")):
                files[prefix + (f if rel == "." else f"{rel}/{f}")] = (Path(dirpath) / f).read_bytes()
    return blueprints_from_files(files)
