"""The read fence: a state read from S3 (a repair's, a backfill's, a resolved event's) is never
undone by an event from before that read, an item tap did not write never freezes its key, and
an event for a bucket the processor does not serve never reaches the table.

Every outcome is judged by S3's own version listing (`assert_item_is_s3s_current`) and the
table's scan. The repair and backfill writes are made with the same store calls `tap reconcile
--repair` and `tap backfill` make; tests/ops/test_fence_runbook.py runs the commands themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tap_processor.backfill import FLOOR_SEQUENCER, insert_listed, listing_event
from tap_processor.event import REDRIVEN, redriven
from tap_processor.handler import Processor
from tap_processor.store import READ_MARGIN, ItemStore, iso_utc
from tap_processor.versions import CurrentVersion, VersionReader

from .history import History, assert_item_is_s3s_current
from .support import BUCKET, ENVIRONMENT, Account

KEY = "fenced/report.csv"
ID = f"{BUCKET}/{KEY}"


@pytest.fixture
def listings(account: Account) -> Iterator[list[str]]:
    """The keys of every ListObjectVersions the S3 client makes, in order."""
    keys: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        keys.append(params.get("Prefix", ""))

    account.s3.meta.events.register("provide-client-params.s3.ListObjectVersions", record)
    yield keys
    account.s3.meta.events.unregister("provide-client-params.s3.ListObjectVersions", record)


def _store(account: Account) -> ItemStore:
    return ItemStore(client=account.dynamodb, table_name=account.table_name)


def _repair(account: Account, *, sequencer: str) -> CurrentVersion:
    """What `tap reconcile --repair` writes: S3's state, the old sequencer, the read's time."""
    current = VersionReader(client=account.s3).read(BUCKET, KEY)
    found = account.dynamodb.get_item(
        TableName=account.table_name, Key={"id": {"S": ID}}, ConsistentRead=True
    ).get("Item")
    event = replace(
        listing_event(BUCKET, KEY, current.state, event_time="2026-12-07T00:00:00.000Z"),
        sequencer=sequencer,
    )
    assert _store(account).replace_exact(
        event,
        current.state,
        expected=found,
        environment=ENVIRONMENT,
        updated_at="2026-12-07T00:00:00.000Z",
        read_at=current.read_at,
    )
    return current


def test_an_older_event_delivered_after_a_repair_cannot_undo_it(
    processor: Processor, account: Account, listings: list[str]
) -> None:
    # GIVEN v0 recorded, then v1 and v2 put; v2's event is lost and v1's is still in flight
    history = History(account.s3, BUCKET)
    history.put(KEY, b"zero")
    history.put(KEY, b"one!")
    history.put(KEY, b"two!!")
    v0_event, v1_event, _lost_v2 = history.events
    assert processor.process(v0_event).outcome.value == "processed"
    # WHEN the repair writes v2 (keeping v0's sequencer), then v1's event arrives, late
    repaired = _repair(account, sequencer=account.item(ID)["sequencer"])
    result = processor.process(v1_event)
    # THEN v1's event is resolved against S3 and the item is still S3's current version, v2
    assert (result.outcome.value, result.resolved) == ("processed", True)
    assert listings == [KEY, KEY]  # the repair's read, then the event's
    assert_item_is_s3s_current(account, BUCKET, KEY)
    assert account.item(ID)["version_id"] == repaired.state.version_id


@pytest.mark.parametrize(
    "redrive_first", [True, False], ids=["redrive-then-repair", "repair-then-redrive"]
)
def test_repair_and_redrive_in_either_order_leave_s3s_current_version(
    processor: Processor, account: Account, redrive_first: bool
) -> None:
    # GIVEN v1 and v2 of a key in the delivery DLQ, and v2's message lost
    history = History(account.s3, BUCKET)
    history.put(KEY, b"one")
    history.put(KEY, b"two!")
    v1_event, _lost = history.events
    # WHEN the operator repairs and redrives v1 (marked, as `tap redrive` sends it), in order
    if redrive_first:
        processor.process(redriven(v1_event))
        _repair(account, sequencer=account.item(ID)["sequencer"])
    else:
        _repair(account, sequencer=FLOOR_SEQUENCER)
        processor.process(redriven(v1_event))
    # THEN the item is v2, as S3 says, whatever the order
    assert_item_is_s3s_current(account, BUCKET, KEY)


def test_a_redriven_event_is_resolved_against_s3_even_with_no_item_in_the_way(
    processor: Processor, account: Account, listings: list[str]
) -> None:
    # GIVEN v1 then a delete marker; only v1's (older) event is redriven
    history = History(account.s3, BUCKET)
    history.put(KEY, b"one")
    history.delete(KEY)
    marked = redriven(history.events[0])
    assert marked[REDRIVEN] is True
    # WHEN it is processed
    result = processor.process(marked)
    # THEN S3 was read and the item records the marker, not v1
    assert (result.outcome.value, result.resolved) == ("processed", True)
    assert listings == [KEY]
    assert account.item(ID)["status"] == "deleted"
    assert_item_is_s3s_current(account, BUCKET, KEY)


def test_an_event_clearly_after_a_repair_is_applied_by_its_sequencer_alone(
    processor: Processor, account: Account, listings: list[str]
) -> None:
    # GIVEN a repaired item
    history = History(account.s3, BUCKET)
    history.put(KEY, b"one")
    repaired = _repair(account, sequencer=FLOOR_SEQUENCER)
    # WHEN a newer put's event, timed well after the repair's read, arrives
    history.put(KEY, b"two!")
    newer = history.events[-1]
    newer["time"] = iso_utc(
        repaired.read_at + READ_MARGIN + timedelta(seconds=1), timespec="seconds"
    )
    result = processor.process(newer)
    # THEN it is written in one request, without reading S3 again
    assert (result.outcome.value, result.resolved) == ("processed", False)
    assert listings == [KEY]  # the repair's read only
    assert_item_is_s3s_current(account, BUCKET, KEY)


def test_an_event_inside_the_margin_of_a_read_is_resolved(
    processor: Processor, account: Account, listings: list[str]
) -> None:
    # GIVEN a repaired item, and a put whose event time is just inside the margin
    history = History(account.s3, BUCKET)
    history.put(KEY, b"one")
    repaired = _repair(account, sequencer=FLOOR_SEQUENCER)
    history.put(KEY, b"two!")
    newer = history.events[-1]
    newer["time"] = iso_utc(repaired.read_at + READ_MARGIN, timespec="seconds")
    # WHEN it arrives
    result = processor.process(newer)
    # THEN S3 is read (its age against the read is uncertain), and the item is S3's
    assert (result.outcome.value, result.resolved) == ("processed", True)
    assert listings == [KEY, KEY]
    assert_item_is_s3s_current(account, BUCKET, KEY)


def test_an_older_event_after_a_backfill_cannot_roll_it_back(
    processor: Processor, account: Account
) -> None:
    # GIVEN v1 and v2 put, and a backfill that recorded v2 (their events not yet delivered)
    history = History(account.s3, BUCKET)
    history.put(KEY, b"one")
    history.put(KEY, b"two!")
    current = VersionReader(client=account.s3).read(BUCKET, KEY)
    assert current.began is not None
    assert insert_listed(
        _store(account),
        BUCKET,
        KEY,
        current.state,
        last_modified=current.began,
        read_at=current.read_at,
        environment=ENVIRONMENT,
        updated_at="2026-12-07T00:00:00.000Z",
    )
    # WHEN only v1's event arrives (v2's is delayed, or lost)
    processor.process(history.events[0])
    # THEN the item is still v2
    assert_item_is_s3s_current(account, BUCKET, KEY)


HAND_WRITTEN = {
    "no sequencer": {},
    "junk sequencer": {"sequencer": {"S": "zz"}},
    "lowercase sequencer": {"sequencer": {"S": "f" * 32}},
    "numeric sequencer": {"sequencer": {"N": "99999999999999999999"}},
}


@pytest.mark.parametrize("extra", HAND_WRITTEN.values(), ids=HAND_WRITTEN.keys())
def test_an_item_tap_did_not_write_never_freezes_its_key(
    processor: Processor, account: Account, extra: dict[str, Any]
) -> None:
    # GIVEN an item written by hand (`aws dynamodb put-item`), present at a made-up version
    history = History(account.s3, BUCKET)
    history.put(KEY, b"one")
    account.dynamodb.put_item(
        TableName=account.table_name,
        Item={
            "id": {"S": ID},
            "bucket": {"S": BUCKET},
            "key": {"S": KEY},
            "status": {"S": "present"},
            "version_id": {"S": "made-up"},
            **extra,
        },
    )
    # WHEN the next put's event arrives, and then an older one
    history.put(KEY, b"two!")
    newer = processor.process(history.events[-1])
    older = processor.process(history.events[0])
    # THEN the newer put is recorded (read from S3 over the foreign item), the older is stale
    assert (newer.outcome.value, newer.resolved) == ("processed", True)
    assert older.outcome.value == "stale"
    assert_item_is_s3s_current(account, BUCKET, KEY)
    assert account.item(ID)["sequencer"] == history.events[-1]["detail"]["object"][
        "sequencer"
    ].upper().ljust(32, "0")


def test_an_event_for_a_bucket_the_processor_does_not_serve_is_rejected_to_the_dlq(
    processor: Processor, account: Account
) -> None:
    # GIVEN someone else's bucket, holding the key
    account.s3.create_bucket(Bucket="someone-elses-bucket")
    foreign = History(account.s3, "someone-elses-bucket")
    foreign.put(KEY, b"theirs")
    # WHEN its event reaches the processor (a redrive, or a stray invoke)
    result = processor.process(foreign.events[0])
    # THEN it is rejected with its reason, parked on the DLQ, and the table holds nothing
    assert (result.outcome.value, result.reason) == ("rejected", "foreign_bucket")
    [(body, attributes)] = account.dead_letters()
    assert (body["reason"], attributes["reason"]) == ("foreign_bucket", "foreign_bucket")
    assert body["event"]["detail"]["bucket"]["name"] == "someone-elses-bucket"
    assert account.items() == []
