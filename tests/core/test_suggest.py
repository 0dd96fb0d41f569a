"""'Did you mean' only for typos: close by edit distance, not names that share a prefix or differ in a part."""

from __future__ import annotations

import pytest

from genplat.core.suggest import did_you_mean, distance


@pytest.mark.parametrize(
    ("word", "known", "hint"),
    [
        ("mediun", ["small", "medium", "large"], "did you mean 'medium'?"),
        ("teir", ["tier"], "did you mean 'tier'?"),  # a swapped pair is one edit
        ("knative-servng", ["knative-serving", "knative-eventing"], "did you mean 'knative-serving'?"),
        ("produs", ["prod-us", "prod-eu"], "did you mean 'prod-us'?"),
        ("kubernetsVerson", ["kubernetesVersion"], "did you mean 'kubernetesVersion'?"),
        ("Medium", ["medium"], "did you mean 'medium'?"),
        ("prod-ap", ["prod-eu", "prod-us"], "known: 'prod-eu', 'prod-us'"),  # another region, not a typo
        ("dev-3", ["dev-1", "dev-2"], "known: 'dev-1', 'dev-2'"),  # another number
        ("post", ["postgres"], "known: 'postgres'"),  # a shared prefix
        ("checkout-v2", ["checkout"], "known: 'checkout'"),  # a part added
        ("hostname", ["host", "password"], "known: 'host', 'password'"),
    ],
)
def test_did_you_mean(word: str, known: list[str], hint: str) -> None:
    assert did_you_mean(word, known) == hint


def test_the_listing_names_what_is_listed_and_nothing_is_none() -> None:
    assert did_you_mean("x", ["a", "b"], listing="clusters of 'dev'") == "clusters of 'dev': 'a', 'b'"
    assert did_you_mean("x", []) is None
    assert did_you_mean("q", [f"n{i}" for i in range(10)]) == "known: " + ", ".join(f"'n{i}'" for i in range(8)) + ", …"


def test_distance_counts_edits_and_swaps() -> None:
    assert distance("kitten", "sitting") == 3 and distance("ab", "ba") == 1 and distance("", "abc") == 3
