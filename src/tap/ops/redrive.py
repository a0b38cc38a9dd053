"""Redrive: put the events parked in a dead-letter queue back through the processor's `live` alias.

The delivery DLQ holds the original events (EventBridge could not invoke the alias) with
EventBridge's message attributes. The processor DLQ holds Lambda's on-failure invocation records
(the event is `requestPayload`) and the handler's own rejections (`tap_processor.dead_letter`).
Each event is re-submitted as an asynchronous invoke, and its message is deleted only once the
invoke was accepted. Everything redrive leaves (rejections, unrecognised messages, failed
invokes) stays invisible until the run ends, so no message is taken twice, then is handed back
at once. Each event goes back marked (`tap_processor.event.redriven`): its age is unknown, so
the processor resolves it against S3 instead of trusting its state, and a redrive run before or
after `tap reconcile --repair` cannot undo the repair. An event for a bucket that is not the
stack's is never re-submitted: it is counted as rejected (`foreign_bucket`) and left.

Ctrl-C or SIGTERM (under tap's handler, `tap.interrupts`) hands back, the same way, what the
run left and what it had received but not yet handled. Each request is a `deferred` step, so
the interrupt comes between two messages: a message re-submitted is deleted too, and the
interrupt's line counts it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Protocol

from tap import interrupts
from tap.errors import EXIT_FINDINGS, EXIT_USAGE, TapError
from tap.ops import OpsProgress
from tap.ops.inbox import inbox_message, inbox_name
from tap_processor.dead_letter import REASON_ATTRIBUTE
from tap_processor.errors import ForeignBucketError, RejectedEventError
from tap_processor.event import parse_event, redriven, unmarked

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType
    from mypy_boto3_sqs.type_defs import (
        ChangeMessageVisibilityBatchRequestEntryTypeDef,
        MessageTypeDef,
    )

    from tap.ops.session import OpsSession
    from tap.ops.stack import StackResources

BATCH: Final = 10
"""SQS's most messages per ReceiveMessage."""
VISIBILITY_TIMEOUT: Final = 900
"""Seconds a taken message stays hidden: what redrive leaves is handed back before, at the end."""
WAIT_SECONDS: Final = 1
"""Long polling, so one empty receive means the queue has nothing visible left."""
EXAMPLES: Final = 10
"""Examples kept of messages taken, and of failures."""
REJECTION_EXAMPLES: Final = 3
"""Examples kept per rejection reason."""
ACCEPTED: Final = 202
"""Lambda's StatusCode for an accepted asynchronous (Event) invoke."""


class RedriveError(TapError):
    """The queue or the re-submission path cannot be reached."""

    exit_code = EXIT_USAGE
    prefix = "cannot redrive"


class RedriveStoppedError(TapError):
    """An SQS call failed mid-run; what was taken and left has been handed back."""

    exit_code = EXIT_FINDINGS
    prefix = "redrive stopped"


class NotAcceptedError(Exception):
    """The re-submission was not accepted; the message stays in the queue."""


class Letter(StrEnum):
    """What one dead-letter message is."""

    EVENT = "event"
    """The delivery DLQ's original event."""
    INVOCATION_RECORD = "invocation_record"
    """Lambda's on-failure record: the event is `requestPayload`."""
    REJECTION = "rejection"
    """The handler's own rejection, with its reason code."""
    UNRECOGNISED = "unrecognised"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message, classified: its event (when it has one) and why it was dead-lettered."""

    kind: Letter
    event: Any = None
    """The event to re-submit; None for unrecognised messages and truncated rejections."""
    cause: str | None = None
    """ERROR_CODE (delivery), errorType (invocation record) or the rejection's reason code."""
    detail: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    """The message's string attributes (EventBridge's ERROR_CODE, RULE_ARN, ...)."""

    @property
    def event_id(self) -> str | None:
        """The event's `id`, when it has one."""
        found = self.event.get("id") if isinstance(self.event, Mapping) else None
        return found if isinstance(found, str) else None


def _attributes(message: Mapping[str, Any]) -> dict[str, str]:
    return {
        name: str(value.get("StringValue"))
        for name, value in (message.get("MessageAttributes") or {}).items()
        if isinstance(value, Mapping) and "StringValue" in value
    }


def classify(queue: str, message: Mapping[str, Any]) -> DeadLetter:
    """What a received message of the `delivery` or `processor` DLQ holds."""
    attributes = _attributes(message)
    try:
        body = json.loads(str(message.get("Body")))
    except ValueError:
        return DeadLetter(Letter.UNRECOGNISED, attributes=attributes)
    if not isinstance(body, dict):
        return DeadLetter(Letter.UNRECOGNISED, attributes=attributes)
    if queue == "delivery":
        if "detail-type" in body and "source" in body:
            return DeadLetter(
                Letter.EVENT,
                event=body,
                cause=attributes.get("ERROR_CODE"),
                detail=attributes.get("ERROR_MESSAGE"),
                attributes=attributes,
            )
        return DeadLetter(Letter.UNRECOGNISED, attributes=attributes)
    if isinstance(body.get("requestContext"), dict) and "requestPayload" in body:
        response = body.get("responsePayload")
        response = response if isinstance(response, dict) else {}
        return DeadLetter(
            Letter.INVOCATION_RECORD,
            event=body["requestPayload"],
            cause=str(response.get("errorType") or body["requestContext"].get("condition")),
            detail=str(response.get("errorMessage") or ""),
            attributes=attributes,
        )
    if isinstance(body.get("reason"), str) and "rejected_at" in body and "event" in body:
        return DeadLetter(
            Letter.REJECTION,
            event=body["event"],
            cause=attributes.get(REASON_ATTRIBUTE, body["reason"]),
            detail=str(body.get("message") or ""),
            attributes=attributes,
        )
    return DeadLetter(Letter.UNRECOGNISED, attributes=attributes)


def fingerprint(event: Any) -> str:
    """SHA-256 of the event's canonical JSON: the same event, however its message spelled it
    and whether or not a redrive marked it."""
    canonical = json.dumps(unmarked(event), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def event_bucket(event: Any) -> str | None:
    """The bucket a valid S3 event names; None for anything the processor would reject first."""
    try:
        return parse_event(event).bucket
    except RejectedEventError:
        return None


class Submitter(Protocol):
    """Where an event is re-submitted as an asynchronous invoke of the live alias."""

    via: str
    """How, in a few words (printed, and `via` in the JSON)."""

    def submit(self, event: Any) -> None:
        """Re-submit one event; raise NotAcceptedError when it was not accepted."""


class LambdaInvoke:
    """`lambda:InvokeFunction` on the alias, InvocationType=Event: accepted means 202."""

    def __init__(self, session: OpsSession, alias_arn: str) -> None:
        self._client = session.client("lambda")
        self._alias_arn = alias_arn
        self.via = f"lambda Invoke (Event) of {alias_arn}"

    def submit(self, event: Any) -> None:
        """Invoke asynchronously; NotAcceptedError on an error or any status but 202."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client.invoke(
                FunctionName=self._alias_arn,
                InvocationType="Event",
                Payload=json.dumps(event).encode(),
            )
        except (BotoCoreError, ClientError) as error:
            raise NotAcceptedError(str(error)) from error
        status = response.get("StatusCode")
        if status != ACCEPTED:
            raise NotAcceptedError(f"Invoke answered StatusCode {status}, not {ACCEPTED}")


class LiveInbox:
    """The emulator cannot run Lambda code: a `tap local --keep-running` stack takes the invoke
    from its inbox queue and delivers it through its own path. Sending is the accepted step."""

    def __init__(self, session: OpsSession, resources: StackResources) -> None:
        from botocore.exceptions import ClientError

        self._client = session.client("sqs")
        self._alias_arn = resources.alias_arn
        name = inbox_name(resources.function)
        try:
            self._url = self._client.get_queue_url(QueueName=name)["QueueUrl"]
        except ClientError as error:
            raise RedriveError(
                f"{session.endpoint_url} is not a `tap local --keep-running` live stack "
                f"(no invoke inbox {name}): {error}"
            ) from error
        self.via = f"the live stack's delivery path (invoke inbox {name}), not Lambda"

    def submit(self, event: Any) -> None:
        """Send the invoke to the inbox; NotAcceptedError when the send fails."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.send_message(
                QueueUrl=self._url, MessageBody=inbox_message(self._alias_arn, event)
            )
        except (BotoCoreError, ClientError) as error:
            raise NotAcceptedError(str(error)) from error


def submitter_for(session: OpsSession, resources: StackResources) -> Submitter:
    """Lambda's Invoke in AWS; the live stack's inbox against an emulator."""
    if session.local:
        return LiveInbox(session, resources)
    return LambdaInvoke(session, resources.alias_arn)


@dataclass
class RedriveReport:
    """What one redrive took, re-submitted and left. Every message received is counted once, in
    exactly one of resubmitted, would_resubmit, skipped_rejected, unrecognised, returned, failed."""

    queue: str
    via: str
    dry_run: bool
    received: int = 0
    resubmitted: int = 0
    would_resubmit: int = 0
    """--dry-run: events that would have been re-submitted."""
    skipped_rejected: int = 0
    unrecognised: int = 0
    returned: int = 0
    """Messages holding an event this run had already re-submitted: it failed again, during the
    run, and is left for the next one (never re-submitted in a loop)."""
    failed: int = 0
    remaining: int = 0
    """ApproximateNumberOfMessages (+NotVisible) after the run."""
    rejected_reasons: Counter[str] = field(default_factory=Counter)
    rejected_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    causes: Counter[str] = field(default_factory=Counter)
    """Why the events taken had been dead-lettered: ERROR_CODE or errorType."""
    examples: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every invoke tried was accepted."""
        return self.failed == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (snake_case keys)."""
        return {
            "queue": self.queue,
            "via": self.via,
            "dry_run": self.dry_run,
            "received": self.received,
            "resubmitted": self.resubmitted,
            "would_resubmit": self.would_resubmit,
            "skipped_rejected": self.skipped_rejected,
            "unrecognised": self.unrecognised,
            "returned": self.returned,
            "failed": self.failed,
            "remaining": self.remaining,
            "rejected_reasons": dict(sorted(self.rejected_reasons.items())),
            "rejected_examples": self.rejected_examples,
            "causes": dict(sorted(self.causes.items())),
            "examples": self.examples,
            "failures": self.failures,
        }


@dataclass
class _Run:
    """One redrive's state: the queue, what it holds back, what it re-submitted."""

    sqs: SQSClient
    url: str
    report: RedriveReport
    submitter: Submitter
    include_rejected: bool
    buckets: frozenset[str]
    """The stack's buckets: an event for any other is rejected, as the processor would."""
    held: dict[str, str] = field(default_factory=dict)
    """Receipt handles of the messages to hand back at the end, by message id."""
    received: dict[str, str] = field(default_factory=dict)
    """Receipt handles of the messages received and not yet taken, by message id."""
    handed_back: int = 0
    """Messages made visible again so far."""
    not_handed_back: int = 0
    """Messages whose hand-back failed: hidden until their visibility timeout ends."""
    submitted: set[str] = field(default_factory=set)
    """Fingerprints of the events this run re-submitted."""
    seen: set[str] = field(default_factory=set)
    """Ids of the messages received so far."""

    def handle(self, queue: str, message: Mapping[str, Any]) -> bool:
        """Take one received message; True when it was seen before (hidden longer than the
        visibility timeout, it came round: the queue has been through)."""
        message_id = str(message["MessageId"])
        with interrupts.deferred():  # an accepted re-submission is deleted too
            if message_id in self.seen:
                if message_id in self.held:
                    self.held[message_id] = self.received.pop(message_id)
                return True
            self.seen.add(message_id)
            self.report.received += 1
            self.take(message, classify(queue, message))
            self.received.pop(message_id, None)
        return False

    def take(self, message: Mapping[str, Any], letter: DeadLetter) -> None:
        report = self.report
        message_id = str(message["MessageId"])
        if len(report.examples) < EXAMPLES:
            report.examples.append(_example(message_id, letter))
        if letter.kind is Letter.UNRECOGNISED:
            report.unrecognised += 1
            self.held[message_id] = message["ReceiptHandle"]
            return
        bucket = event_bucket(letter.event)
        if bucket is not None and bucket not in self.buckets:
            self._reject(message, letter, ForeignBucketError.reason_code)
            return
        if letter.kind is Letter.REJECTION:
            if not self.include_rejected or letter.event is None:
                self._reject(message, letter, letter.cause or "rejected")
                return
            self._count_rejection(message_id, letter, letter.cause or "rejected")
        else:
            report.causes[letter.cause or "unknown"] += 1
        self._resubmit(message, letter)

    def _reject(self, message: Mapping[str, Any], letter: DeadLetter, reason: str) -> None:
        """Count a rejected event and leave its message, to be handed back at the end."""
        message_id = str(message["MessageId"])
        self._count_rejection(message_id, letter, reason)
        self.report.skipped_rejected += 1
        self.held[message_id] = message["ReceiptHandle"]

    def _count_rejection(self, message_id: str, letter: DeadLetter, reason: str) -> None:
        report = self.report
        report.rejected_reasons[reason] += 1
        shown = report.rejected_examples.setdefault(reason, [])
        if len(shown) < REJECTION_EXAMPLES:
            detail = letter.detail
            if reason == ForeignBucketError.reason_code:
                detail = f"bucket {event_bucket(letter.event)!r} is not one of the stack's"
            shown.append({"message_id": message_id, "event_id": letter.event_id, "message": detail})

    def _resubmit(self, message: Mapping[str, Any], letter: DeadLetter) -> None:
        report = self.report
        message_id = str(message["MessageId"])
        printed = fingerprint(letter.event)
        if printed in self.submitted:
            report.returned += 1
            self.held[message_id] = message["ReceiptHandle"]
            return
        if report.dry_run:
            report.would_resubmit += 1
            self.held[message_id] = message["ReceiptHandle"]
            return
        event = redriven(letter.event) if isinstance(letter.event, Mapping) else letter.event
        try:
            self.submitter.submit(event)
        except NotAcceptedError as error:
            report.failed += 1
            if len(report.failures) < EXAMPLES:
                report.failures.append(
                    {"message_id": message_id, "event_id": letter.event_id, "error": str(error)}
                )
            self.held[message_id] = message["ReceiptHandle"]
            return
        self.submitted.add(printed)
        report.resubmitted += 1
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def receive(self, wanted: int, wait_seconds: int) -> list[MessageTypeDef]:
        """Up to `wanted` messages, hidden for VISIBILITY_TIMEOUT; each is `received` until it
        is taken (an interrupt hands it back)."""
        with interrupts.deferred():
            batch = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=wanted,
                VisibilityTimeout=VISIBILITY_TIMEOUT,
                WaitTimeSeconds=wait_seconds,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            self.received.update((str(m["MessageId"]), m["ReceiptHandle"]) for m in batch)
        return batch

    def hand_back(self) -> None:
        """Make every message left, and every message received but not yet taken, visible again
        at once (ChangeMessageVisibilityBatch, ten a call)."""
        from botocore.exceptions import BotoCoreError, ClientError

        handles = {**self.received, **self.held}
        self.received.clear()
        self.held.clear()
        ids = list(handles)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {"Id": str(n), "ReceiptHandle": handles[i], "VisibilityTimeout": 0}
                for n, i in enumerate(chunk)
            ]
            try:
                answer = self.sqs.change_message_visibility_batch(
                    QueueUrl=self.url, Entries=entries
                )
                failed = {
                    chunk[int(f["Id"])]: f"{f.get('Code')}: {f.get('Message')}"
                    for f in answer.get("Failed", [])
                }
            except (BotoCoreError, ClientError) as error:
                failed = dict.fromkeys(chunk, str(error))
            self.handed_back += len(chunk) - len(failed)
            self.not_handed_back += len(failed)
            for message_id, why in failed.items():  # it reappears when its timeout ends
                self.report.failures.append(
                    {"message_id": message_id, "error": f"not handed back: {why}"}
                )

    def interrupted(self) -> str:
        """Hand back what is left and say what the run did: its interrupt cleanup."""
        untaken = len(self.received.keys() - self.seen)  # received, not yet in the report
        self.hand_back()
        report = self.report
        done = [
            f"received {report.received + untaken}",
            f"would re-submit {report.would_resubmit} (dry run)"
            if report.dry_run
            else f"re-submitted {report.resubmitted} (deleted from the queue)",
            f"handed back {self.handed_back} (visible again)",
        ]
        if self.not_handed_back:
            done.append(
                f"{self.not_handed_back} not handed back (hidden for up to {VISIBILITY_TIMEOUT} s)"
            )
        return ", ".join(done)


def _example(message_id: str, letter: DeadLetter) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "kind": letter.kind.value,
        "event_id": letter.event_id,
        "cause": letter.cause,
        "detail": letter.detail,
        "attributes": dict(letter.attributes),
    }


def _count(sqs: SQSClient, url: str, *names: QueueAttributeNameType) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names))["Attributes"]
    return sum(int(attributes.get(name, 0)) for name in names)


def redrive(
    session: OpsSession,
    resources: StackResources,
    queue: str,
    *,
    max_messages: int | None = None,
    include_rejected: bool = False,
    dry_run: bool = False,
    wait_seconds: int = WAIT_SECONDS,
    on_progress: OpsProgress | None = None,
    submitter: Submitter | None = None,
) -> RedriveReport:
    """Re-submit the events of one DLQ (`delivery` or `processor`) to the live alias.

    `submitter` defaults to Lambda's Invoke in AWS and the live stack's inbox on an emulator.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    ref = resources.queue(queue)
    sqs = session.client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=ref.name)["QueueUrl"]
    except ClientError as error:
        raise RedriveError(f"no queue {ref.name}: {error}") from error
    submitter = submitter or submitter_for(session, resources)
    run = _Run(
        sqs=sqs,
        url=url,
        report=RedriveReport(queue=queue, via=submitter.via, dry_run=dry_run),
        submitter=submitter,
        include_rejected=include_rejected,
        buckets=frozenset(resources.buckets),
    )
    # Under tap's handler an interrupt comes between two requests (each is `deferred`), and
    # hands back what was received and left; without it, KeyboardInterrupt reaches `finally`.
    token = interrupts.on_interrupt(run.interrupted)
    try:
        try:
            _drain(run, queue, max_messages, wait_seconds, on_progress or _silent)
        except (BotoCoreError, ClientError) as error:
            received = run.report.received
            raise RedriveStoppedError(f"{error} (after {received} messages)") from error
        finally:
            with interrupts.deferred():
                run.hand_back()
        _count_remaining(run)
    finally:
        interrupts.forget(token)
    return run.report


def _silent(_done: int, _total: int | None) -> None:
    """A progress callback that shows nothing."""


def _drain(
    run: _Run, queue: str, max_messages: int | None, wait_seconds: int, progress: OpsProgress
) -> None:
    """Receive and take messages until the queue is through, or `max_messages` were taken."""
    report = run.report
    with interrupts.deferred():
        total: int | None = _count(run.sqs, run.url, "ApproximateNumberOfMessages")
    if max_messages is not None:
        total = min(max_messages, total or 0)
    progress(0, total)
    while max_messages is None or report.received < max_messages:
        wanted = BATCH if max_messages is None else min(BATCH, max_messages - report.received)
        batch = run.receive(wanted, wait_seconds)
        if not batch:
            return
        came_round = False
        for message in batch:
            came_round = run.handle(queue, message) or came_round
            progress(report.received, max(total or 0, report.received))
        if came_round:
            return


def _count_remaining(run: _Run) -> None:
    """What the queue holds after the run, visible or not, into the report."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        with interrupts.deferred():
            run.report.remaining = _count(
                run.sqs,
                run.url,
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            )
    except (BotoCoreError, ClientError) as error:
        raise RedriveStoppedError(f"cannot count what remains: {error}") from error
