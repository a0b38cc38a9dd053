"""`tap backfill` splits the key space into ranges: every worker is used on any layout, no key
is listed or written twice, and a resume token taken at any moment resumes to every key.

Counts, never clocks: what S3's listings returned per key, PutItem calls per item, the threads
that handled keys, and the table's own Scan. Interleavings are forced with events and a
barrier. On the in-process emulator, where nothing delivers events.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tap.ops.backfill import Backfill, BackfillResult, ListedObject
from tap.ops.session import OpsSession
from tests.support.backfill import Listings, Writes, put_without_events, token_of, token_state
from tests.support.bounds import WAIT
from tests.support.deployed import DeployedStack

pytestmark = pytest.mark.slow  # each test deploys the dev stack to an emulator

ENVIRONMENT = "dev"


def _backfill(
    stack: DeployedStack, session: OpsSession | None = None, **options: Any
) -> tuple[Backfill, OpsSession]:
    session = session or stack.connect()
    return Backfill(session, stack.resources, environment=ENVIRONMENT, **options), session


def _present_ids(stack: DeployedStack) -> set[str]:
    """The item ids S3's own listing calls for: one per key whose current entry is a version."""
    bucket = stack.resources.buckets[0]
    pages = stack.client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket)
    return {
        f"{bucket}/{v['Key']}" for page in pages for v in page.get("Versions", []) if v["IsLatest"]
    }


def test_a_flat_prefix_is_handled_by_every_worker_and_each_key_listed_and_written_once(
    deployed_dev: DeployedStack,
) -> None:
    # GIVEN 3,000 keys under one prefix, no `/` below it (one shard, before key ranges)
    bucket = deployed_dev.resources.buckets[0]
    keys = [f"bulk/object {n:04d}.csv" for n in range(3000)]
    put_without_events(deployed_dev.resources.account_id, bucket, keys)
    # AND a barrier that lets no key be written until 8 threads each hold one
    barrier = threading.Barrier(8, timeout=WAIT)
    arrived = threading.local()
    handled_by: dict[str, str] = {}

    def hold(listed: ListedObject) -> None:
        if not getattr(arrived, "done", False):
            arrived.done = True
            barrier.wait()
        handled_by[listed.key] = threading.current_thread().name

    run, session = _backfill(deployed_dev, workers=8, on_listed=hold)
    listings = Listings().watch(session.client("s3"))
    writes = Writes().watch(session.client("dynamodb"))
    # WHEN backfill runs with 8 workers
    result = run.run()
    # THEN 8 threads handled keys at once (the barrier broke otherwise: errors), and every key
    # has its item
    assert result.to_dict() == {
        "listed": 3000,
        "written": 3000,
        "already_present": 0,
        "skipped_deleted": 0,
        "errors": 0,
    }
    assert result.complete
    assert len(set(handled_by.values())) == 8
    assert (
        set(deployed_dev.items()) == _present_ids(deployed_dev) == {f"{bucket}/{k}" for k in keys}
    )
    # AND S3 returned each key's current entry in exactly one listing, 3 pages of 1,000
    assert listings.current == Counter(keys)
    assert len(listings.threads) == 3
    # AND each item was put exactly once
    assert writes.ids == Counter(f"{bucket}/{k}" for k in keys)


def _layout(stack: DeployedStack) -> None:
    """Flat keys, a deep tree, the top level, an overwritten key and a deleted one."""
    bucket = stack.resources.buckets[0]
    s3 = stack.client("s3")
    keys = [f"bulk/{n:02d}" for n in range(10)]
    keys += [f"deep/{a}/{b}/x.csv" for a in "ab" for b in "12"] + ["top.csv", "gone.csv"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    s3.put_object(Bucket=bucket, Key="bulk/03", Body=b"second version")
    s3.delete_object(Bucket=bucket, Key="gone.csv")


def _restore(stack: DeployedStack, kept: set[str]) -> None:
    """The table as it was when `kept` were its items (items are only ever added)."""
    dynamodb = stack.client("dynamodb")
    for item_id in set(stack.items()) - kept:
        dynamodb.delete_item(TableName=stack.resources.table, Key={"id": {"S": item_id}})
    assert set(stack.items()) == kept


@pytest.mark.parametrize("workers", [1, 3])
def test_a_token_taken_before_any_write_resumes_to_every_key_exactly_once(
    deployed_dev: DeployedStack, workers: int
) -> None:
    """SIGKILL at any point: the token last printed, or any taken since, must resume to every
    key, writing exactly the keys that have no item, and listing none of them twice."""
    _layout(deployed_dev)
    expected = _present_ids(deployed_dev)
    moments: list[tuple[str | None, set[str]]] = []
    run, session = _backfill(deployed_dev, page_size=4, workers=workers)

    def moment(**_: Any) -> None:
        # The token first, then the table: the table may only be ahead of the token.
        moments.append((run.resume_token(), set(deployed_dev.items())))

    session.client("dynamodb").meta.events.register("before-call.dynamodb.PutItem", moment)
    first = run.run()
    assert first.complete
    assert first.counts.written == len(expected) == len(moments)
    if workers == 1:
        # The token moves on with every key, on a flat prefix as anywhere.
        assert len({token for token, _ in moments}) == len(moments)

    bucket = deployed_dev.resources.buckets[0]
    for token, items in moments:
        assert token is not None
        # No token holds a range whose last key is handled (a worker's last write and the
        # range's end are one step).
        ranges = token_state(token)["buckets"][bucket]["ranges"]
        assert [r for r in ranges if r[0] == [r[1], None]] == []
        _restore(deployed_dev, items)
        resumed, resumed_session = _backfill(deployed_dev, resume=token, page_size=4, workers=2)
        listings = Listings().watch(resumed_session.client("s3"))
        writes = Writes().watch(resumed_session.client("dynamodb"))
        again = resumed.run()
        assert again.complete
        assert again.counts.errors == 0
        assert set(deployed_dev.items()) == expected
        assert again.counts.written == len(expected - items)
        assert set(writes.ids.values()) <= {1}
        assert set(listings.current.values()) <= {1}


def test_a_token_holding_a_finished_range_lists_no_key_after_it(
    deployed_dev: DeployedStack,
) -> None:
    """Issue 24 §7: a token taken by one worker while another had written its range's last key
    and not yet dropped the range held that range, `after` at its `until`. Resumed, the range
    was listed on from `until`: the keys after it were listed twice (once by their own range).
    The token is the one an earlier tap printed in that window; writing it here makes the
    interleaving certain, which 3 threads under load only sometimes produced."""
    # GIVEN 8 keys, the items of f/0..f/3, and the token of a run whose first range (f/0..f/3)
    # has handled its last key and whose second (f/4..f/7) has not started
    bucket = deployed_dev.resources.buckets[0]
    keys = [f"f/{n}" for n in range(8)]
    put_without_events(deployed_dev.resources.account_id, bucket, keys)
    assert _backfill(deployed_dev, page_size=8, workers=2)[0].run().complete
    _restore(deployed_dev, {f"{bucket}/{k}" for k in keys[:4]})
    ranges = [[["f/3", None], "f/3", 0], [["f/3", None], "f/7", 4]]
    token = token_of(
        {
            "v": 2,
            "stack": deployed_dev.resources.stack,
            "prefix": "",
            "buckets": {bucket: {"next": "done", "ranges": ranges}},
        }
    )
    # WHEN it resumes
    resumed, session = _backfill(deployed_dev, resume=token, page_size=8, workers=2)
    listings = Listings().watch(session.client("s3"))
    writes = Writes().watch(session.client("dynamodb"))
    again = resumed.run()
    # THEN S3 listed f/4..f/7 once each and nothing else, and each was written once
    assert again.to_dict() == {
        "listed": 4,
        "written": 4,
        "already_present": 0,
        "skipped_deleted": 0,
        "errors": 0,
    }
    assert again.complete
    assert listings.current == Counter(keys[4:])
    assert writes.ids == Counter(f"{bucket}/{k}" for k in keys[4:])
    assert set(deployed_dev.items()) == {f"{bucket}/{k}" for k in keys}


def _interrupted(stack: DeployedStack, keys: list[str]) -> tuple[BackfillResult, dict[str, Any]]:
    """A run stopped after its third key, with unfinished ranges and an unfinished listing."""
    bucket = stack.resources.buckets[0]
    put_without_events(stack.resources.account_id, bucket, keys)
    seen: list[str] = []
    box: list[Backfill] = []

    def stop_at_third(listed: ListedObject) -> None:
        seen.append(listed.key)
        if len(seen) == 3:
            box[0].stop()

    run, _ = _backfill(stack, page_size=6, workers=2, on_listed=stop_at_third)
    box.append(run)
    result = run.run()
    assert result.resume_token is not None
    state = token_state(result.resume_token)["buckets"][bucket]
    assert state["ranges"]
    assert state["next"] not in (None, "done")
    return result, state


@pytest.mark.parametrize("first", ["resumed ranges", "the listing"])
def test_resumed_ranges_and_the_listing_never_list_or_write_a_key_twice(
    deployed_dev: DeployedStack, first: str
) -> None:
    """Issue 24: a shard discovered while the run was still submitting was listed twice.
    Resumed ranges and the listing run at once; each order is forced with events."""
    bucket = deployed_dev.resources.buckets[0]
    keys = [f"k/{n:02d}" for n in range(20)]
    interrupted, state = _interrupted(deployed_dev, keys)
    lister = threading.current_thread()
    resumed_calls = threading.Semaphore(0)
    listed_once = threading.Event()
    waits: list[bool] = []

    def order(**_: Any) -> None:
        if threading.current_thread() is lister:
            if first == "resumed ranges" and not listed_once.is_set():
                waits.extend(resumed_calls.acquire(timeout=WAIT) for _ in state["ranges"])
        elif first == "the listing":
            waits.append(listed_once.wait(WAIT))

    def done(**_: Any) -> None:
        if threading.current_thread() is lister:
            listed_once.set()
        else:
            resumed_calls.release()

    # One worker more than resumed ranges: the listing has room to go on beside them.
    workers = len(state["ranges"]) + 1
    run, session = _backfill(
        deployed_dev, resume=interrupted.resume_token, page_size=6, workers=workers
    )
    s3 = session.client("s3")
    s3.meta.events.register("before-call.s3.ListObjectVersions", order)
    s3.meta.events.register("after-call.s3.ListObjectVersions", done)
    listings = Listings().watch(s3)
    writes = Writes().watch(session.client("dynamodb"))
    resumed = run.run()

    assert waits
    assert all(waits)
    assert resumed.complete
    assert resumed.counts.errors == 0
    # Every key handled exactly once across the two runs: listed, written, in the table.
    handled_before = interrupted.counts.listed
    assert interrupted.counts.written == handled_before >= 3
    assert resumed.counts.listed == resumed.counts.written == len(keys) - handled_before
    assert set(listings.current.values()) == {1}
    assert len(listings.current) == len(keys) - handled_before
    assert set(writes.ids.values()) == {1}
    assert set(deployed_dev.items()) == {f"{bucket}/{k}" for k in keys}


def _failing_put(key_id: str) -> Callable[..., Any]:
    """A before-call hook: the PutItem of `key_id` answers as a throttled write does after its
    retries."""
    import json

    class Http:
        status_code = 400

    def hook(params: dict[str, Any], **_: Any) -> Any:
        if json.loads(params["body"])["Item"]["id"]["S"] != key_id:
            return None
        return Http(), {
            "Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    return hook


def test_a_key_whose_write_failed_stays_in_the_token_and_a_resume_writes_it(
    deployed_dev: DeployedStack,
) -> None:
    # GIVEN 8 keys in one page, cut into 2 ranges, and a write of f/1 that fails
    bucket = deployed_dev.resources.buckets[0]
    keys = [f"f/{n}" for n in range(8)]
    put_without_events(deployed_dev.resources.account_id, bucket, keys)
    run, session = _backfill(deployed_dev, page_size=8, workers=2)
    session.client("dynamodb").meta.events.register(
        "before-call.dynamodb.PutItem", _failing_put(f"{bucket}/f/1")
    )
    # WHEN backfill runs
    first = run.run()
    # THEN it wrote the rest, counted the error, and its token holds f/1's range from f/1 on
    assert (first.counts.written, first.counts.errors) == (7, 1)
    assert "ProvisionedThroughputExceededException" in first.error_samples[0]
    assert first.resume_token is not None
    state = token_state(first.resume_token)["buckets"][bucket]
    assert state == {"next": "done", "ranges": [[["f/0", None], "f/3", 3]]}
    # WHEN it resumes (the table writable again)
    resumed, resumed_session = _backfill(deployed_dev, resume=first.resume_token)
    listings = Listings().watch(resumed_session.client("s3"))
    again = resumed.run()
    # THEN f/1 is written, f/2 and f/3 are listed again and found, and nothing else is listed
    assert again.to_dict() == {
        "listed": 3,
        "written": 1,
        "already_present": 2,
        "skipped_deleted": 0,
        "errors": 0,
    }
    assert listings.current == Counter(["f/1", "f/2", "f/3"])
    assert set(deployed_dev.items()) == {f"{bucket}/{k}" for k in keys}
