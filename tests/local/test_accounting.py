"""The independent accounting behind `lost`, `stale_overwrites` and `duplicate_items`."""

from __future__ import annotations

import json
from typing import Any

from tap.local.accounting import FinalState, account, dead_letters

REF = ("tap-data-dev-useast1", "raw/a.csv")


def _event(
    detail_type: str,
    size: int | None = None,
    etag: str | None = None,
    *,
    sequencer: str = "0A",
    version_id: str | None = None,
    deletion_type: str = "Delete Marker Created",
) -> dict[str, Any]:
    obj: dict[str, Any] = {"key": REF[1], "sequencer": sequencer}
    if size is not None:
        obj |= {"size": size, "etag": etag}
    if version_id is not None:
        obj["version-id"] = version_id
    detail: dict[str, Any] = {"bucket": {"name": REF[0]}, "object": obj}
    if detail_type == "Object Deleted":
        detail["deletion-type"] = deletion_type
    return {
        "source": "aws.s3",
        "detail-type": detail_type,
        "time": "2026-11-30T00:00:00Z",
        "detail": detail,
    }


def _message(body: dict[str, Any]) -> dict[str, Any]:
    return {"Body": json.dumps(body), "MessageAttributes": {}}


def _item(
    status: str,
    size: int | None = None,
    etag: str | None = None,
    *,
    version_id: str | None = None,
    sequencer: str = "0A".ljust(32, "0"),
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": {"S": "/".join(REF)},
        "bucket": {"S": REF[0]},
        "key": {"S": REF[1]},
        "status": {"S": status},
        "sequencer": {"S": sequencer},
    }
    if size is not None:
        item |= {"size": {"N": str(size)}, "etag": {"S": etag}}
    if version_id is not None:
        item["version_id"] = {"S": version_id}
    return item


FINAL = {REF: FinalState("present", 20, "bbb")}


def test_an_item_with_the_final_state_is_correct() -> None:
    result = account(FINAL, [_item("present", 20, '"bbb"')], [])
    assert (result.correct, result.lost, result.stale_overwrites) == (1, (), 0)


def test_a_missing_object_is_lost() -> None:
    result = account(FINAL, [], [])
    assert result.lost == (REF,)


def test_the_final_event_in_a_dlq_accounts_for_a_stale_item() -> None:
    parked = dead_letters("dlq", [_message(_event("Object Created", 20, "bbb"))])
    result = account(FINAL, [_item("present", 10, "aaa")], parked)
    assert (result.lost, result.stale_overwrites, result.correct) == ((), 0, 0)


def test_an_older_event_in_a_dlq_does_not_excuse_a_lost_final_event() -> None:
    """v1's event was parked, v2's vanished: the table lacks v2 and no DLQ has it."""
    parked = dead_letters("dlq", [_message(_event("Object Created", 10, "aaa"))])
    result = account(FINAL, [], parked)
    assert result.lost == (REF,)


def test_a_parked_invocation_record_is_read_through_its_request_payload() -> None:
    record = {"requestPayload": _event("Object Deleted"), "requestContext": {}}
    parked = dead_letters("dlq", [_message(record)])
    assert parked[0].state == FinalState("deleted", None, None)
    assert parked[0].resolves is False
    result = account({REF: FinalState("deleted", None, None)}, [_item("present", 10, "a")], parked)
    assert (result.lost, result.stale_overwrites) == ((), 0)


def test_moto_s_etag_spelling_is_read_too() -> None:
    event = _event("Object Created", 20, None)
    event["detail"]["object"]["eTag"] = "bbb"
    [letter] = dead_letters("dlq", [_message(event)])
    assert letter.state == FinalState("present", 20, "bbb")


def test_a_stale_item_without_its_final_event_parked_is_lost_and_stale() -> None:
    result = account(FINAL, [_item("present", 10, "aaa")], [])
    assert (result.lost, result.stale_overwrites) == ((REF,), 1)


def test_two_items_for_one_object_are_duplicates() -> None:
    result = account(FINAL, [_item("present", 20, "bbb"), _item("present", 20, "bbb")], [])
    assert result.duplicate_items == 1


def test_an_item_at_another_version_of_the_same_size_and_etag_is_stale() -> None:
    """S3 re-uploads of identical bytes differ only in version id; the item must name S3's."""
    s3_says = {REF: FinalState("present", 20, "bbb", "v2")}
    result = account(s3_says, [_item("present", 20, "bbb", version_id="v1")], [])
    assert (result.lost, result.stale_overwrites) == ((REF,), 1)
    assert account(s3_says, [_item("present", 20, "bbb", version_id="v2")], []).correct == 1


def test_a_tombstone_for_an_object_s3_still_serves_is_stale() -> None:
    """The issue's report: a noncurrent version expired and the item said deleted."""
    s3_says = {REF: FinalState("present", 20, "bbb", "v2")}
    result = account(s3_says, [_item("deleted", version_id="v1")], [])
    assert (result.lost, result.stale_overwrites) == ((REF,), 1)


def test_a_parked_version_removal_newer_than_the_item_would_fix_it_on_redrive() -> None:
    """Its state is read from S3 when redriven, so it excuses the item if it is the later one."""
    removal = _event(
        "Object Deleted", sequencer="0B", version_id="v1", deletion_type="Permanently Deleted"
    )
    [letter] = dead_letters("dlq", [_message(removal)])
    assert (letter.state, letter.resolves) == (None, True)
    s3_says = {REF: FinalState("present", 20, "bbb", "v2")}
    stale_item = _item("deleted", version_id="v1", sequencer="0A".ljust(32, "0"))
    assert account(s3_says, [stale_item], [letter]).lost == ()
    newer_item = _item("deleted", version_id="v1", sequencer="0C".ljust(32, "0"))
    assert account(s3_says, [newer_item], [letter]).lost == (REF,)
