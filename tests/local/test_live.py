"""`tap local --keep-running` is a live stack: objects put after the run reach the table."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tap.local.delivery import Outcome
from tap.ops.inbox import inbox_message, inbox_name
from tap.synth import ResourceGraph
from tests.support.bounds import WAIT
from tests.support.local import KeptRun

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


def test_an_invoke_sent_to_the_inbox_runs_with_lambdas_async_semantics(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=1, keep_running=True)
    live = run.live
    alias = dev_graph.by_type("aws:lambda/alias:Alias")[0]
    sqs = run.client("sqs")
    url = sqs.get_queue_url(QueueName=inbox_name(alias.inputs["functionName"]))["QueueUrl"]
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
