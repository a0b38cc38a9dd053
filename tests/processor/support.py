"""Event fixtures and emulator readers shared by the processor tests."""

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"
TABLE_NAME = "tap-test-items"
BUCKET = "amzn-s3-demo-bucket1"
"""The bucket every fixture event names; the account fixture creates it, versioned."""
SERVED_BUCKETS = (BUCKET, "amzn-s3-demo-bucket2", "tap-test-unversioned", "tap-test-suspended")
"""The buckets the fixture's processor serves (`BUCKET_NAMES`)."""
ENVIRONMENT = "test"
FIXED_NOW = datetime(2026, 11, 28, 12, 0, 0, 123000, tzinfo=UTC)

Event = dict[str, Any]


def load_event(name: str) -> Event:
    """Return a fresh copy of the JSON fixture tests/events/<name>.json."""
    return copy.deepcopy(json.loads((EVENTS_DIR / f"{name}.json").read_text()))


def with_object(event: Event, **fields: Any) -> Event:
    """Return a copy of the event with detail.object fields replaced (None removes one)."""
    changed = copy.deepcopy(event)
    obj = changed["detail"]["object"]
    for name, value in fields.items():
        if value is None:
            obj.pop(name, None)
        else:
            obj[name] = value
    return changed


@dataclass
class Account:
    """The emulated AWS resources the processor writes to, with readers for assertions."""

    dynamodb: Any
    sqs: Any
    s3: Any
    table_name: str
    dlq_url: str

    def items(self) -> list[dict[str, Any]]:
        """Return every item in the table, as plain values."""
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table_name)
        return [_plain(item) for page in pages for item in page["Items"]]

    def item(self, object_id: str) -> dict[str, Any]:
        """Return the single item with this id, failing if there is not exactly one."""
        matches = [i for i in self.items() if i["id"] == object_id]
        assert len(matches) == 1, matches
        return matches[0]

    def dead_letters(self) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Drain the DLQ; return each message's parsed body and its string attributes."""
        received: list[tuple[dict[str, Any], dict[str, str]]] = []
        while True:
            response = self.sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            )
            messages = response.get("Messages", [])
            if not messages:
                return received
            for message in messages:
                attributes = {
                    k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()
                }
                received.append((json.loads(message["Body"]), attributes))
                self.sqs.delete_message(
                    QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"]
                )


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: (int(v["N"]) if "N" in v else v["S"]) for k, v in item.items()}
