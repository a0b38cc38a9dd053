"""Property: delivery order and redelivery never change an object's final state."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap_processor.handler import Processor
from tests.support.properties import examples

from .history import History, assert_item_is_s3s_current
from .support import BUCKET, Account, Event, load_event, with_object

pytestmark = pytest.mark.slow  # hypothesis drives 100 histories through moto

_counter = itertools.count()

# Sequencers like S3's: 16-18 hex digits, either case; compared after right-padding.
_sequencers = st.text("0123456789abcdefABCDEF", min_size=16, max_size=18)


def _padded(sequencer: str) -> str:
    return sequencer.upper().ljust(32, "0")


@st.composite
def _histories(draw: st.DrawFn) -> tuple[list[Event], list[Event]]:
    """A history of distinct events for one key, and a delivery: shuffled, with repeats."""
    sequencers = draw(st.lists(_sequencers, min_size=1, max_size=6, unique_by=_padded))
    history = []
    for sequencer in sequencers:
        deleted = draw(st.booleans())
        base = load_event("s3_object_deleted_marker" if deleted else "s3_object_created")
        fields: dict[str, object] = {"sequencer": sequencer, "etag": f"etag-{sequencer}"}
        if not deleted:
            fields["size"] = draw(st.integers(min_value=0, max_value=2**53))
        history.append(with_object(base, **fields))
    repeats = draw(st.lists(st.sampled_from(history), max_size=6))
    delivery = draw(st.permutations(history + repeats))
    return history, delivery


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(_histories())
def test_final_item_is_the_state_of_the_greatest_sequencer_in_any_delivery_order(
    processor: Processor, account: Account, histories: tuple[list[Event], list[Event]]
) -> None:
    # GIVEN a fresh key (the fixture's table is shared across examples) and a shuffled delivery
    history, delivery = histories
    key = f"property/{next(_counter)}"
    history = [with_object(e, key=key) for e in history]
    delivery = [with_object(e, key=key) for e in delivery]
    # WHEN every delivered event is processed
    outcomes = [processor.process(e).outcome.value for e in delivery]
    # THEN exactly one item exists and it is the latest event's state
    latest = max(history, key=lambda e: _padded(e["detail"]["object"]["sequencer"]))
    latest_object = latest["detail"]["object"]
    item = account.item(f"amzn-s3-demo-bucket1/{key}")
    assert item["sequencer"] == _padded(latest_object["sequencer"])
    deleted = latest["detail-type"] == "Object Deleted"
    assert item["status"] == ("deleted" if deleted else "present")
    # A tombstone records no size or ETag: those describe a current version, and none is.
    assert item.get("etag") == (None if deleted else latest_object["etag"])
    assert item.get("size") == latest_object.get("size")
    # AND each distinct event was applied at most once
    assert outcomes.count("processed") <= len(history)
    assert "rejected" not in outcomes


def _versions(account: Account, key: str) -> list[tuple[str, bool]]:
    """(version id, is current) of every version and delete marker of the key, from S3."""
    listing = account.s3.list_object_versions(Bucket=BUCKET, Prefix=key)
    return [
        (e["VersionId"], e["IsLatest"])
        for kind in ("Versions", "DeleteMarkers")
        for e in listing.get(kind, [])
        if e["Key"] == key
    ]


_OPERATIONS = ("put", "delete", "expire-current", "delete-version", "expire-noncurrent")


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_item_converges_to_s3s_current_version_whatever_s3_does_and_however_events_arrive(
    processor: Processor, account: Account, data: st.DataObject
) -> None:
    # GIVEN a fresh key in the versioned bucket and a history of puts, delete markers,
    # lifecycle expiries and removals of single versions and markers
    key = f"versions/{next(_counter)}"
    history = History(account.s3, BUCKET)
    delivered: list[Event] = []
    for _ in range(data.draw(st.integers(min_value=1, max_value=8), label="operations")):
        operation = data.draw(st.sampled_from(_OPERATIONS), label="operation")
        versions = _versions(account, key)
        noncurrent = [v for v, latest in versions if not latest]
        if operation == "put":
            history.put(key, data.draw(st.binary(max_size=8), label="body"))
        elif operation in ("delete", "expire-current"):
            history.delete(key, lifecycle=operation == "expire-current")
        elif operation == "delete-version" and versions:
            history.delete_version(key, data.draw(st.sampled_from([v for v, _ in versions])))
        elif operation == "expire-noncurrent" and noncurrent:
            history.delete_version(key, data.draw(st.sampled_from(noncurrent)), lifecycle=True)
        # WHEN, between operations, any already-emitted events arrive, in any order, again or not
        arrived = (
            data.draw(st.lists(st.sampled_from(history.events), max_size=3), label="early")
            if history.events
            else []
        )
        for event in arrived:
            processor.process(event)
        delivered += arrived
    # AND at the end every event arrives at least once more, shuffled, some twice
    late = data.draw(st.permutations(history.events + delivered[:3]), label="late")
    outcomes = [processor.process(event).outcome.value for event in late]
    # THEN the one item is S3's current version (no item if nothing ever happened)
    if not history.events:
        assert not [i for i in account.items() if i["id"] == f"{BUCKET}/{key}"]
        return
    assert_item_is_s3s_current(account, BUCKET, key)
    assert "rejected" not in outcomes
