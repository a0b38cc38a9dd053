"""`tap backfill` on a deployed stack: exactly the objects without an item get one, the
processor's own item, never over an event's; resumable; only the operator needs it declares.

These tests run on an in-process emulator where nothing delivers events; the live-stack ones
(events flowing while backfill runs) are in test_backfill_live.py.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from tap.ops.backfill import Backfill, ListedObject, ResumeTokenError
from tap.ops.needs import Command, needs_of
from tap_processor.backfill import FLOOR_SEQUENCER
from tests.support.backfill import (
    current_entries,
    expected_item_fields,
    put_awkward_objects,
    token_of,
    token_state,
)
from tests.support.deployed import DeployedStack

pytestmark = pytest.mark.slow  # each test deploys the dev stack to an emulator

ENVIRONMENT = "dev"


def _run(stack: DeployedStack, **options: Any) -> tuple[Backfill, Any]:
    session = stack.connect()
    run = Backfill(session, stack.resources, environment=ENVIRONMENT, **options)
    return run, (run.run(), session)


def test_backfill_writes_the_processors_item_for_every_current_version_and_nothing_else(
    deployed_dev: DeployedStack,
) -> None:
    # GIVEN objects no event recorded: overwritten, deleted, awkward keys, a multipart upload
    bucket = deployed_dev.resources.buckets[0]
    s3 = deployed_dev.client("s3")
    put_awkward_objects(s3, bucket)
    listing = current_entries(s3, bucket)
    present = {k: e for k, (e, marker) in listing.items() if not marker}
    # WHEN backfill runs
    run, (result, session) = _run(deployed_dev, page_size=3, workers=4)
    # THEN it wrote exactly S3's current versions, and counted the delete marker
    # (one PutItem per version, recorded once: the record does not grow with the bucket)
    table = f"arn:aws:dynamodb:us-east-1:111122223333:table/{deployed_dev.resources.table}"
    assert [c.resource for c in session.calls if c.action == "dynamodb:PutItem"] == [table]
    assert result.to_dict() == {
        "listed": len(listing),
        "written": len(present),
        "already_present": 0,
        "skipped_deleted": len(listing) - len(present),
        "errors": 0,
    }
    assert result.complete
    assert run.resume_token() is None
    items = deployed_dev.items()
    assert set(items) == {f"{bucket}/{key}" for key in present}
    for key, entry in present.items():
        item = items[f"{bucket}/{key}"]
        fields = expected_item_fields(item)
        # The listing's answer time fences older events off (docs/processor.md, the read fence).
        read_at = datetime.fromisoformat(fields.pop("read_at"))
        assert read_at > entry["LastModified"]
        assert fields == {
            "bucket": bucket,
            "key": key,
            "status": "present",
            "size": str(entry["Size"]),
            "etag": entry["ETag"].strip('"'),
            "version_id": entry["VersionId"],
            "sequencer": FLOOR_SEQUENCER,
            "environment": ENVIRONMENT,
            "event_time": entry["LastModified"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    assert any(item["etag"]["S"].endswith("-2") for item in items.values())  # the multipart


def test_a_second_run_writes_nothing(deployed_dev: DeployedStack) -> None:
    bucket = deployed_dev.resources.buckets[0]
    put_awkward_objects(deployed_dev.client("s3"), bucket)
    _, (first, _) = _run(deployed_dev)
    before = deployed_dev.items()

    _, (second, _) = _run(deployed_dev)

    assert first.counts.written > 0
    assert second.to_dict() == {
        **first.to_dict(),
        "written": 0,
        "already_present": first.counts.written,
    }
    assert deployed_dev.items() == before


def test_an_item_an_event_wrote_is_never_overwritten(deployed_dev: DeployedStack) -> None:
    bucket = deployed_dev.resources.buckets[0]
    s3 = deployed_dev.client("s3")
    s3.put_object(Bucket=bucket, Key="k.csv", Body=b"new")
    table = deployed_dev.resources.table
    event_item = {
        "id": {"S": f"{bucket}/k.csv"},
        "bucket": {"S": bucket},
        "key": {"S": "k.csv"},
        "sequencer": {"S": "617F08299329D189".ljust(32, "0")},
        "status": {"S": "deleted"},
    }
    deployed_dev.client("dynamodb").put_item(TableName=table, Item=event_item)

    _, (result, _) = _run(deployed_dev)

    assert (result.counts.written, result.counts.already_present) == (0, 1)
    assert deployed_dev.items() == {f"{bucket}/k.csv": event_item}


def test_an_unversioned_object_is_stored_as_version_null_as_s3_lists_it(
    deployed_dev: DeployedStack,
) -> None:
    # GIVEN an object written while versioning was suspended: S3 lists it as version "null"
    bucket = deployed_dev.resources.buckets[0]
    s3 = deployed_dev.client("s3")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=bucket, Key="legacy.csv", Body=b"old")
    assert current_entries(s3, bucket)["legacy.csv"][0]["VersionId"] == "null"

    _, (result, _) = _run(deployed_dev)

    assert result.counts.written == 1
    item = deployed_dev.items()[f"{bucket}/legacy.csv"]
    assert item["version_id"] == {"S": "null"}  # one form, whichever path wrote it
    assert item["status"]["S"] == "present"


def test_dry_run_counts_what_it_would_write_and_writes_nothing(
    deployed_dev: DeployedStack,
) -> None:
    bucket = deployed_dev.resources.buckets[0]
    s3 = deployed_dev.client("s3")
    for key in ("a/1", "a/2", "b/1"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    _run(deployed_dev, prefix="a/")  # a/1 and a/2 have items now
    s3.put_object(Bucket=bucket, Key="a/3", Body=b"x")
    before = deployed_dev.items()

    _, (result, session) = _run(deployed_dev, dry_run=True)

    assert result.to_dict() == {
        "listed": 4,
        "written": 2,
        "already_present": 2,
        "skipped_deleted": 0,
        "errors": 0,
        "dry_run": True,
    }
    assert deployed_dev.items() == before
    assert {c.action for c in session.calls} == {"s3:ListBucketVersions", "dynamodb:GetItem"}


def test_the_calls_are_exactly_the_operator_needs_declared_for_backfill(
    deployed_dev: DeployedStack,
) -> None:
    bucket = deployed_dev.resources.buckets[0]
    put_awkward_objects(deployed_dev.client("s3"), bucket)

    _, (_, written) = _run(deployed_dev)
    _, (_, dry) = _run(deployed_dev, dry_run=True)

    declared = {n.action for n in needs_of([Command.BACKFILL])}
    recorded = {c.action for c in (*written.calls, *dry.calls)}
    # kms:Decrypt is made by DynamoDB on the caller's behalf, never by the caller's client.
    assert recorded == declared - {"kms:Decrypt"}
    resources = {c.resource for c in (*written.calls, *dry.calls)}
    table_arn = f"arn:aws:dynamodb:us-east-1:{deployed_dev.resources.account_id}:table/"
    assert resources == {f"arn:aws:s3:::{bucket}", table_arn + deployed_dev.resources.table}


def test_an_interrupted_run_resumes_from_its_token_and_writes_the_rest(
    deployed_dev: DeployedStack,
) -> None:
    # GIVEN keys under two prefixes and at the top level, several pages of them
    bucket = deployed_dev.resources.buckets[0]
    s3 = deployed_dev.client("s3")
    keys = [f"{p}{i}" for p in ("a/", "b/", "top-") for i in range(5)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    # WHEN the run is stopped after its first object
    stopper: list[Backfill] = []

    def stop_after_first(_listed: ListedObject) -> None:
        stopper[0].stop()

    session = deployed_dev.connect()
    first = Backfill(
        session,
        deployed_dev.resources,
        environment=ENVIRONMENT,
        page_size=2,
        workers=1,
        on_listed=stop_after_first,
    )
    stopper.append(first)
    interrupted = first.run()
    # THEN it printed a token and wrote only part of the bucket
    assert interrupted.resume_token is not None
    assert not interrupted.complete
    assert 0 < interrupted.counts.written < len(keys)
    # AND the token holds the listing's marker and each unfinished key range
    state = token_state(interrupted.resume_token)
    assert (state["v"], state["stack"], state["prefix"]) == (2, "dev", "")
    assert set(state["buckets"]) == {bucket}
    assert state["buckets"][bucket]["ranges"]
    # WHEN it resumes from the token
    second = Backfill(
        deployed_dev.connect(),
        deployed_dev.resources,
        environment=ENVIRONMENT,
        page_size=2,
        resume=interrupted.resume_token,
    ).run()
    # THEN every key has its item, each written exactly once across both runs
    assert second.complete
    assert interrupted.counts.written + second.counts.written == len(keys)
    assert set(deployed_dev.items()) == {f"{bucket}/{k}" for k in keys}


def test_the_error_budget_stops_the_run_with_a_resume_token(deployed_dev: DeployedStack) -> None:
    bucket = deployed_dev.resources.buckets[0]
    s3 = deployed_dev.client("s3")
    for i in range(6):
        s3.put_object(Bucket=bucket, Key=f"k{i}", Body=b"x")
    dynamodb = deployed_dev.client("dynamodb")
    dynamodb.update_table(TableName=deployed_dev.resources.table, DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName=deployed_dev.resources.table)

    _, (result, _) = _run(deployed_dev, page_size=2, workers=1, max_errors=2)

    # The third error is past the budget: the run stops before the next key.
    assert result.counts.errors == 3
    assert result.counts.written == 0
    assert result.resume_token is not None
    assert all("ResourceNotFoundException" in s for s in result.error_samples)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("not-a-token", "not a tap backfill resume token"),
        (
            token_of({"v": 2, "stack": "prod", "prefix": "", "buckets": {}}),
            "the token is from a backfill of stack 'prod'",
        ),
        (
            token_of(
                {
                    "v": 2,
                    "stack": "dev",
                    "prefix": "",
                    "buckets": {"other": {"next": None, "ranges": []}},
                }
            ),
            "the token lists buckets other",
        ),
        (
            token_of(
                {
                    "v": 2,
                    "stack": "dev",
                    "prefix": "",
                    "buckets": {"b": {"next": None, "ranges": [[None, 7, 1]]}},
                }
            ),
            "not a tap backfill resume token (not a key range: [None, 7, 1])",
        ),
        (
            token_of(
                {
                    "v": 1,
                    "stack": "dev",
                    "prefix": "",
                    "buckets": {"b": {"root": "done", "shards": {}}},
                },
                compress=False,
            ),
            "the token was printed by an earlier tap (per-prefix shards); run the backfill again "
            "without --resume",
        ),
    ],
    ids=["garbage", "another stack", "other buckets", "a bad range", "version 1"],
)
def test_a_foreign_or_broken_token_is_refused(
    deployed_dev: DeployedStack, token: str, message: str
) -> None:
    with pytest.raises(ResumeTokenError, match=re.escape(message)) as raised:
        Backfill(
            deployed_dev.connect(), deployed_dev.resources, environment=ENVIRONMENT, resume=token
        )
    assert raised.value.exit_code == 2
