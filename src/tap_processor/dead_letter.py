"""The DLQ for events that can never succeed: each message carries the reason and the event."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError

from tap_processor.errors import DeadLetterError, RejectedEventError

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

REASON_ATTRIBUTE: Final = "reason"
"""Message attribute holding the rejection's reason code, so consumers can filter unread."""
ENVIRONMENT_ATTRIBUTE: Final = "environment"


class DeadLetterQueue:
    """Sends rejected events to the DLQ at a queue URL."""

    def __init__(self, *, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(
        self, event: object, rejection: RejectedEventError, *, environment: str, rejected_at: str
    ) -> str:
        """Send the event with the reason it was rejected; return the SQS message id."""
        body = {
            "reason": rejection.reason_code,
            "message": rejection.message,
            "environment": environment,
            "rejected_at": rejected_at,
            "event": event,
        }
        try:
            response = self._client.send_message(
                QueueUrl=self._queue_url,
                # Lambda events are JSON; repr keeps a non-JSON test payload instead of losing it.
                MessageBody=json.dumps(body, default=repr, sort_keys=True),
                MessageAttributes={
                    REASON_ATTRIBUTE: {"DataType": "String", "StringValue": rejection.reason_code},
                    ENVIRONMENT_ATTRIBUTE: {"DataType": "String", "StringValue": environment},
                },
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "unknown error")
            raise DeadLetterError(f"SendMessage to the DLQ failed with {code}") from error
        return response["MessageId"]
