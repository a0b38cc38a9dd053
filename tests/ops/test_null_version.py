"""S3's null version has one form in the items table, `"null"`, whichever path wrote the item.

S3 gives an object written while versioning was off or suspended the version id `null`, and
every API that names versions says so (ListObjectVersions' `VersionId`, GetObject's
`VersionId=null`); only an event leaves `version-id` out. Each writer is driven over the same
S3 state, one at a time from an empty item, and judged by an independent Scan beside S3's own
listing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tap.ops.backfill import Backfill
from tap.ops.reconcile import DriftKind, Reconciler
from tap_processor.event import parse_event, redriven
from tap_processor.handler import Processor
from tap_processor.state import ObjectState, Status, state_of
from tap_processor.versions import listed_state
from tests.processor.support import load_event, with_object
from tests.support.backfill import current_entries
from tests.support.deployed import DeployedStack

pytestmark = pytest.mark.slow  # each test deploys the dev stack to an emulator

KEY = "legacy/report.csv"
ENVIRONMENT = "dev"


def _processor(stack: DeployedStack) -> Processor:
    sqs = stack.client("sqs")
    return Processor(
        dynamodb_client=stack.client("dynamodb"),
        sqs_client=sqs,
        s3_client=stack.client("s3"),
        table_name=stack.resources.table,
        environment=ENVIRONMENT,
        dlq_url=sqs.get_queue_url(QueueName=stack.resources.processor_dlq.name)["QueueUrl"],
        buckets=stack.resources.buckets,
    )


def _event(bucket: str, name: str, **fields: Any) -> dict[str, Any]:
    event = load_event(name)
    event["detail"]["bucket"]["name"] = bucket
    return with_object(event, key=KEY, **fields)


def _null_version(stack: DeployedStack, body: bytes) -> dict[str, Any]:
    """Suspend versioning and put KEY: S3 lists it as version "null"."""
    bucket = stack.resources.buckets[0]
    s3 = stack.client("s3")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=bucket, Key=KEY, Body=body)
    entry, marker = current_entries(s3, bucket)[KEY]
    assert (entry["VersionId"], marker) == ("null", False)
    return dict(entry)


def _written_by(stack: DeployedStack, writers: dict[str, Callable[[], object]]) -> dict[str, Any]:
    """Each writer's item for KEY, from a Scan, each written over an empty item."""
    item_id = f"{stack.resources.buckets[0]}/{KEY}"
    table = stack.client("dynamodb")
    found = {}
    for name, write in writers.items():
        table.delete_item(TableName=stack.resources.table, Key={"id": {"S": item_id}})
        write()
        found[name] = stack.items().get(item_id)
    return found


def _state(item: dict[str, Any] | None) -> tuple[str | None, ...]:
    if item is None:
        return ("no item",)
    return tuple(
        next(iter(item[name].values())) if name in item else None
        for name in ("status", "version_id", "size", "etag")
    )


def test_every_writer_stores_a_null_version_present_object_as_version_null(
    deployed_dev: DeployedStack,
) -> None:
    # GIVEN one object S3 holds as its null version
    stack = deployed_dev
    bucket = stack.resources.buckets[0]
    entry = _null_version(stack, b"written before versioning")
    created = _event(bucket, "s3_object_created", size=entry["Size"], etag=entry["ETag"][1:-1])
    assert "version-id" not in created["detail"]["object"]  # as S3 sends it
    moto_created = with_object(created, **{"version-id": "null"})
    processor = _processor(stack)

    def batch_task() -> None:
        request = load_event("s3_batch_operations_2_0")
        request["tasks"] = [{"taskId": "t", "s3Key": KEY, "s3VersionId": None, "s3Bucket": bucket}]
        [result] = processor.process_batch(request)["results"]
        assert result["resultCode"] == "Succeeded"

    # WHEN every path writes its item for it, one at a time
    items = _written_by(
        stack,
        {
            "event, as S3 sends it (no version-id)": lambda: processor.process(created),
            "event, as moto sends it (version-id null)": lambda: processor.process(moto_created),
            "resolving read (a redriven event)": lambda: processor.process(redriven(created)),
            "tap backfill": lambda: Backfill(
                stack.connect(), stack.resources, environment=ENVIRONMENT
            ).run(),
            "tap reconcile --repair": lambda: Reconciler(
                stack.resources, stack.connect(), environment=ENVIRONMENT, repair=True
            ).run(),
            "S3 Batch Operations task": batch_task,
        },
    )

    # THEN every item records S3's listed state in one form: version "null"
    expected = ("present", "null", str(entry["Size"]), entry["ETag"].strip('"'))
    assert {name: _state(item) for name, item in items.items()} == dict.fromkeys(items, expected)


def test_a_null_version_deleted_for_good_leaves_a_tombstone_without_a_version_id(
    deployed_dev: DeployedStack,
) -> None:
    """moto deletes a suspended bucket's null version outright (nothing is listed after it),
    as S3 does in an unversioned bucket: nothing is current, so no path records a version."""
    stack = deployed_dev
    bucket = stack.resources.buckets[0]
    s3 = stack.client("s3")
    _null_version(stack, b"x")
    s3.delete_object(Bucket=bucket, Key=KEY)
    assert KEY not in current_entries(s3, bucket)
    deleted = _event(bucket, "s3_object_deleted_permanent", **{"version-id": None})
    assert deleted["detail"]["deletion-type"] == "Permanently Deleted"
    processor = _processor(stack)

    items = _written_by(
        stack,
        {
            "event, as S3 sends it (no version-id)": lambda: processor.process(deleted),
            "event, as moto sends it (version-id null)": lambda: processor.process(
                with_object(deleted, **{"version-id": "null"})
            ),
            "resolving read (a redriven event)": lambda: processor.process(redriven(deleted)),
        },
    )

    assert {name: _state(item) for name, item in items.items()} == dict.fromkeys(
        items, ("deleted", None, None, None)
    )


def test_a_null_delete_marker_is_version_null_from_its_event_and_from_the_listing() -> None:
    """S3 makes a null delete marker for a plain delete while versioning is suspended; moto
    removes the null version instead (the test above), so the emulator never holds one. The
    two functions every path builds a tombstone from are judged on the documented shapes: the
    event (`Delete Marker Created`, no version-id) and the listing's marker entry."""
    deleted = _event("bkt", "s3_object_deleted_marker", **{"version-id": None})
    assert deleted["detail"]["deletion-type"] == "Delete Marker Created"

    from_event = state_of(parse_event(deleted))
    from_listing = listed_state({"Key": KEY, "VersionId": "null", "IsLatest": True}, marker=True)

    assert from_event == from_listing == ObjectState(Status.DELETED, version_id="null")


def test_an_item_without_a_version_id_for_a_null_version_is_drift_that_repair_converts(
    deployed_dev: DeployedStack,
) -> None:
    # GIVEN the item an earlier tap wrote for a null version: no version_id at all
    stack = deployed_dev
    bucket = stack.resources.buckets[0]
    entry = _null_version(stack, b"old form")
    _processor(stack).process(
        _event(bucket, "s3_object_created", size=entry["Size"], etag=entry["ETag"][1:-1])
    )
    item_id = f"{bucket}/{KEY}"
    stack.client("dynamodb").update_item(
        TableName=stack.resources.table,
        Key={"id": {"S": item_id}},
        UpdateExpression="REMOVE version_id",
    )
    assert "version_id" not in stack.items()[item_id]

    # WHEN reconcile looks, then repairs
    found = Reconciler(stack.resources, stack.connect(), environment=ENVIRONMENT).run()
    repaired = Reconciler(
        stack.resources, stack.connect(), environment=ENVIRONMENT, repair=True
    ).run()

    # THEN the other form is reported as stale, and the repair writes "null"
    assert found.counts[DriftKind.STALE_ITEM] == 1
    assert found.drifted == 1
    assert (repaired.repaired, repaired.unrepaired) == (1, 0)
    assert stack.items()[item_id]["version_id"] == {"S": "null"}
