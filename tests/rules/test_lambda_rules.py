"""Lambda rules: async failure destination the role can reach; traced, logged, bounded."""

import json
from typing import Any

import pytest

from tap.facts.tokens import FUNCTION, INVOKE_CONFIG, LOG_GROUP, ROLE_POLICY
from tap.rules import lambda_
from tap.rules.model import RuleCheck, Status
from tests.support.judge import all_compliant, failures, judge
from tests.support.shipped import STACKS, context, edit, graph, only, without

FUNCTION_RULES = [
    lambda_.lambda_async_failure_destination,
    lambda_.lambda_role_reaches_failure_destination,
    lambda_.lambda_tracing_active,
    lambda_.lambda_log_retention,
]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("rule", FUNCTION_RULES, ids=lambda r: r.__name__)
def test_shipped_processor_complies(rule: RuleCheck, stack: str) -> None:
    assert all_compliant(rule, graph(stack), context(stack)) == 1


def test_a_function_without_async_config_is_reported() -> None:
    g = graph("dev")
    [failure] = failures(
        lambda_.lambda_async_failure_destination, without(g, only(g, INVOKE_CONFIG)), context("dev")
    )
    assert (
        failure.message
        == "function tap-processor-dev-useast1 has no on-failure destination for live"
    )


def test_an_async_config_on_another_qualifier_does_not_cover_the_alias() -> None:
    g = graph("dev")
    g = edit(g, only(g, INVOKE_CONFIG), lambda p: p.update(qualifier="$LATEST"))
    assert len(failures(lambda_.lambda_async_failure_destination, g, context("dev"))) == 1


def test_a_role_that_cannot_send_to_the_destination_is_reported() -> None:
    g = graph("dev")

    def drop_send(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        document["Statement"] = [
            s for s in document["Statement"] if "sqs:SendMessage" not in s["Action"]
        ]
        props["policy"] = json.dumps(document)

    g = edit(g, only(g, ROLE_POLICY), drop_send)
    [failure] = failures(lambda_.lambda_role_reaches_failure_destination, g, context("dev"))
    assert failure.message == (
        "role tap-processor-dev-useast1 may not sqs:SendMessage to destination "
        "arn:aws:sqs:us-east-1:111122223333:tap-processor-dlq-dev-useast1"
    )


def test_passthrough_tracing_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, FUNCTION), lambda p: p.update(tracingConfig={"mode": "PassThrough"}))
    [failure] = failures(lambda_.lambda_tracing_active, g, context("dev"))
    assert failure.message == "function tap-processor-dev-useast1 tracing is PassThrough"


def test_a_function_without_its_log_group_is_reported() -> None:
    g = graph("dev")
    [failure] = failures(
        lambda_.lambda_log_retention, without(g, only(g, LOG_GROUP)), context("dev")
    )
    assert failure.message == (
        "function tap-processor-dev-useast1 logs to /aws/lambda/tap-processor-dev-useast1, which "
        "the stack does not declare (Lambda would create it with no retention)"
    )


def test_a_log_group_without_retention_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, LOG_GROUP), lambda p: p.pop("retentionInDays"))
    [failure] = failures(lambda_.lambda_log_retention, g, context("dev"))
    assert (
        failure.message == "log group /aws/lambda/tap-processor-dev-useast1 has no retentionInDays"
    )


@pytest.mark.parametrize(("stack", "reserved"), [("staging", 20), ("prod", 100)])
def test_configured_reserved_concurrency_is_reserved(stack: str, reserved: int) -> None:
    assert only(graph(stack), FUNCTION).inputs["reservedConcurrentExecutions"] == reserved
    assert all_compliant(lambda_.lambda_reserved_concurrency, graph(stack), context(stack)) == 1


def test_reserved_concurrency_is_not_applicable_where_not_configured() -> None:
    [outcome] = judge(lambda_.lambda_reserved_concurrency, graph("dev"), context("dev"))
    assert outcome.status is Status.NOT_APPLICABLE


def test_reserved_concurrency_other_than_configured_is_reported() -> None:
    g = graph("prod")
    g = edit(g, only(g, FUNCTION), lambda p: p.pop("reservedConcurrentExecutions"))
    [failure] = failures(lambda_.lambda_reserved_concurrency, g, context("prod"))
    assert failure.message == (
        "function tap-processor-prod-useast1 reserves None concurrent executions, configured 100"
    )
