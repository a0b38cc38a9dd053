"""The embedded emulator and its workload: AWS-shaped S3 events, tables, queues, request counts."""

from __future__ import annotations

import io
import logging
import os
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tap.facts.arns import bucket_arn

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "tap-bench-data"
ITEMS_TABLE = "tap-bench-items"
DLQ_NAME = "tap-bench-processor-dlq"
_FIRST_SEQUENCER = 0x617F08299329D189


def use_fake_credentials() -> None:
    """Point boto3 at fake credentials and one region, so nothing can reach real AWS."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)


@dataclass(frozen=True)
class Workload:
    """Distinct S3 events (what S3 produced) and the deliveries the handler sees."""

    events: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]
    objects: int
    redelivery: float
    seed: int

    @property
    def redelivered(self) -> int:
        """Deliveries beyond the first of each event."""
        return len(self.deliveries) - len(self.events)


def s3_event(
    *, event_id: str, key: str, sequencer: str, created: bool, size: int, second: int
) -> dict[str, Any]:
    """One EventBridge S3 event shaped like AWS's examples.

    Source: S3 user guide, EventBridge event message structure.
    """
    detail_object: dict[str, Any] = {
        "key": key,
        "etag": f"{uuid.UUID(int=int(sequencer, 16) << 64).hex}",
        "version-id": f"v{sequencer}",
        "sequencer": sequencer,
    }
    if created:
        detail_object["size"] = size
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": BUCKET},
        "object": detail_object,
        "request-id": f"R{sequencer[-15:]}",
        "requester": ACCOUNT,
        "source-ip-address": "192.0.2.10",
        "reason": "PutObject" if created else "DeleteObject",
    }
    if not created:
        detail["deletion-type"] = "Delete Marker Created"
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Object Created" if created else "Object Deleted",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": f"2026-11-28T12:{second // 60 % 60:02d}:{second % 60:02d}Z",
        "region": REGION,
        "resources": [bucket_arn(BUCKET)],
        "detail": detail,
    }


def make_workload(
    *, objects: int, redelivery: float, seed: int, update_fraction: float = 0.25
) -> Workload:
    """Seeded events with distinct ids and per-key increasing sequencers, then redeliveries.

    Each object gets a PutObject; update_fraction of them later get an overwrite or a delete.
    A redelivered event keeps its id (as EventBridge's at-least-once delivery does) and arrives
    1-20 positions later than its first delivery.
    """
    rng = random.Random(seed)
    sequencer = _FIRST_SEQUENCER
    events: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []

    def next_event(key: str, *, created: bool) -> dict[str, Any]:
        nonlocal sequencer
        sequencer += rng.randrange(1, 1 << 20)
        return s3_event(
            event_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            key=key,
            sequencer=f"{sequencer:016X}",
            created=created,
            size=rng.randrange(1, 1 << 24),
            second=len(events) + len(later),
        )

    for index in range(objects):
        key = f"raw/{index:05d}/part {rng.randrange(1000):03d}+x.json"
        events.append(next_event(key, created=True))
        if rng.random() < update_fraction:
            later.append(next_event(key, created=rng.random() < 0.5))
    events += later
    # Redeliveries use their own stream, so one seed gives the same events at every rate.
    redeliver = random.Random(seed + 1)
    ordered: list[tuple[float, int, dict[str, Any]]] = []
    for position, event in enumerate(events):
        ordered.append((float(position), 0, event))
        if redeliver.random() < redelivery:
            ordered.append((position + redeliver.uniform(1, 20), 1, event))
    ordered.sort(key=lambda entry: (entry[0], entry[1]))
    return Workload(
        events=events,
        deliveries=[event for _, _, event in ordered],
        objects=objects,
        redelivery=redelivery,
        seed=seed,
    )


@dataclass
class RequestCounter:
    """Counts API calls (before-call) and HTTP attempts (before-send) made by attached clients."""

    calls: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    enabled: bool = True

    def attach(self, client: Any) -> Any:
        """Count this client's requests from now on; returns the client."""
        service = client.meta.service_model.service_name
        events = client.meta.events

        def on_call(model: Any, **_: Any) -> None:
            if self.enabled:
                self.calls[f"{service}:{model.name}"] += 1

        def on_send(**_: Any) -> None:
            if self.enabled:
                self.attempts += 1

        events.register("before-call", on_call)
        # First, because moto's stubber answers before-send and stops later handlers.
        events.register_first("before-send", on_send)
        return client

    @property
    def total(self) -> int:
        """API calls counted."""
        return sum(self.calls.values())


@contextmanager
def emulator() -> Iterator[None]:
    """A fresh in-process moto: every AWS call made inside goes to its in-memory backends."""
    from moto import mock_aws

    use_fake_credentials()
    with mock_aws():
        yield


def client(service: str) -> Any:
    """A boto3 client for the emulator (call inside `emulator()`)."""
    import boto3

    return boto3.client(service, region_name=REGION)


def create_table(ddb: Any, name: str) -> None:
    """An on-demand table with string hash key `id`, like the items table."""
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def scan_all(ddb: Any, name: str) -> list[dict[str, Any]]:
    """Every item of a table (call with counting disabled)."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": name}
    while True:
        page = ddb.scan(**kwargs)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def quiet_logger(name: str) -> logging.Logger:
    """A logger that formats JSON lines like the handler's, into a discarded stream."""
    from tap_processor.logs import JsonFormatter

    logger = logging.getLogger(f"bench.{name}")
    logger.handlers.clear()
    handler = logging.StreamHandler(io.StringIO())
    handler.stream = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process.
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def devnull() -> io.TextIOWrapper:
    """A text stream that discards what is written (EMF lines)."""
    return open(os.devnull, "w")
