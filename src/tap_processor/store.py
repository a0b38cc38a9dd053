"""The items table: one conditional PutItem per event, ordered by the S3 sequencer."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError

from tap_processor.errors import StoreError
from tap_processor.event import ObjectChange, ObjectEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

# Write only when the object is new or this event is strictly later than the stored state.
_CONDITION: Final = "attribute_not_exists(#id) OR #sequencer < :sequencer"
_CONDITIONAL_CHECK_FAILED: Final = "ConditionalCheckFailedException"


class Status(Enum):
    """The object's state as recorded in the item's `status` attribute."""

    PRESENT = "present"
    DELETED = "deleted"


class WriteOutcome(Enum):
    """What one conditional write did."""

    WRITTEN = "written"
    DUPLICATE = "duplicate"
    """The stored item has this event's sequencer: the event was already applied."""
    STALE = "stale"
    """The stored item has a later sequencer: this event is older and changes nothing."""


class ItemStore:
    """Records each object's latest state in the items table."""

    def __init__(self, *, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def record(self, event: ObjectEvent, *, environment: str, updated_at: str) -> WriteOutcome:
        """Apply the event if it is the latest seen for its object, in one request.

        ALL_OLD on a failed condition returns the stored item, which tells a duplicate from a
        stale event without a read.
        """
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=to_item(event, environment=environment, updated_at=updated_at),
                ConditionExpression=_CONDITION,
                ExpressionAttributeNames={"#id": "id", "#sequencer": "sequencer"},
                ExpressionAttributeValues={":sequencer": {"S": event.sequencer}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code != _CONDITIONAL_CHECK_FAILED:
                raise StoreError(
                    f"PutItem on {self._table_name} failed with {code or 'unknown error'}"
                ) from error
            if _stored_sequencer(error.response.get("Item")) == event.sequencer:
                return WriteOutcome.DUPLICATE
            return WriteOutcome.STALE
        return WriteOutcome.WRITTEN


def status_of(event: ObjectEvent) -> Status:
    """Return the state the event leaves its object in."""
    return Status.DELETED if event.change is ObjectChange.DELETED else Status.PRESENT


def to_item(
    event: ObjectEvent, *, environment: str, updated_at: str
) -> dict[str, AttributeValueTypeDef]:
    """Return the item that records the event; a delete becomes a tombstone with no size."""
    item: dict[str, AttributeValueTypeDef] = {
        "id": {"S": event.object_id},
        "bucket": {"S": event.bucket},
        "key": {"S": event.key},
        "sequencer": {"S": event.sequencer},
        "status": {"S": status_of(event).value},
        "environment": {"S": environment},
        "event_time": {"S": event.event_time},
        "updated_at": {"S": updated_at},
    }
    if event.size is not None:
        item["size"] = {"N": str(event.size)}
    if event.etag is not None:
        item["etag"] = {"S": event.etag}
    if event.version_id is not None:
        item["version_id"] = {"S": event.version_id}
    return item


def _stored_sequencer(item: object) -> str | None:
    """Return the sequencer of the item DynamoDB returned with a failed condition, if any."""
    if not isinstance(item, Mapping):
        return None
    attribute = item.get("sequencer")
    if not isinstance(attribute, Mapping):
        return None
    value = attribute.get("S")
    return value if isinstance(value, str) else None
