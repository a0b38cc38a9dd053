"""The processor: turns one EventBridge S3 event into one conditional write or one DLQ message."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from tap_processor.batch import BatchTasks, is_batch_request
from tap_processor.dead_letter import DeadLetterQueue
from tap_processor.errors import ForeignBucketError, RejectedEventError, StoreError, shown
from tap_processor.event import ObjectEvent, is_redriven, parse_event
from tap_processor.logs import get_logger
from tap_processor.metrics import Metric, MetricsWriter
from tap_processor.settings import ProcessorSettings
from tap_processor.state import ObjectState, Status, state_of
from tap_processor.store import ItemStore, WriteOutcome, iso_utc
from tap_processor.versions import CurrentVersion, VersionReader

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sqs.client import SQSClient


class Outcome(Enum):
    """What the processor did with one event."""

    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    STALE = "stale"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """The handler's return value, small enough to assert on and to log."""

    outcome: Outcome
    id: str | None
    """The object's item id; None when the event was rejected before it named an object."""
    status: Status | None = None
    reason: str | None = None
    """The rejection's reason code, for rejected events only."""
    resolved: bool = False
    """The state was read from S3: the event removed one version, was redriven, or met an item
    it cannot be ordered against (see `ReadCause`)."""

    def as_dict(self) -> dict[str, str | bool | None]:
        """Return the JSON-ready form that lambda_handler returns."""
        result: dict[str, str | bool | None] = {"outcome": self.outcome.value, "id": self.id}
        if self.status is not None:
            result["status"] = self.status.value
        if self.reason is not None:
            result["reason"] = self.reason
        if self.resolved:
            result["resolved"] = True
        return result


@dataclass(frozen=True, slots=True)
class Invocation:
    """The Lambda context every log line and EMF record of one invocation carries."""

    request_id: str | None
    cold_start: bool

    def fields(self) -> dict[str, Any]:
        """The fields, named as Powertools names them so existing log queries work."""
        return {"function_request_id": self.request_id, "cold_start": self.cold_start}


class ReadCause(Enum):
    """Why the processor read S3 instead of trusting the event's own state."""

    VERSION_REMOVED = "version_removed"
    """The event removed one version: only S3 knows what is current now."""
    REDRIVEN = "redriven"
    """`tap redrive` re-submitted it: its age is unknown."""
    UNJUDGED = "unjudged"
    """The item was read from S3 around or after the event, or tap did not write it."""


RESOLVE_ATTEMPTS: Final = 3
"""Reads of S3 before giving up on an item that keeps changing under an exact replace; then
the event is retried by Lambda."""

_WRITE_OUTCOMES = {
    WriteOutcome.WRITTEN: Outcome.PROCESSED,
    WriteOutcome.DUPLICATE: Outcome.DUPLICATE,
    WriteOutcome.STALE: Outcome.STALE,
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    return iso_utc(moment)


class Processor:
    """Applies S3 object events to the items table; rejects the unprocessable to the DLQ.

    Transient AWS errors propagate so Lambda's async retries and on-failure destination apply.
    """

    def __init__(
        self,
        *,
        dynamodb_client: DynamoDBClient | None = None,
        sqs_client: SQSClient | None = None,
        s3_client: S3Client | None = None,
        table_name: str | None = None,
        environment: str | None = None,
        dlq_url: str | None = None,
        buckets: Iterable[str] | None = None,
        metrics: MetricsWriter | None = None,
        logger: logging.Logger | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.settings = ProcessorSettings.resolve(
            table_name=table_name, environment=environment, dlq_url=dlq_url, buckets=buckets
        )
        self._dynamodb_client = dynamodb_client
        self._sqs_client = sqs_client
        self._s3_client = s3_client
        self._store: ItemStore | None = None
        self._dead_letters: DeadLetterQueue | None = None
        self._versions: VersionReader | None = None
        self._invocations = 0
        self._metrics = metrics or MetricsWriter(environment=self.settings.environment)
        self._logger = logger or get_logger(self.settings.log_level)
        self._clock = clock

    def process(self, raw_event: object, context: object = None) -> ProcessResult:
        """Handle one event; raise only when retrying could succeed.

        `context` is Lambda's context object; its request id goes on every log line and metric.
        """
        request_id = getattr(context, "aws_request_id", None)
        invocation = Invocation(
            request_id=request_id if isinstance(request_id, str) else None,
            cold_start=self._invocations == 0,
        )
        self._invocations += 1
        try:
            event = parse_event(raw_event)
            if event.bucket not in self.settings.buckets:
                raise ForeignBucketError(
                    f"detail.bucket.name {shown(event.bucket)} is not a bucket this processor "
                    f"serves ({', '.join(sorted(self.settings.buckets))})"
                )
            cause = (
                ReadCause.VERSION_REMOVED
                if event.removes_one_version
                else ReadCause.REDRIVEN
                if is_redriven(raw_event)
                else None
            )
            written, state, resolved = self._apply(event, cause, invocation)
        except RejectedEventError as rejection:
            return self._reject(raw_event, rejection, invocation)
        outcome = _WRITE_OUTCOMES[written]
        self._report(event, outcome, state.status, invocation, resolved=resolved)
        return ProcessResult(
            outcome=outcome, id=event.object_id, status=state.status, resolved=resolved
        )

    def _apply(
        self, event: ObjectEvent, cause: ReadCause | None, invocation: Invocation
    ) -> tuple[WriteOutcome, ObjectState, bool]:
        """Write the event's own state, or S3's when the event cannot decide it alone.

        Returns the write's outcome, the state written (or refused), and whether S3 was read.
        """
        if cause is None:
            state = state_of(event)
            recorded = self._item_store().record(
                event,
                state,
                environment=self.settings.environment,
                updated_at=_timestamp(self._clock()),
            )
            if recorded.outcome is not WriteOutcome.UNJUDGED:
                return recorded.outcome, state, False
            cause = ReadCause.UNJUDGED
        for _ in range(RESOLVE_ATTEMPTS):
            current = self._resolve(event, cause, invocation)
            recorded = self._item_store().record(
                event,
                current.state,
                environment=self.settings.environment,
                updated_at=_timestamp(self._clock()),
                read_at=current.read_at,
            )
            if recorded.outcome is not WriteOutcome.UNJUDGED:
                return recorded.outcome, current.state, True
            # An item tap did not write: replace exactly it with S3's state, or read again.
            if self._item_store().replace_exact(
                event,
                current.state,
                expected=recorded.stored,
                environment=self.settings.environment,
                updated_at=_timestamp(self._clock()),
                read_at=current.read_at,
            ):
                return WriteOutcome.WRITTEN, current.state, True
        raise StoreError(
            f"the item of {event.object_id} changed under each of {RESOLVE_ATTEMPTS} replaces"
        )

    def process_batch(self, request: Mapping[str, Any], context: object = None) -> dict[str, Any]:
        """Answer an S3 Batch Operations invocation: one backfill write per task (batch.py)."""
        request_id = getattr(context, "aws_request_id", None)
        invocation = Invocation(
            request_id=request_id if isinstance(request_id, str) else None,
            cold_start=self._invocations == 0,
        )
        self._invocations += 1
        tasks = BatchTasks(
            store=self._item_store(),
            versions=self._version_reader(),
            environment=self.settings.environment,
            buckets=self.settings.buckets,
            clock=self._clock,
        )
        response = tasks.answer(request)
        for result in response["results"]:
            self._logger.info(
                "batch operations task answered",
                extra={
                    **invocation.fields(),
                    "invocation_id": response["invocationId"],
                    "task_id": result["taskId"],
                    "result_code": result["resultCode"],
                    "result_string": result["resultString"],
                },
            )
        return response

    def _resolve(
        self, event: ObjectEvent, cause: ReadCause, invocation: Invocation
    ) -> CurrentVersion:
        """Read S3's current version of the event's key: the event alone cannot say it."""
        current = self._version_reader().read(event.bucket, event.key)
        state = current.state
        self._logger.info(
            "current version read from S3",
            extra={
                **invocation.fields(),
                "event_id": event.event_id,
                "object_id": event.object_id,
                "read_cause": cause.value,
                "removed_version_id": event.version_id,
                "s3_reason": event.reason,
                "found_status": state.status.value,
                "found_version_id": state.version_id,
                "found_size": state.size,
                "found_etag": state.etag,
            },
        )
        return current

    def _reject(
        self, raw_event: object, rejection: RejectedEventError, invocation: Invocation
    ) -> ProcessResult:
        message_id = self._dead_letter_queue().send(
            raw_event,
            rejection,
            environment=self.settings.environment,
            rejected_at=_timestamp(self._clock()),
        )
        event_id = raw_event.get("id") if isinstance(raw_event, dict) else None
        self._logger.warning(
            "event rejected to DLQ",
            extra={
                **invocation.fields(),
                "outcome": Outcome.REJECTED.value,
                "reason": rejection.reason_code,
                "detail": rejection.message,
                "event_id": event_id if isinstance(event_id, str) else None,
                "dlq_message_id": message_id,
            },
        )
        self._metrics.count(Metric.REJECTED, reason=rejection.reason_code, **invocation.fields())
        return ProcessResult(outcome=Outcome.REJECTED, id=None, reason=rejection.reason_code)

    def _report(
        self,
        event: ObjectEvent,
        outcome: Outcome,
        status: Status,
        invocation: Invocation,
        *,
        resolved: bool,
    ) -> None:
        fields: dict[str, Any] = {
            **invocation.fields(),
            "outcome": outcome.value,
            "event_id": event.event_id,
            "object_id": event.object_id,
            "status": status.value,
            "sequencer": event.sequencer,
            "s3_reason": event.reason,
        }
        if outcome is Outcome.PROCESSED:
            self._logger.info("object state recorded", extra=fields)
        else:
            # Redelivery and reordering are normal for S3 events; not a warning.
            self._logger.info("event skipped: already applied or superseded", extra=fields)
        metrics = [Metric(outcome.value)]
        if outcome is Outcome.PROCESSED and status is Status.DELETED:
            metrics.append(Metric.DELETED)
        if resolved:
            metrics.append(Metric.RESOLVED)
        self._metrics.count(
            *metrics, event_id=event.event_id, object_id=event.object_id, **invocation.fields()
        )

    def _item_store(self) -> ItemStore:
        if self._store is None:
            client = self._dynamodb_client or _default_dynamodb_client()
            self._store = ItemStore(client=client, table_name=self.settings.table_name)
        return self._store

    def _version_reader(self) -> VersionReader:
        if self._versions is None:
            self._versions = VersionReader(client=self._s3_client or _default_s3_client())
        return self._versions

    def _dead_letter_queue(self) -> DeadLetterQueue:
        if self._dead_letters is None:
            client = self._sqs_client or _default_sqs_client()
            self._dead_letters = DeadLetterQueue(client=client, queue_url=self.settings.dlq_url)
        return self._dead_letters


def _client_config() -> Config:
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 3})


def _default_dynamodb_client() -> DynamoDBClient:
    """Build a DynamoDB client; endpoint and region come from the standard AWS env vars."""
    import boto3  # Deferred: parsing and rejecting need no DynamoDB client.

    return boto3.client("dynamodb", config=_client_config())


def _default_sqs_client() -> SQSClient:
    """Build an SQS client; endpoint and region come from the standard AWS env vars."""
    import boto3

    return boto3.client("sqs", config=_client_config())


def _default_s3_client() -> S3Client:
    """Build an S3 client; only events that remove one version need it."""
    import boto3

    return boto3.client("s3", config=_client_config())


_default_processor: Processor | None = None


def default_processor() -> Processor:
    """Return the per-container Processor, built from the environment on first use."""
    global _default_processor  # noqa: PLW0603 - one instance per Lambda container, by design.
    if _default_processor is None:
        _default_processor = Processor()
    return _default_processor


def lambda_handler(event: object, context: object) -> dict[str, Any]:
    """Lambda entry point: one EventBridge event, or one S3 Batch Operations invocation."""
    if is_batch_request(event):
        return default_processor().process_batch(event, context)
    return dict(default_processor().process(event, context).as_dict())
