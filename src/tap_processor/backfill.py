"""Items for objects no event recorded: written by `tap backfill` and by S3 Batch Operations.

A backfilled item is the item the processor writes for the same state (`store.to_item`), fenced
by FLOOR_SEQUENCER, which is lower than any sequencer S3 gives an event: any later event for the
key replaces it, and the insert-if-absent write (`ItemStore.insert_absent`) never replaces an
item an event wrote.
"""

from __future__ import annotations

from typing import Final

from tap_processor.event import ObjectChange, ObjectEvent
from tap_processor.sequencer import WIDTH
from tap_processor.state import ObjectState, Status

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
