"""Type tokens and principals: each fact has one name, and each name is shaped as AWS spells it."""

from __future__ import annotations

import re

from tap.facts import principals, tokens


def _facts(module: object) -> dict[str, str]:
    return {n: getattr(module, n) for n in dir(module) if n.isupper()}


def test_every_token_is_a_pulumi_aws_token_named_once() -> None:
    found = _facts(tokens)
    shape = re.compile(r"^aws:[a-z0-9]+/[a-zA-Z0-9]+:[a-zA-Z0-9]+$")
    odd = [n for n, t in found.items() if t != tokens.AWS_PROVIDER and not shape.match(t)]
    assert not odd
    assert len(set(found.values())) == len(found), "two names for one token"


def test_every_principal_is_a_service_principal_named_once() -> None:
    found = _facts(principals)
    assert all(re.fullmatch(r"([a-z0-9-]+\.)+amazonaws\.com", p) for p in found.values()), found
    assert len(set(found.values())) == len(found)
