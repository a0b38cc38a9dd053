"""`tap redrive`: dead-lettered events go back through the live alias; the rest stays, reported.

Fast tests run on an in-process emulator (real SQS semantics, the stack's DLQs created under
their graph names). moto's Lambda Invoke with InvocationType=Event needs Docker (without it,
`invoke` fails inside moto's Docker model), so the AWS path is tested on the request it builds:
a botocore Stubber on the session's own lambda client asserts FunctionName = the alias ARN,
InvocationType = Event and Payload = the event, and answers 202 (or an error). The slow tests
drive a `tap local --keep-running` live stack, whose delivery path takes the re-submitted events
to the real handler and the table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from typer.testing import CliRunner

from tap.cli.app import app
from tap.local.delivery import Outcome
from tap.local.emulator import running_emulator
from tap.local.live import LiveStack
from tap.ops.inbox import inbox_message, inbox_name
from tap.ops.needs import Command, needs_of, resource_arns
from tap.ops.redrive import Letter, RedriveError, RedriveReport, classify, redrive
from tap.ops.session import OpsSession, connect
from tap.ops.stack import StackResources, resolve
from tap.synth import ResourceGraph
from tap_processor.dead_letter import DeadLetterQueue
from tap_processor.errors import MalformedEventError, RejectedEventError, UnsupportedEventError
from tap_processor.event import redriven
from tests.processor.support import load_event, with_object
from tests.support.bounds import WAIT
from tests.support.local import KeptRun
from tests.support.paths import REPO_ROOT
from tests.support.shipped import data_bucket

pytestmark = pytest.mark.slow  # each test deploys the dev stack to an emulator

Message = dict[str, Any]
DELIVERY_ATTRIBUTES = {
    "RULE_ARN": "arn:aws:events:us-east-1:111122223333:rule/tap-route",
    "TARGET_ARN": "arn:aws:lambda:us-east-1:111122223333:function:tap-processor:live",
    "ERROR_CODE": "THROTTLING",
    "ERROR_MESSAGE": "Lambda throttled the invocation",
    "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
    "RETRY_ATTEMPTS": "24",
}


def s3_event(number: int, key: str | None = None, etag: str | None = None) -> dict[str, Any]:
    """A distinct Object Created event (its own id, key and sequencer) in the dev bucket."""
    event = with_object(
        load_event("s3_object_created"),
        key=key or f"redrive/object-{number}.csv",
        sequencer=f"{0x617F08299329D189 + number:X}",
        **({"etag": etag} if etag else {}),
    )
    event["detail"]["bucket"]["name"] = data_bucket("dev")
    event["id"] = f"00000000-0000-0000-0000-{number:012d}"
    return event


def invocation_record(event: Any, error_type: str = "StoreError") -> dict[str, Any]:
    """Lambda's on-failure record (Lambda's documented destination shape)."""
    return {
        "version": "1.0",
        "timestamp": "2026-12-01T05:00:00.000Z",
        "requestContext": {
            "requestId": "c9a1e7c1-0000-4000-8000-000000000001",
            "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:tap-processor:live",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "1",
            "functionError": "Unhandled",
        },
        "responsePayload": {"errorMessage": "write throttled", "errorType": error_type},
    }


@dataclass
class Dlqs:
    """The stack's two DLQs on an in-process emulator, an operator session, and an independent
    SQS client to fill and inspect them."""

    resources: StackResources
    session: OpsSession
    sqs: Any
    urls: dict[str, str]

    def send(self, which: str, body: Any, attributes: dict[str, str] | None = None) -> str:
        """Send one message (a str body as it is, anything else as JSON); its message id."""
        return str(
            self.sqs.send_message(
                QueueUrl=self.urls[which],
                MessageBody=body if isinstance(body, str) else json.dumps(body),
                MessageAttributes={
                    k: {"DataType": "String", "StringValue": v}
                    for k, v in (attributes or {}).items()
                },
            )["MessageId"]
        )

    def reject(self, event: Any, rejection: RejectedEventError) -> str:
        """A rejection, sent by the handler's own dead-letter code."""
        queue = DeadLetterQueue(client=self.sqs, queue_url=self.urls["processor"])
        return queue.send(event, rejection, environment="dev", rejected_at="2026-12-01T05:00:00Z")

    def peek(self, which: str) -> list[Message]:
        return peek(self.sqs, self.urls[which])

    def stub_lambda(self) -> Stubber:
        """A Stubber on the lambda client the operation will use."""
        return Stubber(self.session.client("lambda"))


def peek(sqs: Any, url: str) -> list[Message]:
    """Every visible message of a queue, by receives that hide each, then handed back at once."""
    messages: list[Message] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, MessageAttributeNames=["All"]
    ).get("Messages", []):
        messages += batch
    for message in messages:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return messages


def expect_invoke(
    stubber: Stubber, resources: StackResources, event: Any, status: int = 202
) -> None:
    stubber.add_response(
        "invoke",
        {"StatusCode": status},
        {
            "FunctionName": resources.alias_arn,
            "InvocationType": "Event",
            "Payload": json.dumps(redriven(event)).encode(),
        },
    )


def assert_within_operator_needs(
    resources: StackResources,
    session: OpsSession,
    *,
    local_only: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset(),
) -> None:
    """Every recorded call is an action OPERATOR_NEEDS grants redrive, on a resource it names,
    but the `local_only` calls (action, resource): the emulator's stand-ins for AWS calls."""
    allowed = {
        (need.action, arn)
        for need in needs_of([Command.REDRIVE])
        for arn in resource_arns(resources, need.resource)
    }
    assert session.calls
    for call in session.calls:
        if call.action == "sts:GetCallerIdentity":
            continue  # connect's proof of the account, allowed to every principal
        if (call.action, call.resource) in local_only:
            continue
        assert (call.action, call.resource) in allowed, call


@pytest.fixture(scope="module")
def resources(dev_graph: ResourceGraph) -> StackResources:
    return resolve(dev_graph)


@pytest.fixture
def dlqs(resources: StackResources) -> Iterator[Dlqs]:
    with running_emulator(account_id=resources.account_id, region=resources.region) as emulator:
        sqs = emulator.client("sqs")
        urls = {
            which: sqs.create_queue(QueueName=resources.queue(which).name)["QueueUrl"]
            for which in ("delivery", "processor")
        }
        session = connect(resources, role_arn=None, base=emulator.session())
        yield Dlqs(resources, session, sqs, urls)


# --- what a message is ------------------------------------------------------------------------


def test_a_delivery_dlq_message_is_the_event_with_eventbridges_attributes() -> None:
    event = s3_event(1)
    message = {
        "Body": json.dumps(event),
        "MessageAttributes": {
            k: {"DataType": "String", "StringValue": v} for k, v in DELIVERY_ATTRIBUTES.items()
        },
    }
    letter = classify("delivery", message)
    assert letter.kind is Letter.EVENT
    assert letter.event == event
    assert (letter.cause, letter.detail) == ("THROTTLING", "Lambda throttled the invocation")
    assert letter.attributes == DELIVERY_ATTRIBUTES
    # An invocation record is no delivery DLQ message: left alone
    record = {"Body": json.dumps(invocation_record(event))}
    assert classify("delivery", record).kind is Letter.UNRECOGNISED


def test_a_processor_dlq_message_is_an_invocation_record_a_rejection_or_unrecognised() -> None:
    event = s3_event(2)
    record = classify("processor", {"Body": json.dumps(invocation_record(event))})
    assert (record.kind, record.event, record.cause) == (
        Letter.INVOCATION_RECORD,
        event,
        "StoreError",
    )
    for body in ("not json", "[1, 2]", json.dumps(event), json.dumps({"reason": "x"})):
        assert classify("processor", {"Body": body}).kind is Letter.UNRECOGNISED, body


def test_a_rejection_keeps_its_reason_and_a_truncated_one_has_no_event(dlqs: Dlqs) -> None:
    small = {"bad": 1}
    huge = {"source": "aws.s3", "detail": {"blob": "x" * 300_000}}
    dlqs.reject(small, UnsupportedEventError("source must be 'aws.s3'"))
    dlqs.reject(huge, MalformedEventError("too large"))
    first, second = (classify("processor", m) for m in dlqs.peek("processor"))
    assert (first.kind, first.event, first.cause) == (Letter.REJECTION, small, "unsupported_event")
    assert (second.kind, second.event, second.cause) == (Letter.REJECTION, None, "malformed_event")


# --- the AWS path: Lambda Invoke, stubbed -----------------------------------------------------


def test_each_event_is_invoked_on_the_alias_asynchronously_then_deleted(dlqs: Dlqs) -> None:
    events = [
        s3_event(1),
        s3_event(2, key="redrive/a key with spaces/ünïcödé ✓.csv"),
        s3_event(3, etag="d41d8cd98f00b204e9800998ecf8427e-3"),  # multipart
    ]
    for event in events:
        dlqs.send("delivery", event, DELIVERY_ATTRIBUTES)
    with dlqs.stub_lambda() as stubber:
        for event in events:
            expect_invoke(stubber, dlqs.resources, event)
        report = redrive(dlqs.session, dlqs.resources, "delivery", wait_seconds=0)
        stubber.assert_no_pending_responses()

    assert (report.received, report.resubmitted, report.failed, report.remaining) == (3, 3, 0, 0)
    assert report.causes == {"THROTTLING": 3}
    assert report.examples[0]["attributes"] == DELIVERY_ATTRIBUTES
    assert report.via == f"lambda Invoke (Event) of {dlqs.resources.alias_arn}"
    assert dlqs.peek("delivery") == []
    assert_within_operator_needs(dlqs.resources, dlqs.session)


def test_a_failed_or_unaccepted_invoke_leaves_its_message_and_counts_failed(dlqs: Dlqs) -> None:
    accepted, throttled, synchronous = s3_event(1), s3_event(2), s3_event(3)
    ids = {
        n: dlqs.send("processor", invocation_record(e))
        for n, e in enumerate((accepted, throttled, synchronous))
    }
    with dlqs.stub_lambda() as stubber:
        expect_invoke(stubber, dlqs.resources, accepted)
        stubber.add_client_error(
            "invoke", "TooManyRequestsException", "Rate exceeded", http_status_code=429
        )
        expect_invoke(stubber, dlqs.resources, synchronous, status=200)
        report = redrive(dlqs.session, dlqs.resources, "processor", wait_seconds=0)

    assert (report.received, report.resubmitted, report.failed, report.remaining) == (3, 1, 2, 2)
    assert not report.ok
    assert [f["message_id"] for f in report.failures] == [ids[1], ids[2]]
    assert "TooManyRequestsException" in report.failures[0]["error"]
    assert report.failures[1]["error"] == "Invoke answered StatusCode 200, not 202"
    left = dlqs.peek("processor")
    assert sorted(m["MessageId"] for m in left) == sorted([ids[1], ids[2]])
    assert [json.loads(m["Body"])["requestPayload"] for m in left] == [throttled, synchronous]


def test_rejections_stay_with_their_reasons_and_are_each_taken_once(dlqs: Dlqs) -> None:
    # More rejections than one receive returns: a loop re-receiving them would count more.
    for n in range(7):
        dlqs.reject({"detail": n}, MalformedEventError(f"detail.bucket missing ({n})"))
    for n in range(5):
        dlqs.reject({"source": f"aws.s{n}"}, UnsupportedEventError(f"source aws.s{n}"))
    event = s3_event(1)
    dlqs.send("processor", invocation_record(event))
    with dlqs.stub_lambda() as stubber:
        expect_invoke(stubber, dlqs.resources, event)
        report = redrive(dlqs.session, dlqs.resources, "processor", wait_seconds=0)

    assert (report.received, report.resubmitted, report.skipped_rejected) == (13, 1, 12)
    assert (report.failed, report.remaining) == (0, 12)
    assert report.rejected_reasons == {"malformed_event": 7, "unsupported_event": 5}
    assert [e["message"] for e in report.rejected_examples["malformed_event"]] == [
        "detail.bucket missing (0)",
        "detail.bucket missing (1)",
        "detail.bucket missing (2)",
    ]
    left = dlqs.peek("processor")  # visible again, at once
    assert len(left) == 12
    assert {json.loads(m["Body"])["reason"] for m in left} == {
        "malformed_event",
        "unsupported_event",
    }


def test_include_rejected_resubmits_rejections_whose_event_was_kept(dlqs: Dlqs) -> None:
    kept = {"bad": 1}
    dlqs.reject(kept, UnsupportedEventError("no source"))
    dlqs.reject({"blob": "x" * 300_000}, MalformedEventError("too large"))
    with dlqs.stub_lambda() as stubber:
        expect_invoke(stubber, dlqs.resources, kept)
        report = redrive(
            dlqs.session, dlqs.resources, "processor", include_rejected=True, wait_seconds=0
        )
        stubber.assert_no_pending_responses()

    assert (report.received, report.resubmitted, report.skipped_rejected) == (2, 1, 1)
    assert report.rejected_reasons == {"malformed_event": 1, "unsupported_event": 1}
    (left,) = dlqs.peek("processor")
    assert json.loads(left["Body"])["event_truncated"] is True


def test_an_event_that_comes_back_during_the_run_is_left_not_resubmitted_again(
    dlqs: Dlqs,
) -> None:
    @dataclass
    class RejectedAgain:
        """Accepts the invoke, and the handler rejects the event again at once."""

        via: str = "a handler that rejects again"
        submitted: int = 0

        def submit(self, event: Any) -> None:
            self.submitted += 1
            dlqs.reject(event, UnsupportedEventError("still no source"))

    dlqs.reject({"bad": 1}, UnsupportedEventError("no source"))
    submitter = RejectedAgain()
    report = redrive(
        dlqs.session,
        dlqs.resources,
        "processor",
        include_rejected=True,
        wait_seconds=0,
        submitter=submitter,
    )
    assert submitter.submitted == 1
    assert (report.received, report.resubmitted, report.returned, report.remaining) == (
        2,
        1,
        1,
        1,
    )
    (left,) = dlqs.peek("processor")
    assert json.loads(left["Body"])["message"] == "still no source"


def test_unrecognised_messages_are_reported_and_left_in_place(dlqs: Dlqs) -> None:
    for body in ("not json", [1, 2], {"foo": 1}):
        dlqs.send("processor", body)
    report = redrive(dlqs.session, dlqs.resources, "processor", wait_seconds=0)
    assert (report.received, report.unrecognised, report.resubmitted, report.remaining) == (
        3,
        3,
        0,
        3,
    )
    assert len(dlqs.peek("processor")) == 3


def test_dry_run_classifies_and_reports_but_invokes_and_deletes_nothing(dlqs: Dlqs) -> None:
    ids = {
        dlqs.send("processor", invocation_record(s3_event(1))),
        dlqs.send("processor", invocation_record(s3_event(2), error_type="VersionReadError")),
        dlqs.reject({"bad": 1}, UnsupportedEventError("no source")),
    }
    report = redrive(dlqs.session, dlqs.resources, "processor", dry_run=True, wait_seconds=0)

    assert report.dry_run
    assert (report.received, report.would_resubmit, report.resubmitted) == (3, 2, 0)
    assert (report.skipped_rejected, report.failed, report.remaining) == (1, 0, 3)
    assert report.causes == {"StoreError": 1, "VersionReadError": 1}
    assert {m["MessageId"] for m in dlqs.peek("processor")} == ids
    actions = {c.action for c in dlqs.session.calls}
    assert "lambda:InvokeFunction" not in actions
    assert "sqs:DeleteMessage" not in actions


def test_max_bounds_the_messages_taken(dlqs: Dlqs) -> None:
    events = [s3_event(n) for n in range(5)]
    for event in events:
        dlqs.send("delivery", event, DELIVERY_ATTRIBUTES)
    with dlqs.stub_lambda() as stubber:
        for event in events[:2]:
            expect_invoke(stubber, dlqs.resources, event)
        report = redrive(dlqs.session, dlqs.resources, "delivery", max_messages=2, wait_seconds=0)
        stubber.assert_no_pending_responses()

    assert (report.received, report.resubmitted, report.remaining) == (2, 2, 3)
    assert [json.loads(m["Body"]) for m in dlqs.peek("delivery")] == events[2:]


@pytest.mark.slow
def test_an_endpoint_that_is_not_a_live_stack_is_refused(
    resources: StackResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_emulator(
        account_id=resources.account_id, region=resources.region, keep_running=True
    ) as emulator:
        assert emulator.endpoint is not None
        emulator.client("sqs").create_queue(QueueName=resources.delivery_dlq.name)
        session = connect(
            resources, role_arn=None, endpoint_url=emulator.endpoint, base=emulator.session()
        )
        with pytest.raises(RedriveError) as refused:
            redrive(session, resources, "delivery", wait_seconds=0)
        assert refused.value.exit_code == 2
        assert "not a `tap local --keep-running` live stack" in str(refused.value)

        use_credentials(
            monkeypatch, emulator.credentials.access_key_id, emulator.credentials.secret_access_key
        )
        result = CliRunner().invoke(app, cli_args(emulator.endpoint, "delivery"))
    assert result.exit_code == 2
    assert "not a `tap local --keep-running` live stack" in result.stderr
    assert result.stdout == ""


# --- the live local stack -----------------------------------------------------------------------


def use_credentials(monkeypatch: pytest.MonkeyPatch, key: str, secret: str) -> None:
    """The environment `tap local --keep-running` tells the operator to export."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


def cli_args(endpoint: str, queue: str, *more: str) -> list[str]:
    return [
        "redrive",
        "--stack",
        "dev",
        "--queue",
        queue,
        "--endpoint-url",
        endpoint,
        "-C",
        str(REPO_ROOT),
        *more,
    ]


@dataclass
class Live:
    """A kept run, its live stack and the stack's resources, with the CLI and S3's truth."""

    run: KeptRun
    stack: LiveStack
    resources: StackResources
    monkeypatch: pytest.MonkeyPatch

    @property
    def endpoint(self) -> str:
        assert self.run.report.endpoint is not None
        return self.run.report.endpoint

    def tap_redrive(self, queue: str, *more: str) -> tuple[int, dict[str, Any]]:
        """`tap redrive --json` in-process, with the live stack's credentials."""
        credentials = self.run.report.credentials
        assert credentials is not None
        use_credentials(self.monkeypatch, credentials.access_key_id, credentials.secret_access_key)
        result = CliRunner().invoke(app, cli_args(self.endpoint, queue, "--json", *more))
        return result.exit_code, json.loads(result.stdout)

    def peek(self, which: str) -> list[Message]:
        sqs = self.run.client("sqs")
        return peek(sqs, sqs.get_queue_url(QueueName=self.resources.queue(which).name)["QueueUrl"])

    def put(self, key: str, body: bytes) -> str:
        """Put an object to the endpoint; its version id."""
        bucket = self.resources.buckets[0]
        return str(self.run.client("s3").put_object(Bucket=bucket, Key=key, Body=body)["VersionId"])

    def s3_current(self) -> dict[str, tuple[str, int, str]]:
        """S3's current version of every key (ListObjectVersions): version id, size, etag."""
        current: dict[str, tuple[str, int, str]] = {}
        s3 = self.run.client("s3")
        for bucket in self.resources.buckets:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                for version in page.get("Versions", []):
                    if version["IsLatest"]:
                        current[version["Key"]] = (
                            version["VersionId"],
                            version["Size"],
                            version["ETag"].strip('"'),
                        )
        return current

    def table_present(self) -> dict[str, tuple[str, int, str]]:
        """The table's present items (a Scan): version id, size, etag by key."""
        return {
            i["key"]["S"]: (i["version_id"]["S"], int(i["size"]["N"]), i["etag"]["S"])
            for i in self.run.items()
            if i["status"]["S"] == "present"
        }

    def matches_s3(self) -> bool:
        return self.table_present() == self.s3_current()

    def outcomes(self, since: int) -> list[Outcome]:
        return [r.outcome for r in self.stack.records[since:]]


@pytest.fixture
def live(
    run_kept: Callable[..., KeptRun],
    dev_graph: ResourceGraph,
    resources: StackResources,
    monkeypatch: pytest.MonkeyPatch,
) -> Live:
    run = run_kept(dev_graph, objects=2, keep_running=True)
    found = Live(run, run.live, resources, monkeypatch)
    assert found.matches_s3()
    return found


@pytest.mark.slow
@pytest.mark.xdist_group("kept-emulator")
def test_events_throttled_into_both_dlqs_are_redriven_until_the_table_matches_s3(
    live: Live,
) -> None:
    faults = live.stack.path.faults
    # GIVEN table writes throttled at 100%: three events exhaust Lambda's retries
    faults.fail_rate = 1.0
    before = len(live.stack.records)
    live.put("redrive/a key with spaces.csv", b"x" * 11)
    live.put("redrive/ünïcödé ✓.txt", b"y" * 12)
    live.put("redrive/third", b"z" * 13)
    assert live.stack.wait_until(lambda: len(live.stack.records) >= before + 3, timeout=WAIT)
    assert live.outcomes(before) == [Outcome.PROCESSOR_DLQ] * 3
    # AND invokes throttled at 100%: two events exhaust EventBridge's retries
    faults.fail_rate, faults.invoke_throttle_rate = 0.0, 1.0
    before = len(live.stack.records)
    live.put("redrive/fourth", b"w" * 14)
    live.put("redrive/third", b"z" * 15)  # a second version of a key already dead-lettered
    assert live.stack.wait_until(lambda: len(live.stack.records) >= before + 2, timeout=WAIT)
    assert live.outcomes(before) == [Outcome.DELIVERY_DLQ] * 2
    faults.invoke_throttle_rate = 0.0
    # AND two events the handler rejects, invoked through the live stack's inbox
    sqs = live.run.client("sqs")
    inbox = sqs.get_queue_url(QueueName=inbox_name(live.resources.function))["QueueUrl"]
    before = len(live.stack.records)
    for event in ({"bad": 1}, load_event("invalid_missing_key")):
        sqs.send_message(QueueUrl=inbox, MessageBody=inbox_message(live.resources.alias_arn, event))
    assert live.stack.wait_until(lambda: len(live.stack.records) >= before + 2, timeout=WAIT)

    delivery, processor = live.peek("delivery"), live.peek("processor")
    assert len(delivery) == 2
    assert {m["MessageAttributes"]["ERROR_CODE"]["StringValue"] for m in delivery} == {"THROTTLING"}
    assert len(processor) == 5
    rejected = sorted(json.loads(m["Body"]).get("reason", "") for m in processor)
    assert rejected == ["", "", "", "malformed_event", "unsupported_event"]
    assert not live.matches_s3()

    # WHEN each DLQ is redriven, with the faults lifted
    code, report = live.tap_redrive("delivery")
    assert code == 0
    assert {k: report[k] for k in ("received", "resubmitted", "skipped_rejected", "failed")} == {
        "received": 2,
        "resubmitted": 2,
        "skipped_rejected": 0,
        "failed": 0,
    }
    assert "invoke inbox" in report["via"]
    assert report["causes"] == {"THROTTLING": 2}
    code, report = live.tap_redrive("processor")
    assert code == 0
    assert (report["received"], report["resubmitted"], report["skipped_rejected"]) == (5, 3, 2)
    assert (report["failed"], report["remaining"]) == (0, 2)
    assert report["rejected_reasons"] == {"malformed_event": 1, "unsupported_event": 1}
    assert report["causes"] == {"StoreError": 3}

    # THEN the table matches S3's current versions, key by key, and only the rejections remain
    assert live.stack.wait_until(live.matches_s3, timeout=WAIT), (
        live.table_present(),
        live.s3_current(),
    )
    assert live.peek("delivery") == []
    left = live.peek("processor")
    assert sorted(json.loads(m["Body"])["reason"] for m in left) == [
        "malformed_event",
        "unsupported_event",
    ]
    assert live.stack.errors == []

    # AND a second redrive changes nothing
    items = sorted(live.run.items(), key=lambda i: i["id"]["S"])
    code, report = live.tap_redrive("delivery")
    assert (code, report["received"], report["resubmitted"], report["remaining"]) == (0, 0, 0, 0)
    code, report = live.tap_redrive("processor")
    assert (code, report["received"], report["resubmitted"]) == (0, 2, 0)
    assert (report["skipped_rejected"], report["remaining"]) == (2, 2)
    assert sorted(live.run.items(), key=lambda i: i["id"]["S"]) == items
    assert {m["MessageId"] for m in live.peek("processor")} == {m["MessageId"] for m in left}

    # AND --include-rejected re-submits the rejections: rejected again, they land back
    before = len(live.stack.records)
    code, report = live.tap_redrive("processor", "--include-rejected")
    assert (code, report["resubmitted"], report["failed"]) == (0, 2, 0)
    assert report["received"] == 2 + report["returned"]  # back already, during the run
    assert live.stack.wait_until(lambda: len(live.stack.records) >= before + 2, timeout=WAIT)
    assert [r.result["outcome"] for r in live.stack.records[before:]] == ["rejected"] * 2
    back = live.peek("processor")
    assert sorted(json.loads(m["Body"])["reason"] for m in back) == [
        "malformed_event",
        "unsupported_event",
    ]
    assert not {m["MessageId"] for m in back} & {m["MessageId"] for m in left}
    assert sorted(live.run.items(), key=lambda i: i["id"]["S"]) == items


@pytest.mark.slow
@pytest.mark.xdist_group("kept-emulator")
def test_an_older_event_redriven_after_a_newer_one_does_not_regress_the_item(live: Live) -> None:
    faults = live.stack.path.faults
    key = "redrive/ordered.csv"
    # GIVEN version 1's event dead-lettered, then version 2 processed
    faults.fail_rate = 1.0
    before = len(live.stack.records)
    old = live.put(key, b"old")
    assert live.stack.wait_until(lambda: len(live.stack.records) > before, timeout=WAIT)
    assert live.outcomes(before) == [Outcome.PROCESSOR_DLQ]
    faults.fail_rate = 0.0
    new = live.put(key, b"newer")
    assert live.stack.wait_until(live.matches_s3, timeout=WAIT)
    assert live.s3_current()[key][0] == new != old

    # WHEN an invoke fails (a session whose SendMessage to the inbox raises), nothing is lost
    session = connect(
        live.resources,
        role_arn=None,
        endpoint_url=live.endpoint,
        base=live.run.session,
    )

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "injected"}}, "Send")

    session.client("sqs").meta.events.register("before-call.sqs.SendMessage", refuse)
    failed = redrive(session, live.resources, "processor", wait_seconds=0)
    assert (failed.received, failed.failed, failed.resubmitted, failed.remaining) == (1, 1, 0, 1)
    assert len(live.peek("processor")) == 1
    session.client("sqs").meta.events.unregister("before-call.sqs.SendMessage", refuse)

    # AND the old event is redriven after the newer one was processed
    before = len(live.stack.records)
    report: RedriveReport = redrive(session, live.resources, "processor", wait_seconds=0)
    assert (report.received, report.resubmitted, report.failed, report.remaining) == (1, 1, 0, 0)
    assert live.stack.wait_until(lambda: len(live.stack.records) > before, timeout=WAIT)

    # THEN the handler judged it stale and the item still holds S3's current version
    assert live.stack.records[before].result["outcome"] == "stale"
    assert live.matches_s3()
    assert live.table_present()[key] == live.s3_current()[key]
    assert live.s3_current()[key][:2] == (new, 5)
    assert live.peek("processor") == []
    # AND every call but the local-only inbox send is one the operator policy grants:
    # sqs:GetQueueUrl and sqs:SendMessage on the inbox stand in for lambda:InvokeFunction
    # and exist only on the emulator, so they are not part of the policy.
    sqs = live.run.client("sqs")
    inbox_url = sqs.get_queue_url(QueueName=inbox_name(live.resources.function))["QueueUrl"]
    inbox = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])
    local_only = {
        ("sqs:GetQueueUrl", inbox["Attributes"]["QueueArn"]),
        ("sqs:SendMessage", inbox["Attributes"]["QueueArn"]),
    }
    assert local_only <= {(c.action, c.resource) for c in session.calls}
    assert_within_operator_needs(live.resources, session, local_only=local_only)
