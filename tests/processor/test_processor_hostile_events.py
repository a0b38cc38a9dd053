"""Events that can never be written still reach the DLQ, with their reason, and never raise.

Rejection must never fail: a message that repeats a huge or deeply nested value would exceed
SQS's limit or raise RecursionError, and the event would be lost.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from botocore.stub import Stubber

from tap_processor.dead_letter import MAX_BODY_BYTES
from tap_processor.errors import MAX_MESSAGE_CHARS
from tap_processor.handler import Processor

from .support import Account, load_event, with_object

pytestmark = pytest.mark.slow  # each test runs the handler against moto


def _deep(levels: int) -> list[Any]:
    root: list[Any] = []
    node = root
    for _ in range(levels):
        child: list[Any] = []
        node.append(child)
        node = child
    return root


def _raw_messages(account: Account) -> list[dict[str, Any]]:
    response = account.sqs.receive_message(
        QueueUrl=account.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return response.get("Messages", [])


def test_a_permanent_validation_exception_is_rejected_once_not_retried(
    processor: Processor, account: Account
) -> None:
    # GIVEN DynamoDB refuses the item as invalid (the same item would always be refused)
    with Stubber(account.dynamodb) as stubber:
        stubber.add_client_error(
            "put_item", "ValidationException", "Item size has exceeded the maximum allowed size"
        )
        # WHEN the event is processed
        result = processor.process(load_event("s3_object_created"))
        # THEN it was tried once, and parked with its reason instead of raising for a retry
        stubber.assert_no_pending_responses()
    assert result.as_dict() == {"outcome": "rejected", "id": None, "reason": "unwritable_event"}
    [(body, attributes)] = account.dead_letters()
    assert attributes["reason"] == "unwritable_event"
    assert "refused as invalid: Item size has exceeded" in body["message"]
    assert body["event"] == load_event("s3_object_created")
    assert account.items() == []


def test_an_oversized_event_reaches_the_dlq_within_sqs_limit_and_says_it_was_truncated(
    processor: Processor, account: Account
) -> None:
    # GIVEN an event whose ETag is 420 KB: DynamoDB (moto, for real) refuses the item
    event = with_object(load_event("s3_object_created"), etag="e" * 420_000)
    original = json.dumps(event, sort_keys=True)
    # WHEN it is processed
    result = processor.process(event)
    # THEN it is parked, the message fits SQS's limit, and it names the event it stands for
    assert result.reason == "unwritable_event"
    [message] = _raw_messages(account)
    assert len(message["Body"].encode()) <= MAX_BODY_BYTES
    body = json.loads(message["Body"])
    assert body["reason"] == "unwritable_event"
    assert body["event"] is None
    assert body["event_truncated"] is True
    assert body["event_bytes"] == len(original.encode())
    assert body["event_sha256"] == hashlib.sha256(original.encode()).hexdigest()
    assert body["event_excerpt"].startswith('{"account": "111122223333"')
    assert len(body["message"]) <= MAX_MESSAGE_CHARS
    assert account.items() == []


def test_a_rejection_that_would_repeat_a_huge_value_caps_its_message(
    processor: Processor, account: Account
) -> None:
    # GIVEN an event whose sequencer is a 200 KB string (the offending value)
    event = with_object(load_event("s3_object_created"), sequencer="z" * 200_000)
    # WHEN it is processed
    processor.process(event)
    # THEN the reason's message is capped while the event, which fits, is kept intact
    [(body, attributes)] = account.dead_letters()
    assert attributes["reason"] == "malformed_sequencer"
    assert len(body["message"]) <= MAX_MESSAGE_CHARS
    assert body["event"] == event
    assert "event_truncated" not in body


def test_an_event_nested_too_deep_to_serialise_reaches_the_dlq_with_its_reason(
    processor: Processor, account: Account
) -> None:
    # GIVEN an event whose key is a list nested 50,000 levels deep
    event = with_object(load_event("s3_object_created"), key=_deep(50_000))
    # WHEN it is processed
    result = processor.process(event)
    # THEN it is rejected as malformed, with a bounded message and a bounded excerpt
    assert result.reason == "malformed_event"
    [(body, attributes)] = account.dead_letters()
    assert attributes["reason"] == "malformed_event"
    assert body["message"].startswith("detail.object.key must be a non-empty string, got [[[")
    assert len(body["message"]) <= MAX_MESSAGE_CHARS
    assert body["event"] is None
    assert body["event_truncated"] is True
    assert "event_bytes" not in body  # it has no JSON form to measure
    assert "[[[" in body["event_excerpt"]
