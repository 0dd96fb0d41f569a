"""Package and publish stages: provenance beside a bundle, never inside it.

The digest ``out/_gitops/`` pins is committed with the commit it would have to name, so it cannot
depend on that commit: the bundle's manifest depends on its content alone. Where a bundle came from
(source URL, revision ``<branch>@sha1:<commit>``, creation time) travels as an OCI 1.1 *referrer*: a
small manifest whose ``subject`` is the bundle's manifest, ``artifactType``
``application/vnd.genplat.provenance.v1+json``, the empty config and layer, and the provenance as its
annotations. Registries with the referrers API list it under the bundle's digest; for the others
(CNCF Distribution 2.8) it is also listed in the OCI index at the fallback tag ``sha256-<hex>``, the
scheme the image-spec defines, which ``oras discover`` and cosign read too. Entries other tools put in
that index (signatures, attestations) are kept.
"""

from __future__ import annotations

import json
import typing as t

from genplat.core.errors import UsageError
from genplat.packaging.artifact import OCI_INDEX, OCI_MANIFEST, Artifact, Blob, canonical_json

PROVENANCE_TYPE = "application/vnd.genplat.provenance.v1+json"
EMPTY_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY = Blob.of(EMPTY_TYPE, b"{}")


def provenance_manifest(subject: Artifact, annotations: t.Mapping[str, str]) -> Blob:
    """The referrer manifest carrying ``annotations`` for ``subject``."""
    if not annotations:
        raise UsageError("no provenance to attach (no git repository and no SOURCE_DATE_EPOCH?)")
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": PROVENANCE_TYPE,
        "config": EMPTY.descriptor(),
        "layers": [EMPTY.descriptor()],
        "subject": subject.manifest.descriptor(),
        "annotations": dict(sorted(annotations.items())),
    }
    return Blob.of(OCI_MANIFEST, canonical_json(doc))


def referrer_descriptor(manifest: Blob) -> dict[str, t.Any]:
    """The manifest's descriptor as a referrers index lists it (artifactType and annotations copied)."""
    doc = json.loads(manifest.data)
    desc = manifest.descriptor()
    if doc.get("artifactType"):
        desc["artifactType"] = doc["artifactType"]
    if doc.get("annotations"):
        desc["annotations"] = doc["annotations"]
    return desc


def subject_digest(manifest: Blob) -> str | None:
    try:
        subject = json.loads(manifest.data).get("subject") or {}
    except ValueError:
        return None
    digest = subject.get("digest") if isinstance(subject, dict) else None
    return digest if isinstance(digest, str) else None


def fallback_tag(digest: str) -> str:
    """``sha256:<hex>`` → ``sha256-<hex>``: where the referrers of ``digest`` are listed without the API."""
    algo, _, hexpart = digest.partition(":")
    return f"{algo}-{hexpart}"


def merged_index(existing: bytes | None, add: dict[str, t.Any]) -> Blob | None:
    """The fallback index with ``add`` in it (others' entries kept), or None when it is there already."""
    manifests: list[dict[str, t.Any]] = []
    if existing:
        try:
            doc = json.loads(existing)
            manifests = [m for m in doc.get("manifests") or [] if isinstance(m, dict)]
        except ValueError:
            manifests = []
    if any(m.get("digest") == add["digest"] for m in manifests):
        return None
    manifests.append(add)
    return Blob.of(OCI_INDEX, canonical_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}))
