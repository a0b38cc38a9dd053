"""The processor: turns one EventBridge S3 event into one conditional write or one DLQ message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from tap_processor.dead_letter import DeadLetterQueue
from tap_processor.errors import RejectedEventError
from tap_processor.event import ObjectEvent, parse_event
from tap_processor.logs import get_logger
from tap_processor.metrics import Metric, MetricsWriter
from tap_processor.settings import ProcessorSettings
from tap_processor.store import ItemStore, Status, WriteOutcome, status_of

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_dynamodb.client import DynamoDBClient
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

    def as_dict(self) -> dict[str, str | None]:
        """Return the JSON-ready form that lambda_handler returns."""
        result: dict[str, str | None] = {"outcome": self.outcome.value, "id": self.id}
        if self.status is not None:
            result["status"] = self.status.value
        if self.reason is not None:
            result["reason"] = self.reason
        return result


_WRITE_OUTCOMES = {
    WriteOutcome.WRITTEN: Outcome.PROCESSED,
    WriteOutcome.DUPLICATE: Outcome.DUPLICATE,
    WriteOutcome.STALE: Outcome.STALE,
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Processor:
    """Applies S3 object events to the items table; rejects the unprocessable to the DLQ.

    Transient AWS errors propagate so Lambda's async retries and on-failure destination apply.
    """

    def __init__(
        self,
        *,
        dynamodb_client: DynamoDBClient | None = None,
        sqs_client: SQSClient | None = None,
        table_name: str | None = None,
        environment: str | None = None,
        dlq_url: str | None = None,
        metrics: MetricsWriter | None = None,
        logger: logging.Logger | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.settings = ProcessorSettings.resolve(
            table_name=table_name, environment=environment, dlq_url=dlq_url
        )
        self._dynamodb_client = dynamodb_client
        self._sqs_client = sqs_client
        self._store: ItemStore | None = None
        self._dead_letters: DeadLetterQueue | None = None
        self._metrics = metrics or MetricsWriter(environment=self.settings.environment)
        self._logger = logger or get_logger(self.settings.log_level)
        self._clock = clock

    def process(self, raw_event: object) -> ProcessResult:
        """Handle one event; raise only when retrying could succeed."""
        try:
            event = parse_event(raw_event)
        except RejectedEventError as rejection:
            return self._reject(raw_event, rejection)
        outcome = _WRITE_OUTCOMES[
            self._item_store().record(
                event,
                environment=self.settings.environment,
                updated_at=_timestamp(self._clock()),
            )
        ]
        status = status_of(event)
        self._report(event, outcome, status)
        return ProcessResult(outcome=outcome, id=event.object_id, status=status)

    def _reject(self, raw_event: object, rejection: RejectedEventError) -> ProcessResult:
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
                "outcome": Outcome.REJECTED.value,
                "reason": rejection.reason_code,
                "detail": rejection.message,
                "event_id": event_id if isinstance(event_id, str) else None,
                "dlq_message_id": message_id,
            },
        )
        self._metrics.count(Metric.REJECTED, reason=rejection.reason_code)
        return ProcessResult(outcome=Outcome.REJECTED, id=None, reason=rejection.reason_code)

    def _report(self, event: ObjectEvent, outcome: Outcome, status: Status) -> None:
        fields: dict[str, Any] = {
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
        self._metrics.count(*metrics, event_id=event.event_id, object_id=event.object_id)

    def _item_store(self) -> ItemStore:
        if self._store is None:
            client = self._dynamodb_client or _default_dynamodb_client()
            self._store = ItemStore(client=client, table_name=self.settings.table_name)
        return self._store

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


_default_processor: Processor | None = None


def default_processor() -> Processor:
    """Return the per-container Processor, built from the environment on first use."""
    global _default_processor  # noqa: PLW0603 - one instance per Lambda container, by design.
    if _default_processor is None:
        _default_processor = Processor()
    return _default_processor


def lambda_handler(event: object, context: object) -> dict[str, str | None]:  # noqa: ARG001
    """Lambda entry point: process one EventBridge event with the per-container Processor."""
    return default_processor().process(event).as_dict()
