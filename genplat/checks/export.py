"""Write converted schemas in the layouts kubeconform reads.

* CRDs: ``<DIR>/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`` (kind lower-cased), the
  layout of kubeconform's ``-schema-location '<DIR>/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'``.
* Kubernetes kinds: ``<DIR>/v<X.Y>.0-standalone-strict/<kind><-group>-<version>.json``, the layout
  kubeconform assumes for a location that does not end in ``.json``
  (``{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json``),
  each file standalone (every ``$ref`` resolved inside it), because kubeconform cannot fetch
  kubernetes.io offline.

Files are written atomically with sorted keys, so the same input gives the same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
import typing as t
from pathlib import Path

from genplat.checks.crd_schema import CrdSet
from genplat.checks.kubernetes import KubernetesSchemas, file_stem

CRD_TEMPLATE = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"


def _write(path: Path, value: t.Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def crd_schema_path(root: Path, group: str, version: str, kind: str) -> Path:
    return root / group / f"{kind.lower()}_{version}.json"


def export_crd_schemas(crds: CrdSet, root: Path) -> list[Path]:
    written = []
    for (group, version, kind), cv in sorted(crds.versions.items()):
        path = crd_schema_path(root, group, version, kind)
        _write(path, cv.schema)
        written.append(path)
    return written


def kubernetes_folder(root: Path, schemas: KubernetesSchemas) -> Path:
    return root / f"v{schemas.version}.0-standalone-strict"


def export_kubernetes_schemas(
    schemas: KubernetesSchemas, root: Path, kinds: t.Iterable[tuple[str, str]] | None = None
) -> list[Path]:
    """Standalone Kubernetes schemas for ``kinds`` ((apiVersion, kind) pairs; default: every kind)."""
    folder = kubernetes_folder(root, schemas)
    written = []
    for api_version, kind in sorted(set(kinds) if kinds is not None else schemas.kinds()):
        standalone = schemas.standalone(api_version, kind)
        if standalone is None:
            continue
        path = folder / f"{file_stem(api_version, kind)}.json"
        _write(path, standalone)
        written.append(path)
    return written
