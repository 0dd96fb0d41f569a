"""Delegate schema checks to the ``kubeconform`` binary and map its results back to objects.

genplat exports the same schemas it uses itself (:mod:`genplat.checks.export`) into a temporary
folder, writes one file per object (so every result names its object exactly) and runs::

    kubeconform -output json -strict -kubernetes-version X.Y.0 \\
        -schema-location '<tmp>/crds/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json' \\
        -schema-location '<tmp>/kubernetes' <tmp>/objects

No network: neither location is a URL. A missing binary is a :class:`~genplat.ToolNotFoundError`
(exit 2): asking for kubeconform and silently getting something else would be worse than stopping.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import typing as t
from pathlib import Path

from genplat.checks.export import CRD_TEMPLATE, export_crd_schemas, export_kubernetes_schemas
from genplat.checks.schema import PathT, SchemaFinding, SchemaIndex
from genplat.core.errors import GenplatError, ToolNotFoundError

PINNED_VERSION = "v0.8.0"


def find_kubeconform(binary: str | None = None) -> str:
    found = shutil.which(binary or "kubeconform")
    if found is None:
        raise ToolNotFoundError(
            "kubeconform was asked for (--kubeconform or validator: kubeconform) but is not on PATH",
            hint=f"install it with `go install github.com/yannh/kubeconform/cmd/kubeconform@{PINNED_VERSION}` "
            "(or `make tools`), or drop --kubeconform to use genplat's built-in validator",
        )
    return found


def run_kubeconform(
    objects: t.Sequence[dict[str, t.Any]], index: SchemaIndex, *, binary: str | None = None
) -> list[list[SchemaFinding]]:
    """Findings per object, in the order given. Every object must have a schema in ``index``."""
    exe = find_kubeconform(binary)
    results: list[list[SchemaFinding]] = [[] for _ in objects]
    if not objects:
        return results
    with tempfile.TemporaryDirectory(prefix="genplat-kubeconform-") as tmp:
        root = Path(tmp)
        export_crd_schemas(index.crds, root / "crds")
        builtin = {(o["apiVersion"], o["kind"]) for o in objects}
        export_kubernetes_schemas(index.kubernetes, root / "kubernetes", builtin)
        obj_dir = root / "objects"
        obj_dir.mkdir()
        width = len(str(len(objects)))
        for i, obj in enumerate(objects):
            # JSON is YAML; one object per file lets each result name its object.
            (obj_dir / f"{i:0{width}d}.json").write_text(json.dumps(obj), encoding="utf-8")
        cmd = [
            exe,
            "-output",
            "json",
            "-strict",
            "-kubernetes-version",
            f"{index.kubernetes.version}.0",
            "-n",
            str(max(1, min(4, os.cpu_count() or 1))),
            "-schema-location",
            str(root / "crds") + "/" + CRD_TEMPLATE,
            "-schema-location",
            str(root / "kubernetes"),
            str(obj_dir),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        try:
            report = json.loads(proc.stdout or "{}")
        except ValueError as exc:
            raise GenplatError(
                f"kubeconform exited {proc.returncode} without a JSON report: "
                f"{(proc.stderr or proc.stdout).strip()[:500]}"
            ) from exc
        for res in report.get("resources") or []:
            name = Path(str(res.get("filename", ""))).stem
            if not name.isdigit() or int(name) >= len(objects):
                continue
            i = int(name)
            results[i].extend(_findings(res, objects[i]))
        if proc.returncode not in (0, 1):
            raise GenplatError(f"kubeconform failed (exit {proc.returncode}): {proc.stderr.strip()[:500]}")
    return results


def _findings(res: dict[str, t.Any], obj: t.Any) -> t.Iterator[SchemaFinding]:
    status = res.get("status")
    if status in ("statusValid", "statusSkipped", "statusEmpty"):
        return
    errors = [e for e in res.get("validationErrors") or [] if str(e.get("msg")) != "validation failed"]
    # kubeconform lists only the shallow error ("validation failed" at /metadata) for some failures under
    # a $ref; the leaf ("at '/metadata/labels/tier': got number, want null or string") is in msg.
    leaves = re.findall(r"at '(/[^']*)': ([^\n]*)", str(res.get("msg", "")))
    if not errors and leaves:
        errors = [{"path": p, "msg": m.strip()} for p, m in leaves]
    if not errors:
        yield SchemaFinding("schema", f"kubeconform: {res.get('msg', status)}")
        return
    for e in errors:
        path = pointer_to_path(str(e.get("path", "")), obj)
        msg = str(e.get("msg", ""))
        low = msg.lower()
        if "additional propert" in low:
            fields = re.findall(r"'([^']*)'", msg)
            for f in fields or ["?"]:
                yield SchemaFinding(
                    "schema-unknown-field", f"unknown field {f!r} (kubeconform: {msg})", path + (f,), key=True
                )
        elif "missing propert" in low:
            yield SchemaFinding("schema-required", f"missing required field (kubeconform: {msg})", path)
        elif low.startswith("got ") and "want" in low:
            yield SchemaFinding("schema-type", f"wrong type (kubeconform: {msg})", path)
        elif "must be one of" in low or "value must be" in low:
            yield SchemaFinding("schema-enum", f"kubeconform: {msg}", path)
        else:
            yield SchemaFinding("schema", f"kubeconform: {msg}", path)


def pointer_to_path(pointer: str, obj: t.Any) -> PathT:
    """A JSON pointer (``/spec/containers/0``) as a path, indices where the object has a list."""
    out: list[str | int] = []
    node = obj
    for raw in pointer.split("/")[1:] if pointer.startswith("/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit():
            idx = int(part)
            out.append(idx)
            node = node[idx] if idx < len(node) else None
        else:
            out.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    return tuple(out)
