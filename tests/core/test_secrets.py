"""The one secret detector (genplat.core.secrets): built on detect-secrets, genplat's additions, the gate."""

from __future__ import annotations

import string
import subprocess
import sys

import pytest

from genplat.core.secrets import (
    _GATE,
    AUDITED_PLUGINS,
    MASK,
    _library,
    is_placeholder,
    redact,
    scan,
    scan_text,
    secretish_key,
    shown,
)
from tests.core.secret_corpus import ALNUM, LOWER_HEX, _rnd, leaks


def test_the_gate_was_audited_for_exactly_the_librarys_plugins() -> None:
    """A detect-secrets release that adds or renames a plugin fails here: audit _GATE for it, then add it."""
    assert (
        _library().secret_types - {"Public IP (ipv4)", "Secret Keyword"} - {p.secret_type for p in _library().entropy}
        == AUDITED_PLUGINS
    )


# Plugins the corpus of realistic leaks does not reach, each with a value of its own format.
OTHER_FORMATS = {
    "Cloudant Credentials": "cloudant_password='" + _rnd(LOWER_HEX, 64, "cl") + "'",
    "IBM Cloud IAM Key": "ibm_cloud_iam_api_key = '" + _rnd(ALNUM, 44, "iam") + "'",
    "IBM COS HMAC Credentials": "cos_hmac_secret_access_key='" + _rnd(LOWER_HEX, 48, "cos") + "'",
    "SoftLayer Credentials": "softlayer_api_key='" + _rnd(string.ascii_lowercase + string.digits, 64, "sl") + "'",
    "Discord Bot Token": "M" + _rnd(ALNUM, 23, "dc1") + "." + _rnd(ALNUM, 6, "dc2") + "." + _rnd(ALNUM, 27, "dc3"),
}


@pytest.mark.parametrize("kind", sorted(OTHER_FORMATS))
def test_every_plugin_passes_the_gate(kind: str) -> None:
    value = OTHER_FORMATS[kind]
    assert _GATE.search(value)
    assert kind in {h.kind for h in scan(value)}, kind


def test_every_pattern_finding_of_the_corpus_passed_the_gate() -> None:
    for case in leaks():
        assert scan(case.value, key=case.name), case.id


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("DB_PASSWORD", True),
        ("stripeApiKey", True),
        ("GITHUB_TOKEN", True),
        ("client_secret", True),
        ("SMTP_CREDENTIALS", True),
        ("dsn", True),
        ("secretName", False),
        ("passwordSecretRef", False),
        ("TOKEN_URL", False),
        ("API_KEY_HEADER", False),
        ("DB_PASSWORD_FILE", False),
        ("accessKeyId", False),
        ("secretKey", False),
        ("connectionSecretKeys", False),
        ("LOG_LEVEL", False),
        ("image", False),
    ],
)
def test_secret_sounding_names(key: str, secret: bool) -> None:
    assert secretish_key(key) is secret


def test_a_secret_name_alone_needs_a_literal_value() -> None:
    for value in ("changeme", "${DB_PASSWORD}", "$(params.password)", "{{ tenant.x }}", "<password>", "****", "true"):
        assert not scan(value, key="DB_PASSWORD"), value
    assert [h.kind for h in scan("hunter2", key="DB_PASSWORD")] == ["Secret Keyword"]


def test_shown_is_a_format_prefix_at_most() -> None:
    token = "gh" + "p_" + _rnd(ALNUM, 36, "shown")
    (hit,) = scan(token)
    assert hit.shown == "ghp_…" and token not in hit.shown
    assert shown("hunter2") == MASK and shown("password-of-thirty-two-characters", prefix=False) == MASK
    (url,) = scan("postgres://app:" + "s3cr3t" + "@db/x")
    assert url.shown == MASK


def test_redact_masks_found_and_known_secrets() -> None:
    jwt_like = "postgres://app:" + "s3cr3t" + "@db:5432/x"
    assert redact(f"cannot parse {jwt_like!r}") == "cannot parse 'postgres://app:***@db:5432/x'"
    assert redact("'hunter2' is not of type 'integer'", ["hunter2"]) == "'***' is not of type 'integer'"


def test_text_is_read_line_by_line_with_each_lines_name() -> None:
    text = "a: 1\npassword: " + "hunter2" + "\ntoken_url: https://auth/token\nurl: https://u:" + "pw12345" + "@h/x\n"
    found = [(line, col, name, h.kind) for line, col, name, h in scan_text(text)]
    assert found == [(2, 11, "password", "Secret Keyword"), (4, 16, "url", "Basic Auth Credentials")]


def test_documented_placeholders() -> None:
    for p in (
        "changeme",
        "CHANGEME",
        "example",
        "xxxxxxxx",
        "<token>",
        "${X}",
        "$(params.y)",
        "{{ z }}",
        "AKIAIOSFODNN7EXAMPLE",
    ):
        assert is_placeholder(p), p
    assert not is_placeholder("hunter2")


def test_importing_the_detector_loads_no_library() -> None:
    code = "import genplat.core.secrets, sys; print('detect_secrets' in sys.modules, 'requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
