"""The three handlers under comparison, each built on emulator clients it is handed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks import emulator
from tap.facts.arns import build_arn

NAIVE_TABLE = "tap-bench-naive"
IDEMPOTENCY_TABLE = "tap-bench-idempotency"


@dataclass
class BenchHandler:
    """A handler wired to the emulator: what it is called, how to call it, where it writes."""

    name: str
    handle: Callable[[dict[str, Any]], object]
    data_table: str
    bookkeeping_table: str | None = None


def tap_handler(ddb: Any, sqs: Any) -> BenchHandler:
    """tap's Processor with injected clients; logs and EMF are formatted, then discarded."""
    from tap_processor.handler import Processor
    from tap_processor.metrics import MetricsWriter

    emulator.create_table(ddb, emulator.ITEMS_TABLE)
    dlq_url = sqs.create_queue(QueueName=emulator.DLQ_NAME)["QueueUrl"]
    processor = Processor(
        dynamodb_client=ddb,
        sqs_client=sqs,
        table_name=emulator.ITEMS_TABLE,
        environment="bench",
        dlq_url=dlq_url,
        buckets=(emulator.BUCKET,),
        metrics=MetricsWriter(environment="bench", stream=emulator.devnull()),
        logger=emulator.quiet_logger("tap"),
    )
    return BenchHandler("tap Processor", processor.process, emulator.ITEMS_TABLE)


def naive_write(ddb: Any, table: str) -> Callable[[dict[str, Any]], None]:
    """The earlier implementation: one unconditional PutItem under a fresh uuid4 per event."""

    def write(event: dict[str, Any]) -> None:
        detail = event["detail"]
        obj = detail["object"]
        item = {
            "id": {"S": str(uuid.uuid4())},
            "object_id": {"S": f"{detail['bucket']['name']}/{obj['key']}"},
            "sequencer": {"S": obj["sequencer"]},
            "status": {"S": "deleted" if event["detail-type"] == "Object Deleted" else "present"},
            "event_time": {"S": event["time"]},
        }
        if "size" in obj:
            item["size"] = {"N": str(obj["size"])}
        ddb.put_item(TableName=table, Item=item)

    return write


def naive_handler(ddb: Any, _sqs: Any) -> BenchHandler:
    """uuid4 PutItem per event: every redelivery becomes another item."""
    emulator.create_table(ddb, NAIVE_TABLE)
    return BenchHandler("naive uuid4 put_item", naive_write(ddb, NAIVE_TABLE), NAIVE_TABLE)


class _LambdaContext:
    """The parts of a Lambda context that Powertools' idempotency reads."""

    function_name = "tap-bench"
    memory_limit_in_mb = 256
    invoked_function_arn = build_arn(
        "aws", "lambda", emulator.REGION, emulator.ACCOUNT, "function:b"
    )
    aws_request_id = "00000000-0000-4000-8000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


EVENT_ID_KEY = "id"
OBJECT_SEQUENCER_KEY = "[detail.bucket.name, detail.object.key, detail.object.sequencer]"


def powertools_handler(ddb: Any, _sqs: Any, *, key: str = EVENT_ID_KEY) -> BenchHandler:
    """The naive write behind Powertools' @idempotent, on its own DynamoDB idempotency table."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent,
    )

    emulator.create_table(ddb, NAIVE_TABLE)
    emulator.create_table(ddb, IDEMPOTENCY_TABLE)
    persistence = DynamoDBPersistenceLayer(table_name=IDEMPOTENCY_TABLE, boto3_client=ddb)
    config = IdempotencyConfig(event_key_jmespath=key, raise_on_no_idempotency_key=True)
    write = naive_write(ddb, NAIVE_TABLE)

    @idempotent(config=config, persistence_store=persistence)
    def handler(event: dict[str, Any], context: object) -> dict[str, str]:  # noqa: ARG001
        write(event)
        return {"outcome": "processed"}

    context = _LambdaContext()
    label = "event id" if key == EVENT_ID_KEY else "object+sequencer"
    return BenchHandler(
        f"Powertools @idempotent ({label})",
        lambda event: handler(event, context),
        NAIVE_TABLE,
        IDEMPOTENCY_TABLE,
    )


def powertools_by_object(ddb: Any, sqs: Any) -> BenchHandler:
    """Powertools keyed by bucket, key and sequencer instead of the event id."""
    return powertools_handler(ddb, sqs, key=OBJECT_SEQUENCER_KEY)


HANDLERS: dict[str, Callable[[Any, Any], BenchHandler]] = {
    "tap": tap_handler,
    "naive": naive_handler,
    "powertools_event_id": powertools_handler,
    "powertools_object_sequencer": powertools_by_object,
}
