"""The declared IAM needs match exactly what the handler calls."""

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from tap.calls import iam_action
from tap_processor.handler import Processor
from tap_processor.permissions import (
    HANDLER_NEEDS,
    RUNTIME_NEEDS,
    HandlerNeed,
    ResourceKind,
    needs,
)

from .support import Account, load_event

pytestmark = pytest.mark.slow  # each test runs the handler against moto


@pytest.fixture
def api_calls(account: Account) -> Iterator[set[str]]:
    """Record every AWS API the processor's clients call, as IAM action names."""
    calls: set[str] = set()

    def record(model: Any, **_: Any) -> None:
        calls.add(iam_action(model.service_model.signing_name, model.name))

    clients = (account.dynamodb, account.sqs, account.s3)
    for client in clients:
        client.meta.events.register("before-call.*.*", record)
    yield calls
    for client in clients:
        client.meta.events.unregister("before-call.*.*", record)


def test_every_api_the_handler_calls_is_declared(processor: Processor, api_calls: set[str]) -> None:
    # GIVEN every kind of event: processed, duplicate, stale, tombstone, one version removed
    # and rejected
    # WHEN all are handled
    for name in (
        "s3_object_deleted_marker",
        "s3_object_created",
        "s3_object_deleted_marker",
        "s3_object_created_multipart",
        "s3_object_deleted_version",
        "invalid_missing_key",
    ):
        processor.process(load_event(name))
    # THEN the calls are exactly the declared non-KMS needs (SQS SSE calls KMS server-side)
    declared = {n.action for n in HANDLER_NEEDS if not n.action.startswith("kms:")}
    assert api_calls == declared == {"dynamodb:PutItem", "s3:ListBucketVersions", "sqs:SendMessage"}


def test_throttled_write_makes_no_extra_calls(
    processor: Processor, account: Account, api_calls: set[str]
) -> None:
    # GIVEN a throttled table / WHEN an event fails / THEN no read or describe call was tried
    with Stubber(account.dynamodb) as stubber:
        stubber.add_client_error("put_item", "ProvisionedThroughputExceededException")
        with pytest.raises(Exception, match="ProvisionedThroughputExceededException"):
            processor.process(load_event("s3_object_created"))
    assert api_calls == {"dynamodb:PutItem"}


def test_declared_needs_have_their_exact_shape() -> None:
    assert [(n.action, n.resource, n.when_dlq_uses_cmk) for n in HANDLER_NEEDS] == [
        ("dynamodb:PutItem", ResourceKind.TABLE, False),
        ("s3:ListBucketVersions", ResourceKind.BUCKET, False),
        ("sqs:SendMessage", ResourceKind.DLQ, False),
        ("kms:GenerateDataKey", ResourceKind.KMS_KEY, True),
        ("kms:Decrypt", ResourceKind.KMS_KEY, True),
    ]
    assert [(n.action, n.resource) for n in RUNTIME_NEEDS] == [
        ("logs:CreateLogStream", "log_group"),
        ("logs:PutLogEvents", "log_group"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    ]
    assert all(isinstance(n, HandlerNeed) and n.reason for n in HANDLER_NEEDS + RUNTIME_NEEDS)


def test_kms_needs_are_granted_only_for_a_cmk_encrypted_dlq() -> None:
    without = {n.action for n in needs(dlq_uses_cmk=False, include_runtime=False)}
    with_cmk = {n.action for n in needs(dlq_uses_cmk=True, include_runtime=False)}
    assert without == {"dynamodb:PutItem", "s3:ListBucketVersions", "sqs:SendMessage"}
    assert with_cmk == without | {"kms:GenerateDataKey", "kms:Decrypt"}
    assert set(needs(dlq_uses_cmk=False)) >= set(RUNTIME_NEEDS)


def test_no_metrics_api_or_wildcard_action_is_declared() -> None:
    actions = [n.action for n in HANDLER_NEEDS + RUNTIME_NEEDS]
    assert "cloudwatch:PutMetricData" not in actions
    assert not [a for a in actions if "*" in a]
    assert len(actions) == len(set(actions))
