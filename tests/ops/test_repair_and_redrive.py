"""The operator's tools never leave the table wrong, in any order: `tap reconcile --repair` and
`tap redrive` of both queues, after lost and parked events, beside live traffic; and an item tap
did not write is reported and repaired, never a reason to drop events.

Each test drives a `tap local --keep-running` live stack through the real commands (in-process
CLI runner, the live stack's endpoint and credentials) and judges the table by S3's own version
listing and a Scan (`Live.matches_s3`, `Live.table_present`, `Live.s3_current`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from tap.cli.app import app
from tap.local.delivery import Outcome
from tests.ops.test_redrive import Live, live, resources, use_credentials
from tests.support.bounds import WAIT
from tests.support.paths import REPO_ROOT
from tests.support.properties import examples

__all__ = ["live", "resources"]  # fixtures, used by name

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kept-emulator")]


def tap_reconcile(live: Live, *more: str) -> tuple[int, dict[str, Any]]:
    """`tap reconcile --json` against the live stack, as an operator runs it."""
    result = _reconcile(live, "--json", *more)
    return result.exit_code, json.loads(result.stdout)


def _reconcile(live: Live, *more: str) -> Result:
    """`tap reconcile` against the live stack, as an operator runs it."""
    credentials = live.run.report.credentials
    assert credentials is not None
    use_credentials(live.monkeypatch, credentials.access_key_id, credentials.secret_access_key)
    args = [
        "reconcile",
        "--stack",
        "dev",
        "--endpoint-url",
        live.endpoint,
        "-C",
        str(REPO_ROOT),
        *more,
    ]
    return CliRunner().invoke(app, args)


def park(live: Live, key: str, body: bytes) -> str:
    """Put a version whose delivery EventBridge gives up on: its event waits in the delivery DLQ."""
    faults = live.stack.path.faults
    faults.invoke_throttle_rate = 1.0
    before = len(live.stack.records)
    version = live.put(key, body)
    assert live.stack.wait_until(lambda: len(live.stack.records) > before, timeout=WAIT)
    assert live.outcomes(before) == [Outcome.DELIVERY_DLQ]
    faults.invoke_throttle_rate = 0.0
    return version


def parked_event(message: dict[str, Any]) -> dict[str, Any]:
    """The event a DLQ message holds: the body (delivery) or Lambda's `requestPayload`."""
    body: dict[str, Any] = json.loads(message["Body"])
    event: dict[str, Any] = body.get("requestPayload", body)
    return event


def drop_parked(live: Live, wanted: Callable[[dict[str, Any]], bool]) -> list[str]:
    """Lose, for good, each key's newest parked event among those `wanted` accepts, whichever
    DLQ holds it (losing an older one is hidden by the newer); hand back every other message.
    Returns the keys that lost one."""
    sqs = live.run.client("sqs")
    held: list[tuple[str, dict[str, Any]]] = []
    for queue in ("delivery", "processor"):
        url = sqs.get_queue_url(QueueName=live.resources.queue(queue).name)["QueueUrl"]
        while batch := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30
        ).get("Messages", []):
            held += [(url, m) for m in batch]
    newest: dict[str, tuple[int, str]] = {}
    for _, message in held:
        event = parked_event(message)
        if wanted(event):
            key = event["detail"]["object"]["key"]
            sequencer = int(event["detail"]["object"]["sequencer"], 16)
            if key not in newest or sequencer > newest[key][0]:
                newest[key] = (sequencer, message["MessageId"])
    doomed = {message_id for _, message_id in newest.values()}
    for url, message in held:
        if message["MessageId"] in doomed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        else:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    return sorted(newest)


@pytest.mark.parametrize("order", ["repair-then-redrive", "redrive-then-repair"])
def test_repair_then_redrive_or_the_reverse_leaves_s3s_current_version(
    live: Live, order: str
) -> None:
    # GIVEN v1 and v2 of a key both parked in the delivery DLQ, and v2's message lost
    key = f"fence/{order}.csv"
    v1 = park(live, key, b"one")
    v2 = park(live, key, b"two!")
    assert drop_parked(live, lambda e: e["detail"]["object"]["key"] == key) == [key]
    assert live.s3_current()[key][0] == v2 != v1
    # WHEN the operator runs the runbook's two steps, in either order
    steps: dict[str, Callable[[], tuple[int, dict[str, Any]]]] = {
        "repair": lambda: tap_reconcile(live, "--repair", "--prefix", "fence/"),
        "redrive": lambda: live.tap_redrive("delivery"),
    }
    first, second = order.split("-then-")
    for step in (first, second):
        code, report = steps[step]()
        assert code == 0, report
        assert live.stack.wait_idle(timeout=WAIT)
    # THEN the item is v2, as S3 lists it, and reconcile finds nothing
    assert live.table_present()[key][0] == v2
    assert live.matches_s3(), (live.table_present(), live.s3_current())
    code, report = tap_reconcile(live, "--prefix", "fence/")
    assert (code, report["drifted"]) == (0, 0)


def _hand_write(live: Live, item: dict[str, Any]) -> None:
    """`aws dynamodb put-item`, as an operator edits an item by hand."""
    live.run.client("dynamodb").put_item(TableName=live.resources.table, Item=item)


def test_items_tap_did_not_write_are_reported_repaired_and_never_freeze_their_keys(
    live: Live,
) -> None:
    bucket = live.resources.buckets[0]
    # GIVEN keys recorded by their events, then items edited or written by hand
    for key in ("hand/no-sequencer.csv", "hand/junk-sequencer.csv", "hand/renamed.csv"):
        live.put(key, b"first")
    assert live.stack.wait_until(live.matches_s3, timeout=WAIT)
    table = {i["id"]["S"]: i for i in live.run.items()}
    no_sequencer = dict(table[f"{bucket}/hand/no-sequencer.csv"])
    del no_sequencer["sequencer"]
    _hand_write(live, no_sequencer)
    _hand_write(live, {**table[f"{bucket}/hand/junk-sequencer.csv"], "sequencer": {"S": "zz"}})
    _hand_write(live, {**table[f"{bucket}/hand/renamed.csv"], "key": {"S": "hand/other.csv"}})
    # a present item for a key S3 never had, with no bucket attribute
    _hand_write(
        live,
        {
            "id": {"S": f"{bucket}/hand/never-in-s3.csv"},
            "key": {"S": "hand/never-in-s3.csv"},
            "status": {"S": "present"},
            "sequencer": {"S": "F" * 32},
        },
    )
    # an item of a bucket that is not the stack's
    _hand_write(
        live,
        {
            "id": {"S": "someone-elses-bucket/x.csv"},
            "bucket": {"S": "someone-elses-bucket"},
            "key": {"S": "x.csv"},
            "status": {"S": "present"},
        },
    )
    # WHEN reconcile looks (the whole table)
    code, found = tap_reconcile(live)
    # THEN each is foreign_item drift, with its reason, and exit 1
    assert code == 1
    assert found["counts"]["foreign_item"] == 5, found["examples"]["foreign_item"]
    reasons = {d["key"]: d["reason"] for d in found["examples"]["foreign_item"]}
    assert reasons["hand/no-sequencer.csv"] == "its sequencer is not one tap writes (none)"
    assert reasons["hand/junk-sequencer.csv"].startswith("its sequencer is not one tap writes")
    assert reasons["hand/renamed.csv"].startswith("its id ")
    assert reasons["hand/never-in-s3.csv"].startswith("its id ")
    assert reasons["x.csv"] == "its bucket is not one of stack dev's"

    # WHEN --repair runs
    code, repaired = tap_reconcile(live, "--repair")
    # THEN every foreign item of the stack's bucket is rewritten from S3; the other bucket's is
    # left, reported, and keeps the exit code at 1
    assert (code, repaired["repaired"], repaired["unrepaired"]) == (1, 4, 1)
    assert (found["out_of_stack"], repaired["out_of_stack"]) == (1, 1)
    items = {i["id"]["S"]: i for i in live.run.items()}
    assert items[f"{bucket}/hand/never-in-s3.csv"]["status"]["S"] == "deleted"
    assert "someone-elses-bucket/x.csv" in items
    # AND the report no longer sends the operator to --repair for it, but to a hand delete
    said = _reconcile(live)
    assert said.exit_code == 1
    assert "run with --repair" not in said.stdout
    assert said.stdout.splitlines()[-1] == (
        "1 item(s) name a bucket stack dev does not have: --repair never writes or deletes "
        "them; delete them by hand if no other stack writes to this table"
    )
    # (the operator removes it by hand, as the report says)
    live.run.client("dynamodb").delete_item(
        TableName=live.resources.table, Key={"id": {"S": "someone-elses-bucket/x.csv"}}
    )
    assert live.matches_s3(), (live.table_present(), live.s3_current())

    # AND the next put to each of those keys is recorded, not dropped as stale
    for key in ("hand/no-sequencer.csv", "hand/junk-sequencer.csv", "hand/renamed.csv"):
        live.put(key, b"second, longer")
    assert live.stack.wait_until(live.matches_s3, timeout=WAIT), (
        live.table_present(),
        live.s3_current(),
    )
    code, again = tap_reconcile(live, "--prefix", "hand/")
    assert (code, again["drifted"]) == (0, 0)


def test_a_redriven_event_for_another_bucket_is_counted_rejected_and_never_written(
    live: Live,
) -> None:
    # GIVEN a parked event, then a copy of it naming a bucket the stack does not have
    key = "foreign/object.csv"
    park(live, key, b"mine")
    sqs = live.run.client("sqs")
    url = sqs.get_queue_url(QueueName=live.resources.delivery_dlq.name)["QueueUrl"]
    [message] = live.peek("delivery")
    event = json.loads(message["Body"])
    event["detail"]["bucket"]["name"] = "someone-elses-bucket"
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    # WHEN the delivery queue is redriven
    code, report = live.tap_redrive("delivery")
    assert live.stack.wait_idle(timeout=WAIT)
    # THEN the stack's event is re-submitted, the other bucket's is counted rejected and left
    assert (code, report["resubmitted"], report["skipped_rejected"]) == (0, 1, 1)
    assert report["rejected_reasons"] == {"foreign_bucket": 1}
    assert [json.loads(m["Body"])["detail"]["bucket"]["name"] for m in live.peek("delivery")] == [
        "someone-elses-bucket"
    ]
    assert not any(i["id"]["S"].startswith("someone-elses-bucket/") for i in live.run.items())
    assert live.matches_s3()


# -- any order: a property over operator steps beside live traffic ------------------------------

KEYS = ("a.csv", "a.csv", "b c.csv")
"""Mostly one key: the hazards need several events of one key."""
LIVE = st.tuples(
    st.sampled_from(("put", "delete", "park", "park", "fail", "fail")), st.sampled_from(KEYS)
)
"""An S3 operation whose event is delivered (put, delete), parked in the delivery DLQ by
throttled invokes (park), or in the processor DLQ by failing writes (fail)."""
DELIVERED = st.tuples(st.sampled_from(("put", "delete")), st.sampled_from(KEYS))
"""Live traffic beside the operator: delivered at once."""


class Operator:
    """One example's keys on the shared live stack, and the steps an operator and S3 take."""

    def __init__(self, live: Live, prefix: str) -> None:
        self.live = live
        self.prefix = prefix
        self.faults = live.stack.path.faults

    def _settle(self) -> None:
        """Wait until the live stack has delivered everything S3 has emitted so far.

        moto emits an operation's event before it answers, so a pump that starts after this
        call sees it; two idle pumps after it mean it was delivered (or dead-lettered).
        """
        assert self.live.stack.wait_idle(timeout=WAIT)

    def step(self, action: str, arg: str) -> None:
        live, key = self.live, self.prefix + arg
        before = len(live.stack.records)
        if action == "put":
            live.put(key, f"{action} {before}".encode())
            self._settle()
        elif action == "delete":
            live.run.client("s3").delete_object(Bucket=live.resources.buckets[0], Key=key)
            self._settle()
        elif action in ("park", "fail"):
            rate = "invoke_throttle_rate" if action == "park" else "fail_rate"
            setattr(self.faults, rate, 1.0)
            try:
                live.put(key, f"{action} {before}".encode())
                self._settle()
            finally:
                setattr(self.faults, rate, 0.0)
        elif action == "repair":
            code, report = tap_reconcile(live, "--repair", "--prefix", self.prefix)
            assert code in (0, 1), report
            assert live.stack.wait_idle(timeout=WAIT)
        else:
            code, report = live.tap_redrive(arg)
            assert report["failed"] == 0, report
            assert live.stack.wait_idle(timeout=WAIT)

    def mine(self, table: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in table.items() if k.startswith(self.prefix)}


def test_repair_and_redrives_in_any_order_after_lost_and_parked_events_end_equal_to_s3(
    live: Live,
) -> None:
    """Live operations park events in both DLQs; each key then loses its newest parked event
    (losing an older one is hidden by the newer); then the operator repairs and redrives both
    queues, in any order, with more live operations interleaved. The table must end equal to S3.
    """
    counter = iter(range(10_000))

    @settings(
        max_examples=examples(10),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        before=st.lists(LIVE, min_size=3, max_size=6),
        order=st.permutations(["repair", "redrive delivery", "redrive processor"]),
        during=st.lists(st.tuples(st.integers(0, 3), DELIVERED), max_size=3),
    )
    def run(
        before: list[tuple[str, str]],
        order: list[str],
        during: list[tuple[int, tuple[str, str]]],
    ) -> None:
        operator = Operator(live, f"any-order/{next(counter)}/")
        for action, key in before:
            operator.step(action, key)
        drop_parked(live, lambda e: e["detail"]["object"]["key"].startswith(operator.prefix))
        steps = [(step, "") for step in order]
        for position, (action, key) in sorted(during, key=lambda d: -d[0]):
            steps.insert(position, (action, key))
        for step, key in steps:
            action, _, queue = step.partition(" ")
            operator.step(action, key or queue)
        table, s3 = operator.mine(live.table_present()), operator.mine(live.s3_current())
        assert table == s3, (before, steps)
        code, report = tap_reconcile(live, "--prefix", operator.prefix)
        assert (code, report["drifted"]) == (0, 0), (before, steps, report["examples"])

    run()
