"""Items for objects no event recorded: written by `tap backfill` and by S3 Batch Operations.

A backfilled item is the item the processor writes for the same state (`store.to_item`), with
FLOOR_SEQUENCER, lower than any sequencer S3 gives an event, and the listing's `read_at`: an event
after the listing replaces it, one from before is resolved against S3 (`store` says why), and the
insert-if-absent write (`ItemStore.insert_absent`) never replaces an item an event wrote.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

from tap_processor.event import ObjectChange, ObjectEvent
from tap_processor.sequencer import WIDTH
from tap_processor.state import ObjectState, Status
from tap_processor.store import iso_utc

if TYPE_CHECKING:
    from tap_processor.store import ItemStore

FLOOR_SEQUENCER: Final = "0" * WIDTH
"""Below every S3 sequencer (S3's are non-zero hex): the item of a listing, not of an event."""
BACKFILL_REASON: Final = "Backfill"


def listing_event(bucket: str, key: str, state: ObjectState, *, event_time: str) -> ObjectEvent:
    """The event-shaped record of a listed state: what `store.to_item` builds the item from.

    `event_time` is the current version's LastModified (ISO 8601), so the item says when the
    state began, as an event's item does.
    """
    return ObjectEvent(
        event_id="",
        event_time=event_time,
        change=ObjectChange.CREATED if state.status is Status.PRESENT else ObjectChange.DELETED,
        bucket=bucket,
        key=key,
        sequencer=FLOOR_SEQUENCER,
        size=state.size,
        etag=state.etag,
        version_id=state.version_id,
        reason=BACKFILL_REASON,
        deletion_type=None,
    )


def insert_listed(
    store: ItemStore,
    bucket: str,
    key: str,
    state: ObjectState,
    *,
    last_modified: datetime,
    read_at: datetime,
    environment: str,
    updated_at: str,
) -> bool:
    """Insert the item of a listed current version unless the object has one; False if it has.

    The one write `tap backfill` and S3 Batch Operations tasks make.
    """
    event = listing_event(bucket, key, state, event_time=iso_utc(last_modified, timespec="seconds"))
    return store.insert_absent(
        event, state, environment=environment, updated_at=updated_at, read_at=read_at
    )
