"""What a bundle is made of and where it came from: CycloneDX SBOM and SLSA v1 provenance predicates.

Both are pure functions of their inputs (no clock, no random serial numbers), so attesting the same
bundle from the same checkout gives the same statements. The source commit travels here, in the
provenance, and not in the bundle's manifest: the pinned digest stays a function of content only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import typing as t
import urllib.parse
import uuid
from pathlib import Path

from genplat.core.images import parse_image
from genplat.packaging.artifact import IMAGES_LOCK_PATH, find_images

CYCLONEDX_PREDICATE = "https://cyclonedx.org/bom"
SLSA_V1_PREDICATE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://genplat.dev/build/oci-bundle/v1"
BUILDER_ID = "https://genplat.dev/genplat"
#: cosign ``verify-attestation --type`` names for the two predicates.
COSIGN_TYPES = {CYCLONEDX_PREDICATE: "cyclonedx", SLSA_V1_PREDICATE: "slsaprovenance1"}


def genplat_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("genplat")
    except PackageNotFoundError:
        return "0+unknown"


def _purl(name: str, tag: str | None, digest: str) -> str:
    last = name.rsplit("/", 1)[-1].lower()
    query = {"repository_url": name}
    if tag:
        query["tag"] = tag
    return f"pkg:oci/{last}@{urllib.parse.quote(digest, safe='')}?{urllib.parse.urlencode(query, safe='/:')}"


def _image_component(ref: str) -> dict[str, t.Any]:
    parsed = parse_image(ref)
    comp: dict[str, t.Any] = {
        "type": "container",
        "bom-ref": f"image:{ref}",
        "name": parsed.name,
        "properties": [
            {"name": "genplat:image", "value": ref},
            {"name": "genplat:pinned", "value": "true" if parsed.digest else "false"},
        ],
    }
    if parsed.tag:
        comp["version"] = parsed.tag
    if parsed.digest and parsed.digest.startswith("sha256:"):
        comp.setdefault("version", parsed.digest)
        comp["hashes"] = [{"alg": "SHA-256", "content": parsed.digest.removeprefix("sha256:")}]
        comp["purl"] = _purl(parsed.name, parsed.tag, parsed.digest)
    return comp


def bundle_images(files: t.Mapping[str, bytes]) -> list[str]:
    """Every image the bundle deploys (``image:`` values; the ImagesLock is a copy, not a source)."""
    return find_images({p: d for p, d in files.items() if p != IMAGES_LOCK_PATH and not p.startswith(".imgpkg/")})


def sbom(
    bundle: str, digest: str, files: t.Mapping[str, bytes], *, repository: str | None = None, fmt: str = "flux"
) -> dict[str, t.Any]:
    """A CycloneDX 1.5 BOM: the bundle, every container image it deploys, and every file in it."""
    images = bundle_images(files)
    root_ref = f"bundle:{bundle}"
    root: dict[str, t.Any] = {
        "type": "application",
        "bom-ref": root_ref,
        "name": bundle,
        "version": digest,
        "hashes": [{"alg": "SHA-256", "content": digest.removeprefix("sha256:")}],
        "properties": [{"name": "genplat:format", "value": fmt}],
    }
    if repository:
        root["purl"] = _purl(repository, None, digest)
    components = [_image_component(ref) for ref in images]
    components += [
        {
            "type": "file",
            "bom-ref": f"file:{path}",
            "name": path,
            "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(files[path]).hexdigest()}],
        }
        for path in sorted(files)
    ]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'https://genplat.dev/sbom/{digest}')}",
        "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "genplat", "version": genplat_version()}]},
            "component": root,
        },
        "components": components,
        "dependencies": [
            {"ref": root_ref, "dependsOn": [c["bom-ref"] for c in components if c["type"] == "container"]}
        ],
    }


@dataclasses.dataclass(frozen=True)
class Source:
    """The checkout a bundle was built from."""

    repository: str | None = None  # git remote URL
    commit: str | None = None
    ref: str | None = None  # branch
    blueprints: t.Mapping[str, str] = dataclasses.field(default_factory=dict)  # path → sha256 hex


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (proc.stdout.strip() or None) if proc.returncode == 0 else None


def _strip_userinfo(url: str) -> str:
    """A remote URL without any user:password (a token in a clone URL must not be attested)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url


def read_source(blueprints: Path) -> Source:
    """Git remote, commit and branch of the checkout holding ``blueprints``, and its files' digests."""
    root = blueprints if blueprints.is_dir() else blueprints.parent
    digests: dict[str, str] = {}
    if blueprints.is_file():
        digests[blueprints.name] = hashlib.sha256(blueprints.read_bytes()).hexdigest()
    elif blueprints.is_dir():
        base = root.parent
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                path = Path(dirpath, name)
                if name.startswith(".") or path.is_symlink() or not path.is_file():
                    continue
                digests[path.relative_to(base).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    cwd = root if root.is_dir() else Path.cwd()
    remote = _git(["config", "--get", "remote.origin.url"], cwd)
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
    return Source(
        repository=_strip_userinfo(remote) if remote else None,
        commit=_git(["rev-parse", "HEAD"], cwd),
        ref=None if branch == "HEAD" else branch,
        blueprints=dict(sorted(digests.items())),
    )


def provenance(bundle: str, *, source: Source, options: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """An SLSA v1 provenance predicate: genplat's version, the source commit, blueprint digests, options."""
    deps: list[dict[str, t.Any]] = []
    external: dict[str, t.Any] = {"bundle": bundle, "options": dict(sorted(options.items()))}
    if source.repository or source.commit:
        uri = f"git+{source.repository}" if source.repository else "git+unknown"
        if source.ref:
            uri += f"@refs/heads/{source.ref}"
        dep: dict[str, t.Any] = {"uri": uri}
        if source.commit:
            dep["digest"] = {"gitCommit": source.commit}
        deps.append(dep)
        external["source"] = dep
    deps += [{"name": path, "digest": {"sha256": hexd}} for path, hexd in source.blueprints.items()]
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": external,
            "internalParameters": {},
            "resolvedDependencies": deps,
        },
        "runDetails": {
            "builder": {"id": BUILDER_ID, "version": {"genplat": genplat_version()}},
            "metadata": {},
        },
    }
