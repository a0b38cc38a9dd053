"""The DLQ for events that can never succeed: each message carries the reason and the event."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from tap_processor.errors import DeadLetterError, RejectedEventError, shown

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

REASON_ATTRIBUTE: Final = "reason"
"""Message attribute holding the rejection's reason code, so consumers can filter unread."""
ENVIRONMENT_ATTRIBUTE: Final = "environment"
MAX_BODY_BYTES: Final = 256 * 1024 - 1024
"""SQS's 256 KiB message limit (the queue default before 2025, and what a queue may still be set
to), less room for the message attributes: a larger send would fail and lose the rejection."""
EXCERPT_CHARS: Final = 4096


class DeadLetterQueue:
    """Sends rejected events to the DLQ at a queue URL."""

    def __init__(self, *, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(
        self, event: object, rejection: RejectedEventError, *, environment: str, rejected_at: str
    ) -> str:
        """Send the event with the reason it was rejected; return the SQS message id.

        The event is kept intact when the message fits SQS's limit. Otherwise, or when it cannot
        be serialised at all (nested too deep), the body says so and carries a bounded excerpt,
        the event's size and a SHA-256 of its JSON, so the message is never lost to its own size.
        """
        body: dict[str, Any] = {
            "reason": rejection.reason_code,
            "message": rejection.message,
            "environment": environment,
            "rejected_at": rejected_at,
        }
        message = _serialise({**body, "event": event})
        if message is None or len(message.encode()) > MAX_BODY_BYTES:
            message = _serialise({**body, **_truncated(event)}) or "{}"
        try:
            response = self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=message,
                MessageAttributes={
                    REASON_ATTRIBUTE: {"DataType": "String", "StringValue": rejection.reason_code},
                    ENVIRONMENT_ATTRIBUTE: {"DataType": "String", "StringValue": environment},
                },
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "unknown error")
            raise DeadLetterError(f"SendMessage to the DLQ failed with {code}") from error
        return response["MessageId"]


def _serialise(body: object) -> str | None:
    """JSON of the body, or None when it is nested too deep to serialise.

    Lambda events are JSON; repr keeps a non-JSON test payload instead of losing it.
    """
    try:
        return json.dumps(body, default=repr, sort_keys=True)
    except (RecursionError, ValueError):
        return None


def _truncated(event: object) -> dict[str, object]:
    """What stands in for an event too large or too deep for the message."""
    encoded = _serialise(event)
    summary: dict[str, object] = {
        "event": None,
        "event_truncated": True,
        "event_excerpt": (encoded if encoded is not None else shown(event, levels=8))[
            :EXCERPT_CHARS
        ],
    }
    if encoded is not None:
        summary["event_bytes"] = len(encoded.encode())
        summary["event_sha256"] = hashlib.sha256(encoded.encode()).hexdigest()
    return summary
