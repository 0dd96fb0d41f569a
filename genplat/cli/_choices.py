"""The values command options offer (choices, defaults), kept here so that loading a command for --help
or a TAB loads no library stage. tests/cli/test_choices.py keeps each equal to the library's own."""

from __future__ import annotations

SPLITS = ("per-tenant", "per-object")  # genplat.pipeline.SPLITS
BUNDLE_FORMATS = ("flux", "imgpkg")  # genplat.packaging.artifact.FORMATS
DIFF_FORMATS = ("json", "markdown", "text")  # genplat.diff.FORMATS
GITHUB_COMMENT_LIMIT = 65_536  # genplat.diff.GITHUB_COMMENT_LIMIT
REGISTRY_TIMEOUT = 15.0  # genplat.publish.registry.DEFAULT_TIMEOUT
SIGNATURE_SCHEMES = ("legacy", "sigstore-bundle")  # genplat.publish.sign.SCHEMES
ATTESTATION_TYPES = ("cyclonedx", "slsaprovenance1")  # genplat.publish.sign.COSIGN_TYPES values
MAX_EXTRACT_BYTES = 1 << 30  # genplat.packaging.tar.DEFAULT_MAX_EXTRACT_BYTES
CRD_TEMPLATE = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"  # genplat.checks.export.CRD_TEMPLATE
COSIGN_PASSWORD = "COSIGN_PASSWORD"  # genplat.publish.sign.ENV_PASSWORD
STATUS_FORMATS = ("github", "json", "text")  # genplat.delivery.report.FORMATS
KUBE_TIMEOUT = 20.0  # genplat.delivery.kube.DEFAULT_TIMEOUT
