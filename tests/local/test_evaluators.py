"""The two IAM evaluators `tap local` judges every call with, on small policies."""

from __future__ import annotations

from typing import Any

import pytest

from tap.local.access.evaluators import (
    PreflightEvaluator,
    PrincipalMapperEvaluator,
    evaluators_for,
    judge,
)

TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/tap-items-dev-useast1"
OTHER = "arn:aws:dynamodb:us-east-1:111122223333:table/other"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_PUT = {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": [TABLE]}


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        ("dynamodb:PutItem", TABLE, True),
        ("dynamodb:PutItem", OTHER, False),
        ("dynamodb:GetItem", TABLE, False),
    ],
)
def test_both_evaluators_agree_on_a_scoped_grant(action: str, resource: str, allowed: bool) -> None:
    verdict = judge(evaluators_for([_policy(ALLOW_PUT)]), action, resource, {})
    assert verdict.agreed
    assert verdict.allowed is allowed
    assert set(verdict.decisions) == {"principalmapper", "lambda-preflight"}


def test_an_explicit_deny_wins_in_both() -> None:
    deny = {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}
    verdict = judge(evaluators_for([_policy(ALLOW_PUT, deny)]), "dynamodb:PutItem", TABLE, {})
    assert verdict.decisions == {"principalmapper": False, "lambda-preflight": False}


def test_a_condition_preflight_cannot_evaluate_fails_closed() -> None:
    """lambda-preflight reports such a condition as `unevaluable` but still says allowed."""
    odd = {**ALLOW_PUT, "Condition": {"NoSuchOperator": {"aws:SourceAccount": "111122223333"}}}
    documents = [_policy(odd)]
    assert PreflightEvaluator(documents).allows("dynamodb:PutItem", TABLE, {}) is False
    verdict = judge(evaluators_for(documents), "dynamodb:PutItem", TABLE, {})
    assert not verdict.allowed


def test_principalmapper_evaluates_conditions_against_the_call_context() -> None:
    scoped = {**ALLOW_PUT, "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}
    evaluator = PrincipalMapperEvaluator([_policy(scoped)])
    assert evaluator.allows("dynamodb:PutItem", TABLE, {"aws:SourceAccount": "111122223333"})
    assert not evaluator.allows("dynamodb:PutItem", TABLE, {"aws:SourceAccount": "999988887777"})
