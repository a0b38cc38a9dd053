"""`tap local --keep-running` is a live stack: objects put after the run reach the table."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tap.local.delivery import Outcome
from tap.local.live import live_stack
from tap.ops.inbox import inbox_message, inbox_name
from tap.synth import ResourceGraph
from tests.support.local import KeptRun

pytestmark = pytest.mark.xdist_group("kept-emulator")


def test_an_object_put_to_the_endpoint_reaches_the_table_within_five_seconds(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=2)
    assert run.report.endpoint is not None
    live = live_stack(run.report.endpoint)
    assert live is not None
    bucket = dev_graph.by_type("aws:s3/bucket:Bucket")[0].inputs["bucket"]
    put = run.client("s3").put_object(Bucket=bucket, Key="late/arrival.csv", Body=b"x" * 17)

    def recorded() -> bool:
        return any(i["key"]["S"] == "late/arrival.csv" for i in run.items())

    assert live.wait_until(recorded, timeout=5.0)
    item = next(i for i in run.items() if i["key"]["S"] == "late/arrival.csv")
    assert item["status"]["S"] == "present"
    assert item["size"]["N"] == "17"
    assert item["version_id"]["S"] == put["VersionId"]
    assert live.errors == []


def test_a_disabled_rule_delivers_nothing_until_enabled(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=1)
    assert run.report.endpoint is not None
    live = live_stack(run.report.endpoint)
    assert live is not None
    rule = dev_graph.by_type("aws:cloudwatch/eventRule:EventRule")[0].inputs["name"]
    bucket = dev_graph.by_type("aws:s3/bucket:Bucket")[0].inputs["bucket"]
    events = run.client("events")
    events.disable_rule(Name=rule)
    before = len(live.records)
    run.client("s3").put_object(Bucket=bucket, Key="while-disabled", Body=b"a")
    # Two full pumps after the put: the event was drained and dropped, not delivered.
    seen = len(live.records)
    pumps = [0]

    def two_pumps() -> bool:
        pumps[0] += 1
        return pumps[0] > 2

    live.wait_until(two_pumps, timeout=5.0)
    assert len(live.records) == seen == before
    assert not any(i["key"]["S"] == "while-disabled" for i in run.items())

    events.enable_rule(Name=rule)
    run.client("s3").put_object(Bucket=bucket, Key="after-enable", Body=b"b")
    assert live.wait_until(
        lambda: any(i["key"]["S"] == "after-enable" for i in run.items()), timeout=5.0
    )
    assert not any(i["key"]["S"] == "while-disabled" for i in run.items())


def test_an_invoke_sent_to_the_inbox_runs_with_lambdas_async_semantics(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=1)
    assert run.report.endpoint is not None
    live = live_stack(run.report.endpoint)
    assert live is not None
    alias = dev_graph.by_type("aws:lambda/alias:Alias")[0]
    sqs = run.client("sqs")
    url = sqs.get_queue_url(QueueName=inbox_name(alias.inputs["functionName"]))["QueueUrl"]
    before = len(live.records)
    sqs.send_message(QueueUrl=url, MessageBody=inbox_message(alias.outputs["arn"], {"bad": 1}))

    assert live.wait_until(lambda: len(live.records) > before, timeout=5.0)
    record = live.records[before]
    assert record.outcome is Outcome.PROCESSED
    assert record.result["outcome"] == "rejected"
