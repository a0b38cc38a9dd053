"""The provider's reads are listed for every AWS resource type the program can create."""

from __future__ import annotations

import pytest

from tap.facts import tokens
from tap.facts.provider_reads import PROVIDER_READS, reads_of
from tests.support.shipped import STACKS, shipped

RESOURCE_TOKENS = sorted(
    getattr(tokens, n)
    for n in dir(tokens)
    if n.isupper() and getattr(tokens, n).startswith("aws:") and "/get" not in getattr(tokens, n)
)


@pytest.mark.parametrize("type_token", RESOURCE_TOKENS)
def test_every_aws_resource_type_lists_its_reads_and_their_source(type_token: str) -> None:
    reads = reads_of(type_token)
    service = type_token.split(":")[1].split("/", maxsplit=1)[0]
    iam_service = {"cloudwatch": ("cloudwatch", "events", "logs"), "lambda": ("lambda",)}
    prefixes = iam_service.get(service, (service,))
    assert reads.actions, type_token
    assert all(a.split(":")[0] in prefixes for a in reads.actions), reads.actions
    assert reads.source.startswith("internal/service/")
    assert reads.source.endswith(".go")


def test_every_type_the_shipped_stacks_create_is_listed() -> None:
    created = {
        r.type
        for stack in STACKS
        for r in shipped(stack)[0].resources
        if r.custom and r.type != tokens.AWS_PROVIDER
    }
    assert created <= set(PROVIDER_READS), sorted(created - set(PROVIDER_READS))


def test_a_type_nobody_listed_is_named() -> None:
    with pytest.raises(KeyError, match="aws:foo/bar:Bar"):
        reads_of("aws:foo/bar:Bar")
