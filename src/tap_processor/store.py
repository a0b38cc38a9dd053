"""The items table: one conditional PutItem per event, ordered by the S3 sequencer.

Some items hold a state read from S3 rather than one an event decided: a repair's, a
backfill's, a resolved event's. Such an item carries `read_at`, the moment S3 answered that read
(S3's clock). Its sequencer says nothing about which operations the read saw, so an event
replaces it by sequencer alone only when the event happened clearly after the read
(`READ_MARGIN`); any other event is resolved against S3 by the processor (`WriteOutcome.UNJUDGED`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from tap_processor.errors import StoreError, UnwritableEventError
from tap_processor.event import ObjectEvent, object_id
from tap_processor.sequencer import is_normalised
from tap_processor.state import ObjectState, Status

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

READ_MARGIN: Final = timedelta(seconds=5)
"""How far apart S3's event time and S3's answer to a read may be and still be ordered by the
clock: an event whose time is more than this after an item's `read_at` happened after the read.
Both come from S3's clocks; the margin covers their disagreement and the event time's rounding."""
_NAMES: Final = {"#id": "id", "#sequencer": "sequencer", "#read_at": "read_at"}
_STRING: Final = "S"
"""`attribute_type`'s operand: a hand-written numeric sequencer is not compared with a string
(DynamoDB would call that false; moto raises)."""
# An event's state replaces an item when it is later by sequencer and, if the item was read from
# S3, happened clearly after that read (:fence is the event's time less READ_MARGIN).
_EVENT_CONDITION: Final = (
    "attribute_not_exists(#id) OR (attribute_type(#sequencer, :string) AND "
    "#sequencer < :sequencer AND (attribute_not_exists(#read_at) OR #read_at < :fence))"
)
# A state read from S3 replaces an item when it is later by sequencer and read no earlier.
# `read_at` has S3's one-second resolution: two reads in one second are ordered by sequencer,
# because refusing the later-sequenced one could lose an operation made between the two reads.
_READ_CONDITION: Final = (
    "attribute_not_exists(#id) OR (attribute_type(#sequencer, :string) AND "
    "#sequencer < :sequencer AND (attribute_not_exists(#read_at) OR #read_at <= :read_at))"
)
_EXACT_ATTRIBUTES: Final = ("sequencer", "read_at", "status", "version_id")
"""What `replace_exact` requires to be unchanged since the item was read."""
_DELETED: Final = Status.DELETED.value
_STATUSES: Final = frozenset(s.value for s in Status)
_CONDITIONAL_CHECK_FAILED: Final = "ConditionalCheckFailedException"
_VALIDATION: Final = "ValidationException"
"""DynamoDB's answer to an invalid item (too large, key too long): the same item always fails."""


class WriteOutcome(Enum):
    """What one conditional write did."""

    WRITTEN = "written"
    DUPLICATE = "duplicate"
    """The stored item has this event's sequencer: the event was already applied."""
    STALE = "stale"
    """The stored item has a later sequencer, or a later read of S3: this changes nothing."""
    UNJUDGED = "unjudged"
    """The stored item cannot be ordered against this write: it was read from S3 around or
    after the event happened, or tap did not write it (no sequencer tap stores). The processor
    reads S3 and writes what it finds (`replace_exact` for an item tap did not write)."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """A write's outcome, and the item that refused it, if one did."""

    outcome: WriteOutcome
    stored: Mapping[str, Any] | None = None


def iso_utc(moment: datetime, *, timespec: str = "milliseconds") -> str:
    """ISO 8601 in UTC with a `Z` suffix, as the items table's times are written."""
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def event_fence(event: ObjectEvent) -> str:
    """The latest `read_at` an event's own state may replace: its time less READ_MARGIN.

    An event time that is not ISO 8601 gives "", below every `read_at`: the event is resolved.
    """
    try:
        moment = datetime.fromisoformat(event.event_time.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso_utc(moment - READ_MARGIN)


class ItemStore:
    """Records each object's latest state in the items table."""

    def __init__(self, *, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def record(
        self,
        event: ObjectEvent,
        state: ObjectState,
        *,
        environment: str,
        updated_at: str,
        read_at: datetime | None = None,
    ) -> Recorded:
        """Record `state` for the event's object if it is the latest known, in one request.

        `read_at` is None for a state the event decides, else when S3 answered the read it came
        from. ALL_OLD on a failed condition returns the stored item, which tells a duplicate, a
        stale event and an unjudged one apart without a read.
        """
        values: dict[str, AttributeValueTypeDef] = {
            ":sequencer": {"S": event.sequencer},
            ":string": {"S": _STRING},
        }
        if read_at is None:
            condition = _EVENT_CONDITION
            values[":fence"] = {"S": event_fence(event)}
        else:
            condition = _READ_CONDITION
            values[":read_at"] = {"S": iso_utc(read_at)}
        item = to_item(
            event, state, environment=environment, updated_at=updated_at, read_at=read_at
        )
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            self._raise_unless_condition_failed(error)
            stored = error.response.get("Item")
            return Recorded(
                _judged(stored, event, read=read_at is not None),
                stored if isinstance(stored, Mapping) else None,
            )
        return Recorded(WriteOutcome.WRITTEN)

    def replace_exact(
        self,
        event: ObjectEvent,
        state: ObjectState,
        *,
        expected: Mapping[str, Any] | None,
        environment: str,
        updated_at: str,
        read_at: datetime | None,
    ) -> bool:
        """Write the item only if it is still exactly what was read; False when it changed.

        `expected` is the item as read (None: there was none). Its sequencer, `read_at`, status
        and version id must be unchanged, attribute by attribute and type by type, so an item
        tap did not write (no sequencer, a junk one) is matched too. For the processor, after
        it read S3 over an item tap did not write, and for `tap reconcile --repair`.
        """
        names: dict[str, str] = {"#id": "id"}
        values: dict[str, AttributeValueTypeDef] = {}
        if expected is None:
            condition = "attribute_not_exists(#id)"
        else:
            clauses = []
            for n, attribute in enumerate(_EXACT_ATTRIBUTES):
                names[f"#a{n}"] = attribute
                value = expected.get(attribute)
                if isinstance(value, Mapping):
                    values[f":a{n}"] = value  # type: ignore[assignment]
                    clauses.append(f"#a{n} = :a{n}")
                else:
                    clauses.append(f"attribute_not_exists(#a{n})")
            condition = "attribute_exists(#id) AND " + " AND ".join(clauses)
        return self._put_if(
            to_item(event, state, environment=environment, updated_at=updated_at, read_at=read_at),
            condition,
            names,
            values,
        )

    def insert_absent(
        self,
        event: ObjectEvent,
        state: ObjectState,
        *,
        environment: str,
        updated_at: str,
        read_at: datetime,
    ) -> bool:
        """Write the item only if the object has none; False when one is already there.

        For backfills (`backfill.listing_event`): an item an event wrote is never overwritten.
        The item carries the floor sequencer and the listing's `read_at`, so an event after the
        listing replaces it and one from before is resolved against S3.
        """
        return self._put_if(
            to_item(event, state, environment=environment, updated_at=updated_at, read_at=read_at),
            "attribute_not_exists(#id)",
            {"#id": "id"},
            {},
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
            self._raise_unless_condition_failed(error)
            return False
        return True

    def _raise_unless_condition_failed(self, error: ClientError) -> None:
        """Raise the processor's error for anything but a failed condition."""
        code = error.response.get("Error", {}).get("Code", "")
        if code == _CONDITIONAL_CHECK_FAILED:
            return
        if code == _VALIDATION:
            detail = error.response.get("Error", {}).get("Message", "")
            raise UnwritableEventError(
                f"PutItem on {self._table_name} was refused as invalid: {detail}"
            ) from error
        raise StoreError(
            f"PutItem on {self._table_name} failed with {code or 'unknown error'}"
        ) from error


def _judged(stored: object, event: ObjectEvent, *, read: bool) -> WriteOutcome:
    """Why a write's condition failed, from the item that refused it."""
    sequencer = stored_sequencer(stored)
    if not is_normalised(sequencer):
        return WriteOutcome.UNJUDGED  # not tap's: never a reason to drop the event
    assert sequencer is not None
    if sequencer == event.sequencer:
        return WriteOutcome.DUPLICATE
    if sequencer > event.sequencer or read:
        return WriteOutcome.STALE  # a later event, or (for a read) a later read
    return WriteOutcome.UNJUDGED  # refused by the item's read fence


def to_item(
    event: ObjectEvent,
    state: ObjectState,
    *,
    environment: str,
    updated_at: str,
    read_at: datetime | None = None,
) -> dict[str, AttributeValueTypeDef]:
    """Return the item recording `state`, ordered by the event; a tombstone has no size.

    `read_at` marks a state read from S3 (see the module's docstring).
    """
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
    if read_at is not None:
        item["read_at"] = {"S": iso_utc(read_at)}
    return item


def _text(item: Mapping[str, Any], name: str) -> str | None:
    # Indexing, not isinstance(attribute, Mapping): an ABC check per attribute was most of
    # reconcile's CPU per scanned item. A missing, non-string or non-map attribute is None.
    try:
        value = item[name]["S"]
    except (KeyError, TypeError, IndexError):
        return None
    return value if isinstance(value, str) else None


def state_of_item(item: Mapping[str, Any]) -> ObjectState:
    """The state an item records: `to_item`'s inverse (status, version id, size, etag).

    Lenient, for any item: a status other than `deleted` reads as present (`foreign_reason`
    tells whether the item is tap's at all).
    """
    size = item.get("size")
    number = size.get("N") if isinstance(size, (dict, Mapping)) else None
    return ObjectState(
        Status.DELETED if _text(item, "status") == _DELETED else Status.PRESENT,
        version_id=_text(item, "version_id"),
        size=int(number) if isinstance(number, str) and number.isdigit() else None,
        etag=_text(item, "etag"),
    )


def foreign_reason(item: Mapping[str, Any]) -> str | None:
    """Why the item is not one tap wrote (`to_item`'s shape); None when it is.

    Such an item (written by hand, or by another tool) is never a reason to drop an event: the
    processor reads S3 over it, and `tap reconcile` reports and repairs it.
    """
    ident, bucket, key = _text(item, "id"), _text(item, "bucket"), _text(item, "key")
    if ident is None or bucket is None or key is None or ident != object_id(bucket, key):
        return f"its id {ident!r} is not its bucket and key ({bucket!r}, {key!r})"
    sequencer = item.get("sequencer")
    if not is_normalised(stored_sequencer(item)):
        value = next(iter(sequencer.values()), None) if isinstance(sequencer, Mapping) else None
        shown_value = "none" if sequencer is None else repr(value)[:60]
        return f"its sequencer is not one tap writes ({shown_value})"
    status = _text(item, "status")
    if status not in _STATUSES:
        return f"its status {status!r} is not present or deleted"
    return None


def stored_sequencer(item: object) -> str | None:
    """Return the sequencer of the item DynamoDB returned with a failed condition, if any."""
    return _text(item, "sequencer") if isinstance(item, (dict, Mapping)) else None
