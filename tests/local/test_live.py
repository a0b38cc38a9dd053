"""`tap local --keep-running` is a live stack: objects put after the run reach the table."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tap.local.delivery import Outcome
from tap.local.function import HandlerRuntime, artifact_handler
from tap.local.live import LOG_LINES_PER_STREAM, live_log_stream
from tap.ops.inbox import inbox_message, inbox_name
from tap.ops.reconcile import Reconciler, ReconcileReport
from tap.ops.stack import resolve
from tap.synth import ResourceGraph
from tests.support.bounds import WAIT
from tests.support.local import KeptRun, disagreements

# a kept emulator server and its live stack per test
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kept-emulator")]


def test_an_object_put_to_the_endpoint_reaches_the_table(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=2, keep_running=True)
    live = run.live
    bucket = dev_graph.by_type("aws:s3/bucket:Bucket")[0].inputs["bucket"]
    put = run.client("s3").put_object(Bucket=bucket, Key="late/arrival.csv", Body=b"x" * 17)

    def recorded() -> bool:
        return any(i["key"]["S"] == "late/arrival.csv" for i in run.items())

    assert live.wait_until(recorded, timeout=WAIT)
    item = next(i for i in run.items() if i["key"]["S"] == "late/arrival.csv")
    assert item["status"]["S"] == "present"
    assert item["size"]["N"] == "17"
    assert item["version_id"]["S"] == put["VersionId"]
    assert live.errors == []


def test_a_disabled_rule_delivers_nothing_until_enabled(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=1, keep_running=True)
    live = run.live
    rule = dev_graph.by_type("aws:cloudwatch/eventRule:EventRule")[0].inputs["name"]
    bucket = dev_graph.by_type("aws:s3/bucket:Bucket")[0].inputs["bucket"]
    events = run.client("events")
    events.disable_rule(Name=rule)
    before = len(live.records)
    run.client("s3").put_object(Bucket=bucket, Key="while-disabled", Body=b"a")
    seen = len(live.records)
    assert live.wait_idle(timeout=WAIT)  # the event was drained and dropped, not delivered
    assert len(live.records) == seen == before
    assert not any(i["key"]["S"] == "while-disabled" for i in run.items())

    events.enable_rule(Name=rule)
    run.client("s3").put_object(Bucket=bucket, Key="after-enable", Body=b"b")
    assert live.wait_until(
        lambda: any(i["key"]["S"] == "after-enable" for i in run.items()), timeout=WAIT
    )
    assert not any(i["key"]["S"] == "while-disabled" for i in run.items())


def _inbox(run: KeptRun, graph: ResourceGraph) -> tuple[Any, str]:
    """An SQS client of the live stack and its function's invoke inbox URL."""
    function = graph.by_type("aws:lambda/alias:Alias")[0].inputs["functionName"]
    sqs = run.client("sqs")
    return sqs, sqs.get_queue_url(QueueName=inbox_name(function))["QueueUrl"]


def test_an_invoke_sent_to_the_inbox_runs_with_lambdas_async_semantics(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=1, keep_running=True)
    live = run.live
    alias = dev_graph.by_type("aws:lambda/alias:Alias")[0]
    sqs, url = _inbox(run, dev_graph)
    before = len(live.records)
    sqs.send_message(QueueUrl=url, MessageBody=inbox_message(alias.outputs["arn"], {"bad": 1}))

    assert live.wait_until(lambda: len(live.records) > before, timeout=WAIT)
    record = live.records[before]
    assert record.outcome is Outcome.PROCESSED
    assert record.result["outcome"] == "rejected"


def test_versioned_deletes_reach_the_table_in_s3s_order(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    """moto emits no event for a delete marker or a by-id delete; the live stack puts S3's.

    A delete followed at once by a put must end present: the delete's event is on the bus
    before the put's, so its sequencer is lower.
    """
    run = run_kept(dev_graph, objects=1, keep_running=True)
    live = run.live
    bucket = dev_graph.by_type("aws:s3/bucket:Bucket")[0].inputs["bucket"]
    s3 = run.client("s3")

    def item(key: str) -> dict | None:
        return next((i for i in run.items() if i["key"]["S"] == key), None)

    first = s3.put_object(Bucket=bucket, Key="v/a", Body=b"one")
    second = s3.put_object(Bucket=bucket, Key="v/a", Body=b"two!")
    marker = s3.delete_object(Bucket=bucket, Key="v/a")
    assert marker["DeleteMarker"] is True
    assert live.wait_until(
        lambda: (i := item("v/a")) is not None and i["status"]["S"] == "deleted", timeout=WAIT
    )
    # Removing the marker by id uncovers the second version: the handler reads S3.
    s3.delete_object(Bucket=bucket, Key="v/a", VersionId=marker["VersionId"])
    assert live.wait_until(
        lambda: (
            (i := item("v/a")) is not None
            and i.get("version_id", {}).get("S") == second["VersionId"]
            and i["status"]["S"] == "present"
        ),
        timeout=WAIT,
    )
    # A delete marker then, at once, a new version: the item must end on the new version.
    s3.delete_object(Bucket=bucket, Key="v/a")
    third = s3.put_object(Bucket=bucket, Key="v/a", Body=b"three")
    assert live.wait_until(
        lambda: (
            (i := item("v/a")) is not None
            and i.get("version_id", {}).get("S") == third["VersionId"]
        ),
        timeout=WAIT,
    )
    assert live.wait_idle(timeout=WAIT)  # every event of the key delivered
    listing = s3.list_object_versions(Bucket=bucket, Prefix="v/a")
    current = [v for v in listing["Versions"] if v["IsLatest"]]
    assert [v["VersionId"] for v in current] == [third["VersionId"]]
    assert item("v/a")["status"]["S"] == "present"
    assert first["VersionId"] != second["VersionId"]
    assert live.errors == []


def _reconciled(run: KeptRun, graph: ResourceGraph, prefix: str) -> ReconcileReport:
    resources = resolve(graph)
    return Reconciler(resources, run.ops_session(resources), environment="dev", prefix=prefix).run()


def test_fast_overwrites_reach_the_table_as_s3_holds_them(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    """Issue 22, defect 1: back-to-back writes on a key, with no pause, land inside one pump."""
    run = run_kept(dev_graph, objects=1, keep_running=True)
    live = run.live
    bucket = dev_graph.by_type("aws:s3/bucket:Bucket")[0].inputs["bucket"]
    s3 = run.client("s3")
    # GIVEN two puts on each of ten keys, back to back
    for n in range(10):
        s3.put_object(Bucket=bucket, Key=f"fast/twice/{n}", Body=b"one")
        s3.put_object(Bucket=bucket, Key=f"fast/twice/{n}", Body=b"two!")
    # AND put, delete (a marker), put on ten more
    for n in range(10):
        s3.put_object(Bucket=bucket, Key=f"fast/pdp/{n}", Body=b"one")
        s3.delete_object(Bucket=bucket, Key=f"fast/pdp/{n}")
        s3.put_object(Bucket=bucket, Key=f"fast/pdp/{n}", Body=b"three")
    # AND sixteen threads putting ten times each on five keys at once

    def write(thread: int) -> None:
        client = run.client("s3")
        for n in range(10):
            key = f"fast/threads/{(thread + n) % 5}"
            client.put_object(Bucket=bucket, Key=key, Body=b"%d-%d" % (thread, n))

    threads = [threading.Thread(target=write, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # WHEN every event was delivered
    assert live.wait_idle(timeout=WAIT)
    # THEN reconcile finds the table equal to S3 on all 25 keys
    report = _reconciled(run, dev_graph, "fast/")
    assert (report.listed_keys, report.scanned_items) == (25, 25)
    assert (report.drifted, report.exit_code) == (0, 0), report.to_dict()
    # AND so does S3's version listing beside an independent Scan
    dynamodb = run.client("dynamodb")
    table = run.report.table_name
    assert disagreements(s3, dynamodb, bucket=bucket, table=table, prefix="fast/") == {}
    # AND S3 kept every write the threads made: 160 puts on 5 keys
    listing = s3.list_object_versions(Bucket=bucket, Prefix="fast/threads/")["Versions"]
    assert len(listing) == 160
    assert live.errors == []


class _Gate:
    """A handler that stops on chosen calls until the test lets it go on."""

    def __init__(self) -> None:
        self.calls = 0
        self.armed_at: int | None = None
        self.reached = [threading.Event(), threading.Event()]
        self.release = [threading.Event(), threading.Event()]

    def factory(self, runtime: HandlerRuntime) -> Callable[[dict[str, Any], Any], Any]:
        handler = artifact_handler(runtime)

        def handle(event: dict[str, Any], context: Any) -> Any:
            self.calls += 1
            if self.armed_at is not None:
                gate = self.calls - self.armed_at - 1
                if gate in (0, 1):
                    self.reached[gate].set()
                    assert self.release[gate].wait(timeout=WAIT)
            return handler(event, context)

        return handle


def test_stopping_under_traffic_delivers_nothing_after_the_delivery_in_hand(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    """Issue 22, defect 6: stopping the live stack waited for every event already taken."""
    gate = _Gate()
    run = run_kept(dev_graph, objects=1, keep_running=True, handler_factory=gate.factory)
    live = run.live
    bucket = dev_graph.by_type("aws:s3/bucket:Bucket")[0].inputs["bucket"]
    s3 = run.client("s3")
    gate.armed_at = gate.calls
    # GIVEN the pump holds one delivery while twenty more events queue up behind it
    s3.put_object(Bucket=bucket, Key="stop/first", Body=b"1")
    assert gate.reached[0].wait(timeout=WAIT)
    for n in range(20):
        s3.put_object(Bucket=bucket, Key=f"stop/{n}", Body=b"2")
    delivered = len(live.records)
    gate.release[0].set()
    # AND the next pump has taken all twenty and holds the first of them
    assert gate.reached[1].wait(timeout=WAIT)
    # WHEN the stack is stopped while that delivery is in hand
    stopper = threading.Thread(target=live.stop)
    stopper.start()
    while not live.stopping:
        stopper.join(timeout=0.01)
    gate.release[1].set()
    stopper.join(timeout=WAIT)
    # THEN stop returned, and only the delivery in hand was made after it was called
    assert not stopper.is_alive()
    assert gate.calls - gate.armed_at == 2
    assert len(live.records) == delivered + 2
    assert live.undelivered == 19


def test_the_live_log_group_keeps_the_latest_two_streams(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    """A live stack runs for hours: its handler output rotates through streams, as Lambda's does,
    and only the latest two are kept (moto would keep every line)."""

    def chatty(runtime: HandlerRuntime) -> Callable[[dict[str, Any], Any], Any]:
        handler = artifact_handler(runtime)

        def handle(event: dict[str, Any], context: Any) -> Any:
            key = event["detail"]["object"]["key"]
            for n in range(LOG_LINES_PER_STREAM * 3 // 5):
                print(f"{key} line {n}")
            return handler(event, context)

        return handle

    run = run_kept(dev_graph, objects=1, keep_running=True, handler_factory=chatty)
    live = run.live
    bucket = dev_graph.by_type("aws:s3/bucket:Bucket")[0].inputs["bucket"]
    group = dev_graph.by_type("aws:cloudwatch/logGroup:LogGroup")[0].inputs["name"]
    s3 = run.client("s3")
    # GIVEN five events one after the other, each writing three fifths of a stream
    for n in range(5):
        before = len(live.records)
        s3.put_object(Bucket=bucket, Key=f"logs/{n}", Body=b"x")
        assert live.wait_until(lambda before=before: len(live.records) > before, timeout=WAIT)
    assert live.wait_idle(timeout=WAIT)
    # THEN the log group holds the fourth and fifth live streams, and the latest lines
    logs = run.client("logs")
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    live_streams = sorted(s["logStreamName"] for s in streams if "tap-live" in s["logStreamName"])
    assert live_streams == [live_log_stream(4), live_log_stream(5)]
    lines = logs.get_log_events(logGroupName=group, logStreamName=live_log_stream(5))["events"]
    assert any(e["message"] == f"logs/4 line {LOG_LINES_PER_STREAM * 3 // 5 - 1}" for e in lines)


def test_the_live_stack_forgets_the_models_moto_tracks_after_a_listing(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    """Issue 22, defect 8: each full listing on the kept server left moto a tracked copy of every
    version (about 0.4 GB per 10k keys); the pump forgets them, as an in-process run does."""
    from moto.s3.models import FakeKey

    run = run_kept(dev_graph, objects=1, keep_running=True)
    live = run.live
    bucket = dev_graph.by_type("aws:s3/bucket:Bucket")[0].inputs["bucket"]
    s3 = run.client("s3")
    for n in range(30):
        s3.put_object(Bucket=bucket, Key=f"tracked/{n}", Body=b"x")
    # WHEN an operator lists every version, page by page, and the stack goes idle
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, MaxKeys=7)
    assert sum(len(page.get("Versions", [])) for page in pages) >= 30
    assert live.wait_idle(timeout=WAIT)
    # THEN moto keeps no record of the objects, messages or copies it made
    assert FakeKey.instances_tracked == []  # type: ignore[attr-defined]


def test_a_bare_event_sent_to_the_inbox_is_invoked_and_unreadable_bodies_are_refused(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    """`aws sqs send-message` with a bare event (no `{"FunctionName", "Payload"}` envelope)
    reaches the handler as that event, which rejects `{"bad": 1}` with its reason; before,
    it was invoked as `{}`. A body that is not a JSON object is refused as Lambda refuses such
    a payload, and the pump goes on delivering (a non-JSON body used to stop it)."""
    run = run_kept(dev_graph, objects=1, keep_running=True)
    live = run.live
    sqs, url = _inbox(run, dev_graph)
    before = len(live.records)
    for body in ('{"bad": 1}', "not json", "[1, 2]"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    assert live.wait_until(lambda: len(live.records) >= before + 3, timeout=WAIT)
    bare, not_json, not_object = live.records[before : before + 3]
    assert bare.outcome is Outcome.PROCESSED
    assert bare.result["outcome"] == "rejected"
    assert bare.result["reason"] == "unsupported_event"
    assert [not_json.outcome, not_object.outcome] == [Outcome.DROPPED, Outcome.DROPPED]
    assert not_json.error_code == not_object.error_code == "InvalidRequestContentException"
    assert live.errors == []
