"""EMF metrics and JSON logs carry each outcome with the event and object ids."""

import io
import json
import logging
from collections.abc import Iterator

import pytest

from tap_processor.handler import Processor
from tap_processor.logs import LOGGER_NAME, JsonFormatter, get_logger
from tap_processor.metrics import DIMENSION, NAMESPACE, Metric, MetricsWriter

from .history import History
from .support import BUCKET, ENVIRONMENT, Account, load_event

pytestmark = pytest.mark.slow  # each test runs the handler against moto


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Capture the processor logger's JSON output."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def _documents(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _metric_values(document: dict[str, object]) -> dict[str, object]:
    [directive] = document["_aws"]["CloudWatchMetrics"]  # type: ignore[index]
    return {m["Name"]: document[m["Name"]] for m in directive["Metrics"]}


def test_each_outcome_emits_one_emf_document_with_the_environment_dimension(
    processor: Processor, account: Account, metrics_stream: io.StringIO
) -> None:
    # GIVEN a create, its redelivery, an older event, a delete and a malformed event
    created = load_event("s3_object_created")
    # WHEN all are processed in that order
    processor.process(load_event("s3_object_deleted_marker"))
    processor.process(created)
    processor.process(load_event("s3_object_deleted_marker"))
    processor.process(load_event("invalid_missing_key"))
    processor.process(load_event("s3_object_created_multipart"))
    # THEN one EMF document per event, each valid and counting the right metrics
    documents = _documents(metrics_stream)
    assert [_metric_values(d) for d in documents] == [
        {"processed": 1, "deleted": 1},
        {"stale": 1},
        {"duplicate": 1},
        {"rejected": 1},
        {"processed": 1},
    ]
    for document in documents:
        [directive] = document["_aws"]["CloudWatchMetrics"]  # type: ignore[index]
        assert directive["Namespace"] == NAMESPACE == "Tap/Processor"
        assert directive["Dimensions"] == [[DIMENSION]]
        assert document[DIMENSION] == ENVIRONMENT
        assert isinstance(document["_aws"]["Timestamp"], int)  # type: ignore[index]
    assert documents[0]["object_id"] == "amzn-s3-demo-bucket1/example-key"
    assert documents[3]["reason"] == "malformed_event"


def test_metrics_writer_uses_the_injected_clock_and_count_unit() -> None:
    stream = io.StringIO()
    MetricsWriter(environment="prod", stream=stream, clock_ms=lambda: 1_700_000_000_000).count(
        Metric.STALE, object_id="b/k"
    )
    assert json.loads(stream.getvalue()) == {
        "_aws": {
            "Timestamp": 1_700_000_000_000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Tap/Processor",
                    "Dimensions": [["environment"]],
                    "Metrics": [{"Name": "stale", "Unit": "Count"}],
                }
            ],
        },
        "environment": "prod",
        "object_id": "b/k",
        "stale": 1,
    }


def test_logs_are_json_with_event_and_object_ids(
    processor: Processor, account: Account, log_lines: io.StringIO
) -> None:
    # GIVEN a documented create and a rejected event
    # WHEN processed
    processor.process(load_event("s3_object_created"))
    processor.process(load_event("s3_object_created"))
    processor.process(load_event("invalid_wrong_source"))
    # THEN each produced one JSON log line with the ids and the outcome
    processed, duplicate, rejected = _documents(log_lines)
    assert processed["level"] == "INFO"
    assert processed["event_id"] == "17793124-05d4-b198-2fde-7ededc63b103"
    assert processed["object_id"] == "amzn-s3-demo-bucket1/example-key"
    assert processed["outcome"] == "processed"
    assert duplicate["outcome"] == "duplicate"
    assert rejected["level"] == "WARNING"
    assert rejected["outcome"] == "rejected"
    assert rejected["reason"] == "unsupported_event"
    assert rejected["event_id"] == "17793124-05d4-b198-2fde-7ededc63b103"
    assert isinstance(rejected["dlq_message_id"], str)


def test_get_logger_installs_one_json_handler_and_does_not_propagate() -> None:
    # GIVEN the logger configured twice / WHEN inspected
    logger = get_logger("debug")
    get_logger()
    json_handlers = [h for h in logger.handlers if isinstance(h.formatter, JsonFormatter)]
    # THEN one JSON handler, no duplicate lines through the Lambda root handler
    assert len(json_handlers) == 1
    assert logger.propagate is False
    assert logger.level == logging.DEBUG
    get_logger("INFO")


class _Context:
    """The one attribute of Lambda's context object the processor reads."""

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id


def test_every_log_line_and_metric_carries_the_request_id_and_cold_start(
    processor: Processor, account: Account, log_lines: io.StringIO, metrics_stream: io.StringIO
) -> None:
    # GIVEN a versioned object with two versions, and the removal of its noncurrent one
    history = History(account.s3, BUCKET)
    v1 = history.put("example-key", b"one")
    history.put("example-key", b"two!")
    history.delete_version("example-key", v1, lifecycle=True)
    # WHEN a container's invocations process the creates, the removal and a rejected event
    deliveries = [*history.events, load_event("invalid_wrong_source")]
    for n, event in enumerate(deliveries):
        processor.process(event, _Context(f"request-{n}"))
    logs, metrics = _documents(log_lines), _documents(metrics_stream)
    # THEN every log line and EMF document names its invocation's request id, and only the
    # first invocation is a cold start
    assert [(d["function_request_id"], d["cold_start"]) for d in metrics] == [
        ("request-0", True),
        ("request-1", False),
        ("request-2", False),
        ("request-3", False),
    ]
    assert [(d["function_request_id"], d["cold_start"]) for d in logs] == [
        ("request-0", True),
        ("request-1", False),
        ("request-2", False),
        ("request-2", False),
        ("request-3", False),
    ]
    # AND the resolving read is logged with what S3 listed as current
    read = logs[2]
    v2 = history.events[1]["detail"]["object"]
    assert read["message"] == "current version read from S3"
    assert (read["removed_version_id"], read["s3_reason"]) == (v1, "Lifecycle Expiration")
    assert (read["found_status"], read["found_version_id"]) == ("present", v2["version-id"])
    assert (read["found_size"], read["found_etag"]) == (4, v2["etag"])
    # AND the removal counts as resolved, beside the write's own outcome
    assert _metric_values(metrics[2]) == {"processed": 1, "resolved": 1}
