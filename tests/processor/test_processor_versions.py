"""Version-true state: after every versioned delete, the item is S3's current version.

Each row of docs/processor.md's table is driven through the real handler against a moto bucket,
delivered in order, reversed, with every event redelivered, and interleaved with another key
that shares its prefix. The judge is S3's own version listing, never the test's expectation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tap_processor.handler import Processor

from .history import History, assert_item_is_s3s_current, current_in_s3
from .support import BUCKET, Account, Event

pytestmark = pytest.mark.slow  # each test runs the handler against moto

KEY = "rows/object.csv"
NEIGHBOUR = KEY + "/under-the-same-prefix"
"""Sorts after KEY and shares its prefix: the listing must not mistake it for KEY."""

Scenario = Callable[[History, str], None]


def noncurrent_expired_by_lifecycle(h: History, key: str) -> None:
    v1 = h.put(key, b"one")
    h.put(key, b"two!")
    h.delete_version(key, v1, lifecycle=True)


def noncurrent_deleted_by_id(h: History, key: str) -> None:
    v1 = h.put(key, b"one")
    h.put(key, b"two!")
    h.delete_version(key, v1)


def current_deleted_by_id_uncovers_previous(h: History, key: str) -> None:
    h.put(key, b"one")
    v2 = h.put(key, b"two!")
    h.delete_version(key, v2)


def current_deleted_by_id_leaves_nothing(h: History, key: str) -> None:
    v1 = h.put(key, b"one")
    h.delete_version(key, v1)


def current_deleted_by_id_uncovers_a_marker(h: History, key: str) -> None:
    h.put(key, b"one")
    h.delete(key)
    v2 = h.put(key, b"two!")
    h.delete_version(key, v2)


def marker_deleted_by_id(h: History, key: str) -> None:
    h.put(key, b"one")
    marker = h.delete(key)
    assert marker is not None
    h.delete_version(key, marker)


def noncurrent_marker_deleted_by_id(h: History, key: str) -> None:
    h.put(key, b"one")
    marker = h.delete(key)
    assert marker is not None
    h.put(key, b"two!")
    h.delete_version(key, marker)


def plain_delete(h: History, key: str) -> None:
    h.put(key, b"one")
    h.put(key, b"two!")
    h.delete(key)


def lifecycle_expiry_of_current(h: History, key: str) -> None:
    h.put(key, b"one")
    h.delete(key, lifecycle=True)


SCENARIOS: dict[str, tuple[Scenario, str]] = {
    # name: (operations, the status S3 ends in, from the table)
    "noncurrent-expired-by-lifecycle": (noncurrent_expired_by_lifecycle, "present"),
    "noncurrent-deleted-by-id": (noncurrent_deleted_by_id, "present"),
    "current-deleted-by-id-uncovers-previous": (current_deleted_by_id_uncovers_previous, "present"),
    "current-deleted-by-id-leaves-nothing": (current_deleted_by_id_leaves_nothing, "deleted"),
    "current-deleted-by-id-uncovers-a-marker": (current_deleted_by_id_uncovers_a_marker, "deleted"),
    "marker-deleted-by-id": (marker_deleted_by_id, "present"),
    "noncurrent-marker-deleted-by-id": (noncurrent_marker_deleted_by_id, "present"),
    "plain-delete": (plain_delete, "deleted"),
    "lifecycle-expiry-of-current": (lifecycle_expiry_of_current, "deleted"),
}


def in_order(events: list[Event]) -> list[Event]:
    return list(events)


def reversed_order(events: list[Event]) -> list[Event]:
    return events[::-1]


def every_event_redelivered(events: list[Event]) -> list[Event]:
    doubled = [e for event in events for e in (event, event)]
    return doubled + events[::-1]


ORDERS: dict[str, Callable[[list[Event]], list[Event]]] = {
    "in-order": in_order,
    "reversed": reversed_order,
    "redelivered": every_event_redelivered,
}


def _run(processor: Processor, deliveries: list[Event]) -> list[dict[str, Any]]:
    return [processor.process(event).as_dict() for event in deliveries]


def _assert_item_is_s3s_current(account: Account, key: str, *, bucket: str = BUCKET) -> None:
    assert_item_is_s3s_current(account, bucket, key)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_item_is_s3s_current_version_after_each_versioned_delete(
    processor: Processor, account: Account, scenario: str, order: str
) -> None:
    # GIVEN a versioned bucket where one row of the table happened to a key
    operations, expected_status = SCENARIOS[scenario]
    history = History(account.s3, BUCKET)
    operations(history, KEY)
    assert current_in_s3(account.s3, BUCKET, KEY).status == expected_status
    # WHEN its events are delivered in this order
    results = _run(processor, ORDERS[order](history.events))
    # THEN the one item is S3's current version: status, version id, size and ETag
    _assert_item_is_s3s_current(account, KEY)
    assert len(account.items()) == 1
    assert "rejected" not in {r["outcome"] for r in results}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_interleaved_keys_sharing_a_prefix_each_end_at_their_current_version(
    processor: Processor, account: Account, scenario: str
) -> None:
    # GIVEN the row happened to KEY while another key under KEY's prefix was overwritten and
    # had its current version removed
    operations, _ = SCENARIOS[scenario]
    history = History(account.s3, BUCKET)
    current_deleted_by_id_uncovers_previous(history, NEIGHBOUR)
    neighbour_events = list(history.events)
    operations(history, KEY)
    own_events = history.events[len(neighbour_events) :]
    # WHEN the two keys' events arrive interleaved, KEY's newest first
    deliveries = [e for pair in zip(own_events[::-1], neighbour_events, strict=False) for e in pair]
    deliveries += own_events[len(neighbour_events) :] + neighbour_events[len(own_events) :]
    _run(processor, deliveries)
    # THEN each key's item is its own current version
    _assert_item_is_s3s_current(account, KEY)
    _assert_item_is_s3s_current(account, NEIGHBOUR)
    assert len(account.items()) == 2


def test_removing_a_noncurrent_version_keeps_the_item_present_at_the_current_version(
    processor: Processor, account: Account
) -> None:
    # GIVEN the report: put v1, put v2, lifecycle expires the noncurrent v1
    history = History(account.s3, BUCKET)
    noncurrent_expired_by_lifecycle(history, KEY)
    v2 = history.events[1]["detail"]["object"]
    # WHEN the three events are processed in order
    results = _run(processor, history.events)
    # THEN the item is present at v2 (it was a tombstone before this fix), read from S3
    item = account.item(f"{BUCKET}/{KEY}")
    assert (item["status"], item["version_id"], item["size"], item["etag"]) == (
        "present",
        v2["version-id"],
        4,
        v2["etag"],
    )
    assert results[-1] == {
        "outcome": "processed",
        "id": f"{BUCKET}/{KEY}",
        "status": "present",
        "resolved": True,
    }
    assert item["sequencer"] == history.events[-1]["detail"]["object"]["sequencer"].upper().ljust(
        32, "0"
    )


def test_permanent_delete_arriving_before_the_create_that_replaced_it_leaves_no_tombstone(
    processor: Processor, account: Account
) -> None:
    # GIVEN put v1, delete v1 by id (nothing left), then put v2
    history = History(account.s3, BUCKET)
    v1 = history.put(KEY, b"one")
    history.delete_version(KEY, v1)
    history.put(KEY, b"two!")
    create_v1, delete_v1, create_v2 = history.events
    # WHEN the delete arrives first, then v2's create, then v1's create, late
    outcomes = [processor.process(e).outcome.value for e in (delete_v1, create_v2, create_v1)]
    # THEN the item is v2, present; the late create is stale
    _assert_item_is_s3s_current(account, KEY)
    assert account.item(f"{BUCKET}/{KEY}")["status"] == "present"
    assert outcomes == ["processed", "processed", "stale"]


def test_resolving_event_processed_before_later_operations_is_still_overtaken_by_them(
    processor: Processor, account: Account
) -> None:
    # GIVEN v1 and v2, and v1's removal processed at once, before anything else happens
    history = History(account.s3, BUCKET)
    noncurrent_deleted_by_id(history, KEY)
    processor.process(history.events[2])
    # WHEN a delete marker follows and its event is processed, then the older events arrive
    history.delete(KEY)
    for event in (history.events[3], history.events[0], history.events[1]):
        processor.process(event)
    # THEN the marker is current in S3 and in the table
    _assert_item_is_s3s_current(account, KEY)
    assert account.item(f"{BUCKET}/{KEY}")["status"] == "deleted"


def test_unversioned_bucket_delete_is_a_tombstone_in_one_request(
    processor: Processor, account: Account
) -> None:
    # GIVEN an unversioned bucket: S3 sends Permanently Deleted with no version id
    account.s3.create_bucket(Bucket="tap-test-unversioned")
    history = History(account.s3, "tap-test-unversioned")
    history.put(KEY, b"one")
    history.delete(KEY)
    for event in history.events:
        event["detail"]["object"].pop("version-id", None)
    assert history.events[1]["detail"]["deletion-type"] == "Permanently Deleted"
    # WHEN both events are processed, in either order
    for event in history.events[::-1]:
        result = processor.process(event).as_dict()
    processor.process(history.events[1])
    # THEN the item is a tombstone matching S3, decided by the event alone
    _assert_item_is_s3s_current(account, KEY, bucket="tap-test-unversioned")
    assert account.item(f"tap-test-unversioned/{KEY}")["status"] == "deleted"
    assert "resolved" not in result


@pytest.mark.parametrize("deletion_type", ["Delete Marker Created", "Permanently Deleted"])
def test_suspended_bucket_null_version_delete_is_a_tombstone(
    processor: Processor, account: Account, deletion_type: str
) -> None:
    """moto treats a suspended bucket as unversioned (no null marker, no version id), so the
    events S3 documents for it (version-id "null") are set here; S3's listing still judges."""
    # GIVEN a bucket whose versioning is suspended, an object put and deleted
    account.s3.create_bucket(Bucket="tap-test-suspended")
    account.s3.put_bucket_versioning(
        Bucket="tap-test-suspended", VersioningConfiguration={"Status": "Suspended"}
    )
    history = History(account.s3, "tap-test-suspended")
    history.put(KEY, b"one")
    history.delete(KEY)
    created, deleted = history.events
    created["detail"]["object"]["version-id"] = "null"
    deleted["detail"]["object"]["version-id"] = "null"
    deleted["detail"]["deletion-type"] = deletion_type
    # WHEN both events are processed
    results = _run(processor, history.events)
    # THEN the item is a tombstone matching S3, decided without reading S3
    _assert_item_is_s3s_current(account, KEY, bucket="tap-test-suspended")
    assert account.item(f"tap-test-suspended/{KEY}")["status"] == "deleted"
    assert not any(r.get("resolved") for r in results)
