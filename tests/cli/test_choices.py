"""The option values the CLI offers without loading the library (genplat/cli/_choices.py) are the library's."""

from __future__ import annotations

from genplat.checks.export import CRD_TEMPLATE
from genplat.cli import _choices
from genplat.delivery.kube import DEFAULT_TIMEOUT as KUBE_TIMEOUT
from genplat.delivery.report import FORMATS as STATUS_FORMATS
from genplat.diff import FORMATS as DIFF_FORMATS
from genplat.diff import GITHUB_COMMENT_LIMIT
from genplat.packaging.artifact import FORMATS as BUNDLE_FORMATS
from genplat.packaging.tar import DEFAULT_MAX_EXTRACT_BYTES
from genplat.pipeline import SPLITS
from genplat.publish.registry import DEFAULT_TIMEOUT
from genplat.publish.sign import COSIGN_TYPES, ENV_PASSWORD, SCHEMES


def test_each_choice_is_the_librarys() -> None:
    assert _choices.SPLITS == SPLITS
    assert _choices.BUNDLE_FORMATS == BUNDLE_FORMATS
    assert tuple(sorted(DIFF_FORMATS)) == _choices.DIFF_FORMATS
    assert _choices.GITHUB_COMMENT_LIMIT == GITHUB_COMMENT_LIMIT
    assert _choices.REGISTRY_TIMEOUT == DEFAULT_TIMEOUT
    assert _choices.SIGNATURE_SCHEMES == SCHEMES
    assert set(_choices.ATTESTATION_TYPES) == set(COSIGN_TYPES.values())
    assert _choices.MAX_EXTRACT_BYTES == DEFAULT_MAX_EXTRACT_BYTES
    assert _choices.CRD_TEMPLATE == CRD_TEMPLATE
    assert _choices.COSIGN_PASSWORD == ENV_PASSWORD
    assert tuple(sorted(STATUS_FORMATS)) == _choices.STATUS_FORMATS
    assert _choices.KUBE_TIMEOUT == KUBE_TIMEOUT
