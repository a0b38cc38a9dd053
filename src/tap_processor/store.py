"""The items table: one conditional PutItem per event, ordered by the S3 sequencer."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from tap_processor.errors import StoreError, UnwritableEventError
from tap_processor.event import ObjectEvent
from tap_processor.state import ObjectState, Status

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

# Write only when the object is new or this event is strictly later than the stored state.
_CONDITION: Final = "attribute_not_exists(#id) OR #sequencer < :sequencer"
_CONDITIONAL_CHECK_FAILED: Final = "ConditionalCheckFailedException"
_VALIDATION: Final = "ValidationException"
"""DynamoDB's answer to an invalid item (too large, key too long): the same item always fails."""


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

    def record(
        self, event: ObjectEvent, state: ObjectState, *, environment: str, updated_at: str
    ) -> WriteOutcome:
        """Record `state` for the event's object if the event is the latest seen, in one request.

        The write is fenced by the event's sequencer, whatever the state was read from. ALL_OLD
        on a failed condition returns the stored item, which tells a duplicate from a stale event
        without a read.
        """
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=to_item(event, state, environment=environment, updated_at=updated_at),
                ConditionExpression=_CONDITION,
                ExpressionAttributeNames={"#id": "id", "#sequencer": "sequencer"},
                ExpressionAttributeValues={":sequencer": {"S": event.sequencer}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == _VALIDATION:
                detail = error.response.get("Error", {}).get("Message", "")
                raise UnwritableEventError(
                    f"PutItem on {self._table_name} was refused as invalid: {detail}"
                ) from error
            if code != _CONDITIONAL_CHECK_FAILED:
                raise StoreError(
                    f"PutItem on {self._table_name} failed with {code or 'unknown error'}"
                ) from error
            if stored_sequencer(error.response.get("Item")) == event.sequencer:
                return WriteOutcome.DUPLICATE
            return WriteOutcome.STALE
        return WriteOutcome.WRITTEN

    def insert_absent(
        self, event: ObjectEvent, state: ObjectState, *, environment: str, updated_at: str
    ) -> bool:
        """Write the item only if the object has none; False when one is already there.

        For backfills (`backfill.listing_event`): an item an event wrote is never overwritten,
        and the item written carries the floor sequencer, so any later event replaces it.
        """
        return self._put_if(
            to_item(event, state, environment=environment, updated_at=updated_at),
            "attribute_not_exists(#id)",
            {"#id": "id"},
            {},
        )

    def replace_unchanged(
        self,
        event: ObjectEvent,
        state: ObjectState,
        *,
        read: ObjectState | None,
        environment: str,
        updated_at: str,
    ) -> bool:
        """Write the item only if it is still what was read; False when it changed since.

        For `tap reconcile --repair`: `read` is the item's state when it was read (None: there
        was no item) and `event.sequencer` the sequencer it had (FLOOR_SEQUENCER when there was
        none), so the repaired item keeps a sequencer any later event beats, and any write
        between the read and this one (an event's) wins over the repair.
        """
        names = {"#id": "id"}
        values: dict[str, AttributeValueTypeDef] = {}
        if read is None:
            condition = "attribute_not_exists(#id)"
        else:
            # DynamoDB refuses names the expression does not use.
            names = {"#sequencer": "sequencer", "#status": "status", "#version": "version_id"}
            values = {":sequencer": {"S": event.sequencer}, ":status": {"S": read.status.value}}
            condition = "#sequencer = :sequencer AND #status = :status AND "
            if read.version_id is None:
                condition += "attribute_not_exists(#version)"
            else:
                condition += "#version = :version"
                values[":version"] = {"S": read.version_id}
        return self._put_if(
            to_item(event, state, environment=environment, updated_at=updated_at),
            condition,
            names,
            values,
        )

    def _put_if(
        self,
        item: dict[str, AttributeValueTypeDef],
        condition: str,
        names: dict[str, str],
        values: dict[str, AttributeValueTypeDef],
    ) -> bool:
        """One conditional PutItem; False when the condition failed."""
        # DynamoDB refuses an empty ExpressionAttributeValues.
        extra: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                **extra,
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == _CONDITIONAL_CHECK_FAILED:
                return False
            if code == _VALIDATION:
                detail = error.response.get("Error", {}).get("Message", "")
                raise UnwritableEventError(
                    f"PutItem on {self._table_name} was refused as invalid: {detail}"
                ) from error
            raise StoreError(
                f"PutItem on {self._table_name} failed with {code or 'unknown error'}"
            ) from error
        return True


def to_item(
    event: ObjectEvent, state: ObjectState, *, environment: str, updated_at: str
) -> dict[str, AttributeValueTypeDef]:
    """Return the item recording `state`, ordered by the event; a tombstone has no size."""
    item: dict[str, AttributeValueTypeDef] = {
        "id": {"S": event.object_id},
        "bucket": {"S": event.bucket},
        "key": {"S": event.key},
        "sequencer": {"S": event.sequencer},
        "status": {"S": state.status.value},
        "environment": {"S": environment},
        "event_time": {"S": event.event_time},
        "updated_at": {"S": updated_at},
    }
    if state.size is not None:
        item["size"] = {"N": str(state.size)}
    if state.etag is not None:
        item["etag"] = {"S": state.etag}
    if state.version_id is not None:
        item["version_id"] = {"S": state.version_id}
    return item


def state_of_item(item: Mapping[str, Any]) -> ObjectState:
    """The state an item records: `to_item`'s inverse (status, version id, size, etag)."""

    def text(name: str) -> str | None:
        attribute = item.get(name)
        value = attribute.get("S") if isinstance(attribute, Mapping) else None
        return value if isinstance(value, str) else None

    size = item.get("size")
    number = size.get("N") if isinstance(size, Mapping) else None
    return ObjectState(
        Status(text("status") or Status.PRESENT.value),
        version_id=text("version_id"),
        size=int(number) if isinstance(number, str) else None,
        etag=text("etag"),
    )


def stored_sequencer(item: object) -> str | None:
    """Return the sequencer of the item DynamoDB returned with a failed condition, if any."""
    if not isinstance(item, Mapping):
        return None
    attribute = item.get("sequencer")
    if not isinstance(attribute, Mapping):
        return None
    value = attribute.get("S")
    return value if isinstance(value, str) else None
