"""Ctrl-C or SIGTERM in a day-2 command: one line naming the stage and what was done, the exit
code of the signal (130, 143), and nothing left behind, judged by what SQS, DynamoDB and the
temporary directory hold afterwards.

The real `tap` script runs as a subprocess against the dev stack deployed to a moto server in
this process, with TMPDIR pointed at a directory the test owns. Each command is brought to its
stage by an event, not by a delay: a `Gate` on the server holds one kind of request (GetItem,
Scan, PutItem, the inbox's SendMessage) once a number of them went through, so the command is
waiting mid-stage when the signal is sent; the gate opens right after it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend
from moto.sqs.models import SQSBackend

from tap.local.deploy import deploy
from tap.local.emulator import Emulator, running_emulator, stop_emulator
from tap.ops.inbox import inbox_name
from tap.ops.reconcile import ReconcileError, Reconciler
from tap.ops.redrive import redrive
from tap.ops.session import connect
from tap.ops.stack import StackResources, resolve
from tap.synth import ResourceGraph
from tests.processor.support import load_event, with_object
from tests.support.bounds import WAIT
from tests.support.deployed import DeployedStack
from tests.support.paths import REPO_ROOT
from tests.support.reconcile import items_by_key, latest
from tests.support.shipped import data_bucket

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kept-emulator")]

TAP = Path(sys.executable).with_name("tap")


class Gate:
    """Holds the emulator's answer to one kind of request once `passing` of them went through:
    the command under test then waits mid-stage until the gate opens."""

    def __init__(self, passing: int) -> None:
        self._left = passing
        self._lock = threading.Lock()
        self.reached = threading.Event()
        """Set when the first request is held."""
        self._open = threading.Event()

    def enter(self) -> None:
        with self._lock:
            self._left -= 1
            hold = self._left < 0
        if hold:
            self.reached.set()
            self._open.wait(WAIT)

    def open(self) -> None:
        self._open.set()


@dataclass
class Served:
    """The dev stack on a moto server, clients to judge it, and `tap` run against it."""

    emulator: Emulator
    resources: StackResources
    tmpdir: Path
    monkeypatch: pytest.MonkeyPatch
    gates: list[Gate]

    def client(self, service: str) -> Any:
        return self.emulator.client(service)

    def hold(
        self,
        backend: type,
        method: str,
        passing: int,
        when: Callable[..., bool] = lambda *_args, **_kwargs: True,
    ) -> Gate:
        """A gate on `backend.method` (moto's, in this process), for requests `when` picks."""
        gate = Gate(passing)
        original = getattr(backend, method)

        def held(self: Any, *args: Any, **kwargs: Any) -> Any:
            if when(*args, **kwargs):
                gate.enter()
            return original(self, *args, **kwargs)

        self.monkeypatch.setattr(backend, method, held)
        self.gates.append(gate)
        return gate

    def tap(self, *args: str) -> subprocess.Popen[str]:
        """`tap ARGS --stack dev --endpoint-url ...` as the stack's account, TMPDIR ours."""
        credentials = self.emulator.credentials
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("AWS_") or name == "AWS_CONFIG_FILE"
        }
        env |= {
            "AWS_ACCESS_KEY_ID": credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_DEFAULT_REGION": self.resources.region,
            "TMPDIR": str(self.tmpdir),
            "COLUMNS": "200",
        }
        assert self.emulator.endpoint is not None
        command = [str(TAP), *args, "--stack", "dev", "-C", str(REPO_ROOT)]
        command += ["--endpoint-url", self.emulator.endpoint]
        return subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def interrupt(
        self, process: subprocess.Popen[str], gate: Gate, signum: signal.Signals
    ) -> tuple[str, str]:
        """Once `gate` holds a request, send `signum` and open the gate. Checks the exit code,
        the one line, no traceback, an empty TMPDIR; returns the line and all of stderr."""
        try:
            assert gate.reached.wait(WAIT), "the command never reached the gated request"
            process.send_signal(signum)
            gate.open()
            out, err = process.communicate(timeout=WAIT)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        said = [line for line in err.splitlines() if "interrupted" in line]
        assert "Traceback" not in err, err[-3000:]
        assert len(said) == 1, err[-3000:]
        assert process.returncode == 128 + signum, (process.returncode, err[-3000:])
        assert not list(self.tmpdir.iterdir()), f"left behind: {list(self.tmpdir.iterdir())}"
        assert out == ""
        return said[0], err

    def put_objects(self, keys: list[str]) -> None:
        """Objects in the stack's bucket; nothing delivers their events (no live stack), so
        each is a key without an item."""
        s3 = self.client("s3")
        for number, key in enumerate(keys):
            s3.put_object(Bucket=self.resources.buckets[0], Key=key, Body=b"x" * (number % 5 + 1))


@pytest.fixture
def served(
    dev_graph: ResourceGraph,
    artifact_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Served]:
    resources = resolve(dev_graph)
    with running_emulator(
        account_id=resources.account_id, region=resources.region, keep_running=True
    ) as emulator:
        deploy(emulator, list(dev_graph.resources), artifact=artifact_path.read_bytes())
    assert emulator.endpoint is not None
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    found = Served(emulator, resources, tmpdir, monkeypatch, [])
    try:
        yield found
    finally:
        for gate in found.gates:
            gate.open()
        monkeypatch.undo()
        stop_emulator(emulator.endpoint)


# -- reconcile -------------------------------------------------------------------------------


def test_ctrl_c_while_repairing_counts_every_repair_written_and_removes_the_join(
    served: Served,
) -> None:
    # GIVEN 200 objects without items: 200 candidates to read again and repair
    keys = [f"drift/{number:03d}.csv" for number in range(200)]
    served.put_objects(keys)
    # WHEN Ctrl-C comes while 16 candidates have been read and the next reads are held
    gate = served.hold(DynamoDBBackend, "get_item", passing=16)
    line, _ = served.interrupt(served.tap("reconcile", "--repair"), gate, signal.SIGINT)
    # THEN one line names the stage and counts the repairs, which is what the table holds
    found = re.fullmatch(
        r"interrupted during re-reading and repairing: (\d+) candidates read again, (\d+) "
        r"drifted, (\d+) repaired, 0 conflict\(s\) with concurrent events",
        line,
    )
    assert found, line
    read_again, drifted, repaired = map(int, found.groups())
    items = items_by_key(served.client("dynamodb"), served.resources.table)
    assert len(items) == repaired, line
    assert read_again == drifted == repaired
    # the 16 read before the hold were finished, not cut off; most were never reached
    assert 16 <= repaired < len(keys)
    listing = latest(served.client("s3"), served.resources.buckets[0])
    for key, item in items.items():
        assert item["version_id"]["S"] == listing[key]["VersionId"]


def test_sigterm_while_listing_and_scanning_exits_143_and_removes_the_join(
    served: Served,
) -> None:
    served.put_objects([f"listed/{number:02d}.csv" for number in range(20)])
    gate = served.hold(DynamoDBBackend, "scan", passing=0)
    line, _ = served.interrupt(served.tap("reconcile", "--repair"), gate, signal.SIGTERM)
    assert re.fullmatch(
        r"interrupted during listing and scanning: \d+ rows of the listing and the Scan "
        r"loaded, nothing written",
        line,
    ), line
    assert items_by_key(served.client("dynamodb"), served.resources.table) == {}


def test_the_join_is_removed_when_the_run_succeeds_and_when_it_fails(
    deployed_dev: DeployedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    resources = deployed_dev.resources
    made: list[Path] = []
    real_connect = sqlite3.connect

    def connect_join(path: Path, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        made.append(Path(path))
        return real_connect(path, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect_join)
    deployed_dev.client("s3").put_object(Bucket=resources.buckets[0], Key="k.csv", Body=b"x")

    report = Reconciler(resources, deployed_dev.connect(), environment="dev", repair=True).run()
    assert report.repaired == 1
    deployed_dev.client("dynamodb").delete_table(TableName=resources.table)
    with pytest.raises(ReconcileError):
        Reconciler(resources, deployed_dev.connect(), environment="dev").run()

    assert [p.parent.parent for p in made] == [tmp_path, tmp_path]  # the two runs' joins
    assert not list(tmp_path.iterdir())


# -- redrive ---------------------------------------------------------------------------------


def _event(number: int) -> dict[str, Any]:
    """A distinct Object Created event for the dev stack's bucket (redrive serves only those)."""
    event = with_object(
        load_event("s3_object_created"),
        key=f"redrive/{number:03d}.csv",
        sequencer=f"{0x617F08299329D189 + number:X}",
    )
    event["detail"]["bucket"]["name"] = data_bucket("dev")
    event["id"] = f"00000000-0000-0000-0000-{number:012d}"
    return event


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every visible message of a queue (each then hidden for a minute)."""
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60
    ).get("Messages", []):
        messages += batch
    return messages


def _counts(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_redrive_hands_back_every_message_it_did_not_resubmit(
    served: Served, signum: signal.Signals
) -> None:
    # GIVEN the delivery DLQ with 30 messages redrive leaves (unrecognised) and 150 events,
    # and the invoke inbox the live stack would drain (nothing drains it here)
    sqs = served.client("sqs")
    dlq = sqs.get_queue_url(QueueName=served.resources.delivery_dlq.name)["QueueUrl"]
    inbox = inbox_name(served.resources.function)
    inbox_url = sqs.create_queue(QueueName=inbox)["QueueUrl"]
    garbage = [f"not an event {number}" for number in range(30)]
    events = [_event(number) for number in range(150)]
    for body in [*garbage, *(json.dumps(e) for e in events)]:
        sqs.send_message(QueueUrl=dlq, MessageBody=body)
    # WHEN the signal comes while the 21st re-submission is in flight
    gate = served.hold(SQSBackend, "send_message", 20, lambda queue, *_a, **_k: queue == inbox)
    line, _ = served.interrupt(served.tap("redrive", "--queue", "delivery"), gate, signum)
    # THEN the line counts what was re-submitted ...
    found = re.fullmatch(
        r"interrupted during redriving the delivery DLQ: received (\d+), re-submitted (\d+) "
        r"\(deleted from the queue\), handed back (\d+) \(visible again\)",
        line,
    )
    assert found, line
    received, resubmitted, handed_back = map(int, found.groups())
    assert received == resubmitted + handed_back  # the rest were never received
    # ... which is what reached the inbox, the one in flight included (its message deleted)
    submitted = [json.loads(m["Body"])["Payload"]["id"] for m in _drain(sqs, inbox_url)]
    assert len(submitted) == resubmitted >= 21
    # AND every other message is visible again at once: none hidden, the rest all there
    assert _counts(sqs, dlq) == (len(garbage) + len(events) - resubmitted, 0)
    left = _drain(sqs, dlq)
    assert sorted(m["Body"] for m in left if not m["Body"].startswith("{")) == sorted(garbage)
    remaining = [json.loads(m["Body"])["id"] for m in left if m["Body"].startswith("{")]
    assert sorted(remaining + submitted) == sorted(e["id"] for e in events)


# -- backfill --------------------------------------------------------------------------------


def test_sigterm_during_backfill_prints_the_resume_token_and_the_resumed_run_finishes(
    served: Served,
) -> None:
    keys = [f"backfill/{number:03d}.csv" for number in range(120)]
    served.put_objects(keys)
    gate = served.hold(DynamoDBBackend, "put_item", passing=10)
    line, err = served.interrupt(served.tap("backfill", "--workers", "1"), gate, signal.SIGTERM)
    assert line == "interrupted during backfilling"
    # the resume token, on its own line before the interrupt's, takes the run to the end
    token = re.search(r"^resume with: --resume (\S+)$", err, re.MULTILINE)
    assert token, err[-3000:]
    resumed = served.tap("backfill", "--json", "--resume", token[1])
    out, err = resumed.communicate(timeout=WAIT)
    assert resumed.returncode == 0, err
    counts = json.loads(out)
    # the ten writes before the hold were kept, and the resumed run lists none of their keys
    assert counts["written"] + counts["already_present"] <= len(keys) - 10
    assert set(items_by_key(served.client("dynamodb"), served.resources.table)) == set(keys)


class _InterruptedAt:
    """A submitter that accepts events into a list until the `at`-th, where Ctrl-C lands
    (KeyboardInterrupt: a library caller, without tap's handler)."""

    via = "a list"

    def __init__(self, at: int) -> None:
        self.at = at
        self.accepted: list[Any] = []

    def submit(self, event: Any) -> None:
        if len(self.accepted) + 1 == self.at:
            raise KeyboardInterrupt
        self.accepted.append(event)


def test_without_tap_s_handler_ctrl_c_hands_back_the_batch_in_flight_ten_at_a_time(
    dev_graph: ResourceGraph,
) -> None:
    resources = resolve(dev_graph)
    with running_emulator(account_id=resources.account_id, region=resources.region) as emulator:
        sqs = emulator.client("sqs")
        url = sqs.create_queue(QueueName=resources.delivery_dlq.name)["QueueUrl"]
        garbage = [f"not an event {number}" for number in range(25)]
        events = [_event(number) for number in range(30)]
        for body in [*garbage, *(json.dumps(e) for e in events)]:
            sqs.send_message(QueueUrl=url, MessageBody=body)
        session = connect(resources, role_arn=None, base=emulator.session())
        operations: list[str] = []
        received: list[int] = []
        events_of = session.client("sqs").meta.events
        events_of.register("before-call.sqs.*", lambda model, **_: operations.append(model.name))
        events_of.register(
            "after-call.sqs.ReceiveMessage",
            lambda parsed, **_: received.append(len(parsed.get("Messages", []))),
        )
        submitter = _InterruptedAt(3)  # the third event of a batch of ten
        with pytest.raises(KeyboardInterrupt):
            redrive(session, resources, "delivery", wait_seconds=0, submitter=submitter)
        # every message but the two re-submitted (and deleted) is visible again at once
        assert _counts(sqs, url) == (len(garbage) + len(events) - 2, 0)
        assert len(submitter.accepted) == 2
        assert operations.count("DeleteMessage") == 2
        # what was hidden (received, not deleted) went back ten a call
        hidden = sum(received) - 2
        assert hidden > len(garbage)  # the batch in flight too, not only what was left
        assert "ChangeMessageVisibility" not in operations
        assert operations.count("ChangeMessageVisibilityBatch") == -(-hidden // 10)


# -- tap local --keep-running ----------------------------------------------------------------


def test_sigterm_stops_a_kept_live_stack_as_ctrl_c_does(tmp_path: Path) -> None:
    """`timeout` or a CI runner ending `tap local --keep-running` is the normal way to stop it:
    the emulator is stopped and the exit code is the run's, as after Ctrl-C."""
    process = subprocess.Popen(
        [str(TAP), "local", "-C", str(REPO_ROOT), "--objects", "1", "--keep-running"],
        env={**os.environ, "TMPDIR": str(tmp_path), "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in iter(process.stderr.readline, ""):  # until it says it serves (or ends)
            if "Press Ctrl-C" in line:
                break
        else:
            pytest.fail("the live stack ended without serving")
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, rest
    assert rest.strip().splitlines() == ["emulator stopped"]
    assert not list(tmp_path.iterdir())
