"""`tap reconcile`: every kind of drift induced on purpose, counted exactly, repaired safely."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import pytest
from typer.testing import CliRunner

from tap.cli.app import app
from tap.local.emulator import running_emulator
from tap.ops.reconcile import (
    DriftKind,
    InventoryError,
    Join,
    Reconciler,
    ReconcileReport,
    classify,
    item_row,
    listed_row,
)
from tap.ops.reconcile.repair import Repairer
from tap.ops.session import OpsSession, connect
from tap.ops.stack import QueueRef, StackResources, resolve
from tap.synth import ResourceGraph
from tap_processor.backfill import FLOOR_SEQUENCER
from tap_processor.event import ObjectChange, ObjectEvent
from tap_processor.state import ObjectState, Status
from tap_processor.store import ItemStore
from tap_processor.versions import VersionReader
from tests.support.bounds import WAIT
from tests.support.inventory import tamper, write_inventory
from tests.support.local import KeptRun
from tests.support.paths import REPO_ROOT
from tests.support.reconcile import disallowed_calls, items_by_key, latest

pytestmark = pytest.mark.slow  # each test deploys the dev stack to an emulator

ZERO = dict.fromkeys(DriftKind, 0)


# -- the comparison itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s3", "item", "kind"),
    [
        (ObjectState(Status.PRESENT, "v1", 3, "e"), None, DriftKind.MISSING_ITEM),
        (ObjectState(Status.DELETED), None, None),
        (ObjectState(Status.DELETED, "m1"), None, None),
        (
            ObjectState(Status.PRESENT, "v1", 3, "e"),
            ObjectState(Status.DELETED, "m0"),
            DriftKind.FALSE_TOMBSTONE,
        ),
        (ObjectState(Status.DELETED, "m1"), ObjectState(Status.DELETED, "m0"), None),
        (
            ObjectState(Status.DELETED, "m1"),
            ObjectState(Status.PRESENT, "v1", 3, "e"),
            DriftKind.ORPHAN_ITEM,
        ),
        (ObjectState(Status.DELETED), ObjectState(Status.PRESENT, "v1"), DriftKind.ORPHAN_ITEM),
        (
            ObjectState(Status.PRESENT, "v2", 3, "e"),
            ObjectState(Status.PRESENT, "v1", 3, "e"),
            DriftKind.STALE_ITEM,
        ),
        (
            ObjectState(Status.PRESENT, "v1", 4, "e"),
            ObjectState(Status.PRESENT, "v1", 3, "e"),
            DriftKind.STALE_ITEM,
        ),
        (
            ObjectState(Status.PRESENT, "v1", 3, '"abc-2"'),
            ObjectState(Status.PRESENT, "v1", 3, "abc-3"),
            DriftKind.STALE_ITEM,
        ),
        # S3 quotes etags, events do not; S3's "null" version is stored as "null".
        (
            ObjectState(Status.PRESENT, "v1", 3, '"abc-2"'),
            ObjectState(Status.PRESENT, "v1", 3, "abc-2"),
            None,
        ),
        (
            ObjectState(Status.PRESENT, "null", 3, '"e"'),
            ObjectState(Status.PRESENT, "null", 3, "e"),
            None,
        ),
        # An item without a version id for S3's null version is the other form: drift.
        (
            ObjectState(Status.PRESENT, "null", 3, '"e"'),
            ObjectState(Status.PRESENT, None, 3, "e"),
            DriftKind.STALE_ITEM,
        ),
    ],
)
def test_classify_follows_the_table_of_drift(
    s3: ObjectState, item: ObjectState | None, kind: DriftKind | None
) -> None:
    assert classify(s3, item) is kind


# -- an in-process emulator: an unversioned bucket, the join's memory ------------------------

ACCOUNT = "444455556666"
REGION = "eu-west-1"


def _resources(bucket: str, table: str) -> StackResources:
    queue = QueueRef("unused", f"arn:aws:sqs:{REGION}:{ACCOUNT}:unused")
    return StackResources(
        stack="unit",
        account_id=ACCOUNT,
        region=REGION,
        buckets=(bucket,),
        table=table,
        function="unused",
        alias="live",
        alias_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:unused:live",
        delivery_dlq=queue,
        processor_dlq=queue,
    )


@pytest.fixture
def plain_stack() -> Iterator[tuple[StackResources, OpsSession]]:
    """An unversioned bucket and an items table (hash key `id`) in an in-process emulator."""
    with running_emulator(account_id=ACCOUNT, region=REGION) as emulator:
        resources = _resources("tap-unversioned", "tap-items-unit")
        emulator.client("s3").create_bucket(
            Bucket="tap-unversioned", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        emulator.client("dynamodb").create_table(
            TableName="tap-items-unit",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        session = connect(resources, role_arn=None, base=emulator.session())
        yield resources, session


def _event(bucket: str, key: str, put: dict[str, Any], size: int, sequencer: str) -> ObjectEvent:
    """The event S3 sends for a put to an unversioned bucket: no `version-id`."""
    return ObjectEvent(
        event_id="e",
        event_time="2026-12-01T00:00:00Z",
        change=ObjectChange.CREATED,
        bucket=bucket,
        key=key,
        sequencer=sequencer.ljust(32, "0"),
        size=size,
        etag=put["ETag"].strip('"'),
        version_id=None,
        reason="PutObject",
        deletion_type=None,
    )


def test_an_unversioned_buckets_null_version_matches_the_processors_null_version_id(
    plain_stack: tuple[StackResources, OpsSession],
) -> None:
    resources, session = plain_stack
    s3 = session.client("s3")
    store = ItemStore(client=session.client("dynamodb"), table_name=resources.table)
    keys = ["a b/ünï code.txt", "plain.csv"]
    for number, key in enumerate(keys):
        put = s3.put_object(Bucket="tap-unversioned", Key=key, Body=b"x" * (number + 1))
        event = _event("tap-unversioned", key, put, number + 1, f"61{number}")
        state = ObjectState(Status.PRESENT, "null", number + 1, event.etag)
        store.record(event, state, environment="unit", updated_at="2026-12-01T00:00:00.000Z")
    # S3 lists version "null", and the processor's items say so.
    assert {e["VersionId"] for e in latest(s3, "tap-unversioned").values()} == {"null"}
    assert all(
        i["version_id"] == {"S": "null"}
        for i in items_by_key(session.client("dynamodb"), resources.table).values()
    )

    report = Reconciler(resources, session, environment="unit").run()

    assert (report.listed_keys, report.scanned_items, report.candidates) == (2, 2, 0)
    assert report.counts == ZERO
    assert report.exit_code == 0

    # A changed etag is stale; --prefix reconciles only the keys under it.
    dynamodb = session.client("dynamodb")
    item = items_by_key(dynamodb, resources.table)["plain.csv"]
    dynamodb.put_item(TableName=resources.table, Item={**item, "etag": {"S": "0" * 32}})
    stale = Reconciler(resources, session, environment="unit").run()
    assert stale.counts == {**ZERO, DriftKind.STALE_ITEM: 1}
    assert [d.key for d in stale.examples[DriftKind.STALE_ITEM]] == ["plain.csv"]
    under = Reconciler(resources, session, environment="unit", prefix="a b/").run()
    assert (under.listed_keys, under.scanned_items, under.counts) == (1, 1, ZERO)
    repaired = Reconciler(resources, session, environment="unit", repair=True).run()
    assert (repaired.repaired, repaired.exit_code) == (1, 0)
    fixed = items_by_key(dynamodb, resources.table)["plain.csv"]
    assert fixed["etag"]["S"] == latest(s3, "tap-unversioned")["plain.csv"]["ETag"].strip('"')
    assert fixed["version_id"] == {"S": "null"}  # as S3 lists it and the processor stores it
    assert fixed["sequencer"] == item["sequencer"]


_LISTED_STATES: Final = (
    None,
    ObjectState(Status.DELETED),
    ObjectState(Status.DELETED, "m1"),
    ObjectState(Status.PRESENT, "v1", 3, "e"),
    ObjectState(Status.PRESENT, "v2", 3, "e"),
    ObjectState(Status.PRESENT, "v1", 4, "e"),
    ObjectState(Status.PRESENT, "v1", 3, "f"),
    ObjectState(Status.PRESENT, "null", 3, "e"),
    ObjectState(Status.PRESENT, None, 3, "e"),
    ObjectState(Status.PRESENT, "v1", None, None),
)


def test_the_joins_sql_lets_through_exactly_what_classify_calls_drift(tmp_path: Path) -> None:
    """The join filters in sqlite, so Python sees only the rows that differ: for every pair of
    a listed state and an item (each side also absent, the item also foreign), the candidates
    must be exactly the keys `classify` judges drifted, with its kind."""
    join = Join(tmp_path / "join.sqlite")
    expected: dict[str, DriftKind] = {}
    pairs = [(s3, item) for s3 in _LISTED_STATES for item in (*_LISTED_STATES, "foreign")]
    listed, items = [], []
    for n, (s3, item) in enumerate(pairs):
        key = f"k{n:03d}"
        if s3 is not None:
            entry = {"Key": key, "VersionId": s3.version_id, "Size": s3.size, "ETag": s3.etag}
            listed.append(listed_row("b", entry, present=s3.status is Status.PRESENT))
        if item == "foreign":
            items.append((f"b/{key}", "b", key, 1, None, None, None, "hand-written"))
            expected[key] = DriftKind.FOREIGN_ITEM
            continue
        if item is not None:
            present = int(item.status is Status.PRESENT)
            row = (f"b/{key}", "b", key, present, item.version_id, item.size, item.etag, None)
            items.append(row)
        kind = classify(s3 or ObjectState(Status.DELETED), item)
        if kind is not None:
            expected[key] = kind
    join.add_listed(listed)
    join.add_items(items)

    found = {c.key: c.kind for c in join.candidates()}
    join.close()

    assert found == expected
    assert len(expected) > len(pairs) // 2  # the grid holds plenty of both


def test_the_join_keeps_no_key_in_python_memory() -> None:
    rows = 20_000
    listed = [
        listed_row(
            "b",
            {"Key": f"k/{n:06d}", "VersionId": f"v{n}", "Size": n, "ETag": f'"{n:032x}"'},
            present=True,
        )
        for n in range(rows)
    ]
    items = [
        item_row(
            {
                "id": {"S": f"b/k/{n:06d}"},
                "bucket": {"S": "b"},
                "key": {"S": f"k/{n:06d}"},
                "sequencer": {"S": f"{n + 1:032X}"},
                "status": {"S": "present"},
                "version_id": {"S": f"v{n}" if n % 1000 else "old"},
                "size": {"N": str(n)},
                "etag": {"S": f"{n:032x}"},
            }
        )
        for n in range(rows)
    ]
    # What dicts of the whole bucket and table would cost: the bound below is far under it.
    tracemalloc.start()
    as_dicts = {r[0]: r for r in listed}, {r[0]: r for r in items if r}
    dict_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del as_dicts
    with tempfile.TemporaryDirectory() as workdir:
        join = Join(Path(workdir) / "join.sqlite")
        tracemalloc.start()
        for start in range(0, rows, 1000):
            join.add_listed(listed[start : start + 1000])
            join.add_items([r for r in items[start : start + 1000] if r])
        stale = [c.key for c in join.candidates()]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert join.sizes() == (rows, rows)
        join.close()
    assert stale == [f"k/{n:06d}" for n in range(0, rows, 1000)]
    assert peak < 1_000_000 < dict_peak


def test_a_parquet_inventory_without_pyarrow_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib

    from tap.ops.reconcile import inventory

    real = importlib.import_module

    def no_pyarrow(name: str, *args: Any) -> Any:
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(inventory.importlib, "import_module", no_pyarrow)
    with pytest.raises(InventoryError) as raised:
        list(inventory._parquet_records(tmp_path / "any.parquet"))
    assert raised.value.exit_code == 2
    assert raised.value.headline() == (
        "cannot read the inventory: a Parquet inventory needs pyarrow (pip install pyarrow); "
        "CSV needs nothing"
    )


# -- a live stack: drift induced on purpose --------------------------------------------------


def _put_and_wait(run: KeptRun, bucket: str, keys: dict[str, bytes]) -> dict[str, str]:
    """Put each key and wait until its item records the version put; return the versions."""
    s3 = run.client("s3")
    versions = {
        k: s3.put_object(Bucket=bucket, Key=k, Body=b)["VersionId"] for k, b in keys.items()
    }
    table = run.report.table_name

    def recorded() -> bool:
        items = items_by_key(run.client("dynamodb"), table)
        return all(
            items.get(k, {}).get("version_id", {}).get("S") == v for k, v in versions.items()
        )

    assert run.live.wait_until(recorded, timeout=WAIT)
    return versions


def _multipart(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload, PartNumber=n, Body=body
            )["ETag"],
        }
        for n, body in ((1, b"a" * 5 * 1024 * 1024), (2, b"tail"))
    ]
    done: dict[str, Any] = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
    )
    return done


MISSING = ("drift/missing one.csv", "drift/ünï cödé missing.txt")
TOMBSTONED = "drift/false tombstone.csv"
ORPHANS = ("drift/orphan-marker.csv", "drift/orphan-no-versions.csv")
STALE = ("drift/stale.csv", "drift/stale-multipart.bin")
DELETED_IN_SYNC = "drift/deleted in sync.csv"
INDUCED = {
    DriftKind.MISSING_ITEM: 2,
    DriftKind.FALSE_TOMBSTONE: 1,
    DriftKind.ORPHAN_ITEM: 2,
    DriftKind.STALE_ITEM: 2,
    DriftKind.FOREIGN_ITEM: 0,
}


def _induce_drift(run: KeptRun, graph: ResourceGraph, bucket: str) -> dict[str, Any]:
    """Two missing items, a false tombstone, two orphans, two stale items, and a deleted key
    in sync; return the table's items as they were before the drift."""
    s3, dynamodb, table = run.client("s3"), run.client("dynamodb"), run.report.table_name
    keys = [*MISSING, TOMBSTONED, *ORPHANS, *STALE, DELETED_IN_SYNC]
    _put_and_wait(run, bucket, {k: f"body of {k}".encode() for k in keys})
    before = items_by_key(dynamodb, table)
    for key in MISSING:
        dynamodb.delete_item(TableName=table, Key={"id": before[key]["id"]})
    tombstone = {k: v for k, v in before[TOMBSTONED].items() if k not in ("size", "etag")}
    dynamodb.put_item(TableName=table, Item={**tombstone, "status": {"S": "deleted"}})
    # Deletes and new versions while the rule is disabled: their events are dropped, so the
    # orphans' items stay present and the stale ones keep their old version.
    events = run.client("events")
    rule = graph.by_type("aws:cloudwatch/eventRule:EventRule")[0].inputs["name"]
    events.disable_rule(Name=rule)
    s3.delete_object(Bucket=bucket, Key=ORPHANS[0])
    for version in s3.list_object_versions(Bucket=bucket, Prefix=ORPHANS[1])["Versions"]:
        s3.delete_object(Bucket=bucket, Key=ORPHANS[1], VersionId=version["VersionId"])
    marker = s3.delete_object(Bucket=bucket, Key=DELETED_IN_SYNC)["VersionId"]
    in_sync = {k: v for k, v in before[DELETED_IN_SYNC].items() if k not in ("size", "etag")}
    dynamodb.put_item(
        TableName=table,
        Item={**in_sync, "status": {"S": "deleted"}, "version_id": {"S": marker}},
    )
    s3.put_object(Bucket=bucket, Key=STALE[0], Body=b"a newer, longer body")
    _multipart(s3, bucket, STALE[1])
    assert run.live.wait_idle(timeout=WAIT)  # every event drained, and dropped
    events.enable_rule(Name=rule)
    return before


@pytest.mark.slow
@pytest.mark.xdist_group("kept-emulator")
def test_each_kind_of_drift_is_counted_exactly_then_repaired_and_gone(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=2, keep_running=True)
    resources = resolve(dev_graph)
    bucket, table = resources.buckets[0], resources.table
    before = _induce_drift(run, dev_graph, bucket)
    session = run.ops_session(resources)
    listed_before = latest(run.client("s3"), bucket)

    # Only the induced keys: the run's own workload is not part of this test.
    found = Reconciler(resources, session, environment="dev", prefix="drift/").run()

    assert found.counts == INDUCED, (
        found.listed_keys,
        found.changed_since_listed,
        [d.key for d in found.examples[DriftKind.ORPHAN_ITEM]],
        sorted(latest(run.client("s3"), bucket)),
    )
    assert found.exit_code == 1
    assert found.listed_keys == len([k for k in listed_before if k.startswith("drift/")])
    assert ORPHANS[1] not in listed_before
    assert found.scanned_items == len([k for k in before if k.startswith("drift/")]) - 2
    assert sorted(d.key for d in found.examples[DriftKind.MISSING_ITEM]) == sorted(MISSING)
    assert [d.key for d in found.examples[DriftKind.FALSE_TOMBSTONE]] == [TOMBSTONED]
    assert sorted(d.key for d in found.examples[DriftKind.ORPHAN_ITEM]) == sorted(ORPHANS)
    assert sorted(d.key for d in found.examples[DriftKind.STALE_ITEM]) == sorted(STALE)
    assert (found.repaired, found.unrepaired) == (0, 7)
    # AND one worker reading the candidates again finds exactly what eight did, in the same order
    one = Reconciler(resources, session, environment="dev", prefix="drift/", reread_workers=1)
    assert {**one.run().to_dict(), "elapsed_seconds": 0} == {
        **found.to_dict(),
        "elapsed_seconds": 0,
    }

    # An inventory report of the same bucket (CSV, and Parquet) finds the same drift.
    run.client("s3").create_bucket(Bucket="tap-inventory-dev")
    for file_format in ("CSV", "Parquet"):
        url = write_inventory(
            run.client("s3"),
            source=bucket,
            destination="tap-inventory-dev",
            file_format=file_format,
        )
        by_inventory = Reconciler(
            resources, session, environment="dev", inventory=url, prefix="drift/"
        ).run()
        assert by_inventory.counts == INDUCED
        assert (by_inventory.listed_keys, by_inventory.source) == (found.listed_keys, "inventory")
    tamper(run.client("s3"), url)
    with pytest.raises(InventoryError) as mismatch:
        Reconciler(resources, session, environment="dev", inventory=url).run()
    assert mismatch.value.exit_code == 2
    assert "the manifest says 00000000000000000000000000000000" in mismatch.value.headline()

    rereads: list[tuple[int, int | None]] = []
    repaired = Reconciler(resources, session, environment="dev", repair=True, prefix="drift/").run(
        rereading=lambda done, total: rereads.append((done, total))
    )

    assert repaired.counts == INDUCED
    # Each candidate read again moved the re-read bar on, and the bar ended full.
    n = repaired.candidates
    assert rereads == [*((done, None) for done in range(1, n + 1)), (n, n)]
    assert (repaired.repaired, repaired.repair_conflicts, repaired.unrepaired) == (7, 0, 0)
    assert repaired.exit_code == 0
    # The table now says what S3 says, key by key, with the sequencers the brief requires.
    listing = latest(run.client("s3"), bucket)
    items = items_by_key(run.client("dynamodb"), table)
    for key in (*MISSING, TOMBSTONED, STALE[0], STALE[1]):
        entry, item = listing[key], items[key]
        assert item["status"]["S"] == "present"
        assert item["version_id"]["S"] == entry["VersionId"]
        assert item["size"]["N"] == str(entry["Size"])
        assert item["etag"]["S"] == entry["ETag"].strip('"')
        expected = FLOOR_SEQUENCER if key in MISSING else before[key]["sequencer"]["S"]
        assert item["sequencer"]["S"] == expected
        assert item["environment"]["S"] == "dev"
    assert items[STALE[1]]["etag"]["S"].endswith("-2")  # the multipart upload's ETag
    assert items[ORPHANS[0]]["status"]["S"] == "deleted"
    assert items[ORPHANS[0]]["version_id"]["S"] == listing[ORPHANS[0]]["VersionId"]
    assert listing[ORPHANS[0]]["marker"]
    assert items[ORPHANS[1]]["status"]["S"] == "deleted"
    assert "version_id" not in items[ORPHANS[1]]
    assert ORPHANS[1] not in listing
    assert "size" not in items[ORPHANS[0]]

    rereads.clear()
    again = Reconciler(resources, session, environment="dev", prefix="drift/").run(
        rereading=lambda done, total: rereads.append((done, total))
    )

    assert (again.counts, again.candidates, again.exit_code) == (ZERO, 0, 0)
    assert rereads == []  # no candidate: the re-read bar never appears
    assert disallowed_calls(resources, session, inventory_bucket="tap-inventory-dev") == []
    assert {c.action for c in session.calls} == {
        "s3:ListBucketVersions",
        "dynamodb:Scan",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "s3:GetObject",
    }


@pytest.mark.slow
@pytest.mark.xdist_group("kept-emulator")
def test_a_repair_racing_a_newer_event_never_overwrites_it(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=1, keep_running=True)
    resources = resolve(dev_graph)
    bucket, table = resources.buckets[0], resources.table
    s3, dynamodb = run.client("s3"), run.client("dynamodb")
    stale_key, missing_key = "race/stale.csv", "race/missing.csv"
    _put_and_wait(run, bucket, {stale_key: b"one", missing_key: b"two"})
    items = items_by_key(dynamodb, table)
    dynamodb.put_item(TableName=table, Item={**items[stale_key], "size": {"N": "999"}})
    dynamodb.delete_item(TableName=table, Key={"id": items[missing_key]["id"]})
    newer: dict[str, str] = {}

    def event_lands_first(drift: Any) -> None:
        # Between the repair's read and its write, a new version's event goes through the
        # processor (the live stack's delivery path).
        newer.update(_put_and_wait(run, bucket, {drift.key: f"newer {drift.key}".encode()}))

    session = run.ops_session(resources)
    report = Reconciler(
        resources, session, environment="dev", repair=True, before_repair=event_lands_first
    ).run()

    assert report.counts == {**ZERO, DriftKind.STALE_ITEM: 1, DriftKind.MISSING_ITEM: 1}
    assert (report.repaired, report.repair_conflicts, report.unrepaired) == (0, 2, 0)
    assert report.exit_code == 0
    after = items_by_key(dynamodb, table)
    listing = latest(s3, bucket)
    for key in (stale_key, missing_key):
        assert after[key]["version_id"]["S"] == newer[key] == listing[key]["VersionId"]
        assert after[key]["size"]["N"] == str(len(f"newer {key}"))
        assert after[key]["sequencer"]["S"] > FLOOR_SEQUENCER
    assert after[stale_key]["sequencer"]["S"] > items[stale_key]["sequencer"]["S"]


@pytest.mark.slow
@pytest.mark.xdist_group("kept-emulator")
def test_the_cli_reports_json_and_exit_codes_against_the_endpoint(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph, tmp_path: Path
) -> None:
    run = run_kept(dev_graph, objects=1, keep_running=True)
    resources = resolve(dev_graph)
    bucket, table = resources.buckets[0], resources.table
    _put_and_wait(run, bucket, {"cli/a key.csv": b"abc"})
    dynamodb = run.client("dynamodb")
    item = items_by_key(dynamodb, table)["cli/a key.csv"]
    dynamodb.delete_item(TableName=table, Key={"id": item["id"]})
    for name in ("Pulumi.yaml", *(p.name for p in REPO_ROOT.glob("Pulumi.*.yaml"))):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    assert run.report.credentials is not None
    env = {
        "AWS_ACCESS_KEY_ID": run.report.credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": run.report.credentials.secret_access_key,
        "AWS_SESSION_TOKEN": "",
    }
    runner = CliRunner()
    base = [
        "reconcile",
        "--stack",
        "dev",
        "-C",
        str(tmp_path),
        "--endpoint-url",
        str(run.report.endpoint),
        "--json",
    ]

    def reconcile(*extra: str) -> tuple[int, dict[str, Any]]:
        result = runner.invoke(app, [*base, *extra], env=env)
        return result.exit_code, json.loads(result.stdout)

    code, found = reconcile()
    assert code == 1
    assert found["counts"] == {**{k.value: 0 for k in DriftKind}, "missing_item": 1}
    assert found["examples"]["missing_item"][0]["key"] == "cli/a key.csv"
    assert found["examples"]["missing_item"][0]["item"] is None

    code, dry = reconcile("--repair", "--dry-run")
    assert (code, dry["dry_run"], dry["repaired"], dry["unrepaired"]) == (1, True, 0, 1)
    assert "cli/a key.csv" not in items_by_key(dynamodb, table)

    code, fixed = reconcile("--repair")
    assert (code, fixed["repaired"], fixed["repair_conflicts"], fixed["unrepaired"]) == (0, 1, 0, 0)
    assert items_by_key(dynamodb, table)["cli/a key.csv"]["size"]["N"] == "3"

    code, clean = reconcile()
    assert (code, clean["drifted"], clean["candidates"]) == (0, 0, 0)
    assert clean["listed_keys"] == clean["scanned_items"] == len(latest(run.client("s3"), bucket))

    # A manifest whose checksum does not match: exit 2, one line.
    run.client("s3").create_bucket(Bucket="tap-inventory-cli")
    url = write_inventory(run.client("s3"), source=bucket, destination="tap-inventory-cli")
    tamper(run.client("s3"), url)
    result = runner.invoke(app, [*base, "--inventory", url], env=env)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: cannot read the inventory: s3://tap-inventory-cli/")


class _OverlappingAws:
    """Answers the two reads of a re-read: an item that is missing, and a key whose current
    version is present. Each thread's first read waits until `workers` threads hold one, so
    the run goes on only once that many reads are in flight together; it counts the most ever
    in flight."""

    def __init__(self, workers: int) -> None:
        self.threads: set[str] = set()
        self.most_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._together = threading.Barrier(workers, timeout=WAIT)
        self._waited = threading.local()

    def client(self, _service: str) -> _OverlappingAws:
        return self

    @contextmanager
    def _request(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            if not getattr(self._waited, "done", False):
                self._waited.done = True
                self._together.wait()
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def get_item(self, **_: Any) -> dict[str, Any]:
        self.threads.add(threading.current_thread().name)
        with self._request():
            return {}

    def list_object_versions(self, *, Prefix: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        with self._request():
            return {
                "Versions": [
                    {"Key": Prefix, "VersionId": "v1", "IsLatest": True, "Size": 3, "ETag": '"e"'}
                ]
            }


def test_candidates_are_read_again_concurrently_and_counted_in_join_order(
    tmp_path: Path,
) -> None:
    """moto serves every request in one process, so the emulator cannot show the overlap of
    round trips that AWS allows; a fake whose reads wait for each other does, by a count: the
    most reads in flight at once. The report must not depend on it."""
    from tests.support.shipped import shipped

    resources = resolve(shipped("dev")[0])
    bucket = resources.buckets[0]
    join = Join(tmp_path / "join.sqlite")
    entries = [
        {"Key": f"k/{i:03d}", "VersionId": "v1", "Size": 3, "ETag": '"e"'} for i in range(48)
    ]
    join.add_listed([listed_row(bucket, e, present=True) for e in entries])
    reports = {}
    for workers in (1, 8):
        aws = _OverlappingAws(workers)
        repairer = Repairer(
            resources=resources,
            dynamodb=aws,  # type: ignore[arg-type]
            versions=VersionReader(client=aws),  # type: ignore[arg-type]
            environment="dev",
            repair=False,
        )
        report = ReconcileReport(source="listing", repair=False, dry_run=False)
        seen: list[tuple[int, int | None]] = []

        def rereading(done: int, total: int | None, seen: list[Any] = seen) -> None:
            seen.append((done, total))

        repairer.settle_all(join, report, rereading, workers=workers)
        reports[workers] = {**report.to_dict(), "elapsed_seconds": 0}
        assert report.candidates == 48
        assert seen == [*((d, None) for d in range(1, 49)), (48, 48)]
        assert len(aws.threads) == workers
        assert aws.most_in_flight == workers  # all at once, and never more than asked for
    join.close()

    assert reports[8] == reports[1]
    assert [d["key"] for d in reports[1]["examples"]["missing_item"]] == sorted(
        d["key"] for d in reports[1]["examples"]["missing_item"]
    )
