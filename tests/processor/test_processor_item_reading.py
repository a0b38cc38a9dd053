"""Reading an item back (`state_of_item`, `foreign_reason`, `stored_sequencer`): lenient for any
item a hand or another tool wrote, exact for tap's own.

These run on every scanned item of a reconcile, so they index rather than test each attribute
against `Mapping`; the cases below hold what that must keep: a missing attribute, one that is not
a map, or a map whose value is not a string all read as absent, and a read-only mapping reads as
a dict does.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_processor.state import ObjectState, Status
from tap_processor.store import foreign_reason, state_of_item, stored_sequencer

TAPS: dict[str, Any] = {
    "id": {"S": "bucket/data/a.csv"},
    "bucket": {"S": "bucket"},
    "key": {"S": "data/a.csv"},
    "sequencer": {"S": "0" * 31 + "A"},
    "status": {"S": "present"},
    "version_id": {"S": "v1"},
    "size": {"N": "12"},
    "etag": {"S": "abc"},
}


def _with(**attributes: Any) -> dict[str, Any]:
    item = {**TAPS, **attributes}
    return {name: value for name, value in item.items() if value is not None}


@pytest.mark.parametrize(
    ("item", "state"),
    [
        (TAPS, ObjectState(Status.PRESENT, version_id="v1", size=12, etag="abc")),
        (_with(status={"S": "deleted"}, size=None, etag=None), ObjectState(Status.DELETED, "v1")),
        (_with(status="deleted"), ObjectState(Status.PRESENT, "v1", 12, "abc")),
        (
            _with(status={"N": "1"}, version_id={"S": 7}),
            ObjectState(Status.PRESENT, None, 12, "abc"),
        ),
        (_with(status=["deleted"], etag=None), ObjectState(Status.PRESENT, "v1", 12, None)),
        (
            _with(status=MappingProxyType({"S": "deleted"}), size=MappingProxyType({"N": "7"})),
            ObjectState(Status.DELETED, "v1", 7, "abc"),
        ),
        (_with(size={"N": "-1"}), ObjectState(Status.PRESENT, "v1", None, "abc")),
        (
            _with(size="12", version_id={"S": "null"}),
            ObjectState(Status.PRESENT, "null", None, "abc"),
        ),
        ({}, ObjectState(Status.PRESENT)),
    ],
)
def test_state_of_item_reads_what_is_a_string_and_nothing_else(
    item: dict[str, Any], state: ObjectState
) -> None:
    assert state_of_item(item) == state


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (TAPS, None),
        (_with(status={"S": "deleted"}), None),
        (_with(id={"S": "bucket/other.csv"}), "its id 'bucket/other.csv' is not its bucket"),
        (_with(key=None), "its id 'bucket/data/a.csv' is not its bucket and key ('bucket', None)"),
        (_with(bucket="bucket"), "is not its bucket and key (None, 'data/a.csv')"),
        (_with(sequencer={"N": "123"}), "its sequencer is not one tap writes ('123')"),
        (_with(sequencer=None), "its sequencer is not one tap writes (none)"),
        (_with(sequencer={"S": "abc"}), "its sequencer is not one tap writes ('abc')"),
        (_with(status={"S": "gone"}), "its status 'gone' is not present or deleted"),
        (_with(status=None), "its status None is not present or deleted"),
    ],
)
def test_foreign_reason_names_what_tap_would_not_have_written(
    item: dict[str, Any], reason: str | None
) -> None:
    found = foreign_reason(item)
    if reason is None:
        assert found is None
    else:
        assert reason in (found or "")


@pytest.mark.parametrize(
    ("item", "sequencer"),
    [
        (TAPS, "0" * 31 + "A"),
        (MappingProxyType({"sequencer": MappingProxyType({"S": "AB"})}), "AB"),
        ({"sequencer": {"N": "1"}}, None),
        ({"sequencer": "AB"}, None),
        ({}, None),
        (None, None),
        ("sequencer", None),
        (["sequencer"], None),
    ],
)
def test_stored_sequencer_is_the_string_or_none(item: object, sequencer: str | None) -> None:
    assert stored_sequencer(item) == sequencer


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4) | st.binary(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["S", "N", "B", "M"]), inner, max_size=3)
    ),
    max_leaves=6,
)


@given(
    st.dictionaries(
        st.sampled_from([*TAPS, "read_at", "other"]), _VALUES | st.sampled_from(list(TAPS.values()))
    )
)
def test_any_item_reads_without_raising(item: dict[str, Any]) -> None:
    state = state_of_item(item)
    reason = foreign_reason(item)
    assert state.status in (Status.PRESENT, Status.DELETED)
    assert reason is None or isinstance(reason, str)
    sequencer = item.get("sequencer")
    string = isinstance(sequencer, dict) and isinstance(sequencer.get("S"), str)
    assert stored_sequencer(item) == (sequencer["S"] if string else None)
