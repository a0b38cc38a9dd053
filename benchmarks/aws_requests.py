"""AWS requests per object event, and duplicate items, for each handler at 0% and 20% redelivery."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from typing import Any

from benchmarks import emulator
from benchmarks.handlers import HANDLERS

REDELIVERY_RATES = (0.0, 0.2)


def run_scenario(handler_key: str, *, objects: int, redelivery: float, seed: int) -> dict[str, Any]:
    """Deliver one seeded workload to one handler on a fresh emulator; count what it sent."""
    workload = emulator.make_workload(objects=objects, redelivery=redelivery, seed=seed)
    with emulator.emulator():
        ddb = emulator.client("dynamodb")
        sqs = emulator.client("sqs")
        handler = HANDLERS[handler_key](ddb, sqs)
        counter = RequestCounterPair(ddb, sqs)
        for delivery in workload.deliveries:
            handler.handle(delivery)
        counter.stop()
        items = emulator.scan_all(ddb, handler.data_table)
        bookkeeping = (
            len(emulator.scan_all(ddb, handler.bookkeeping_table))
            if handler.bookkeeping_table
            else 0
        )
    events = len(workload.events)
    return {
        "handler": handler.name,
        "handler_key": handler_key,
        "redelivery": redelivery,
        "seed": seed,
        "objects": workload.objects,
        "events": events,
        "deliveries": len(workload.deliveries),
        "requests": counter.total,
        "http_attempts": counter.attempts,
        "requests_by_operation": dict(sorted(counter.calls.items())),
        "requests_per_event": counter.total / events,
        "requests_per_object": counter.total / workload.objects,
        "requests_per_delivery": counter.total / len(workload.deliveries),
        "items": len(items),
        "duplicate_items": duplicate_items(items),
        "wrong_final_state": wrong_final_state(items, workload.events, handler_key),
        "bookkeeping_items": bookkeeping,
    }


class RequestCounterPair:
    """Counts the requests of a handler's DynamoDB and SQS clients, from creation to stop()."""

    def __init__(self, ddb: Any, sqs: Any) -> None:
        self._counter = emulator.RequestCounter()
        self._counter.attach(ddb)
        self._counter.attach(sqs)

    def attach(self, client: Any) -> None:
        """Count one more of the handler's clients."""
        self._counter.attach(client)

    def stop(self) -> None:
        """Stop counting: later calls (the scans that count duplicates) are not the handler's."""
        self._counter.enabled = False

    @property
    def calls(self) -> Counter[str]:
        """API calls by service:operation."""
        return self._counter.calls

    @property
    def total(self) -> int:
        """All API calls."""
        return self._counter.total

    @property
    def attempts(self) -> int:
        """HTTP attempts (equal to calls unless something retried)."""
        return self._counter.attempts


def _object_and_sequencer(item: dict[str, Any]) -> tuple[str, str]:
    object_id = item.get("object_id", item["id"])["S"]
    return object_id, item["sequencer"]["S"].upper().rstrip("0")


def duplicate_items(items: list[dict[str, Any]]) -> int:
    """Items beyond the first that record the same S3 event (same object and sequencer)."""
    seen = Counter(_object_and_sequencer(item) for item in items)
    return sum(count - 1 for count in seen.values())


def wrong_final_state(
    items: list[dict[str, Any]], events: list[dict[str, Any]], key: str
) -> int | None:
    """Objects whose recorded state is not their latest event's; None for per-event tables."""
    if key != "tap":
        return None
    latest: dict[str, str] = {}
    for event in events:
        detail = event["detail"]
        object_id = f"{detail['bucket']['name']}/{detail['object']['key']}"
        latest[object_id] = max(latest.get(object_id, ""), detail["object"]["sequencer"])
    stored = dict(_object_and_sequencer(item) for item in items)
    return sum(
        1 for object_id, seq in latest.items() if stored.get(object_id) != seq.upper().rstrip("0")
    )


REMOVALS = ("expire_noncurrent", "delete_current", "remove_marker")
"""The versioned deletes whose event cannot say what is current (docs/processor.md)."""


def run_resolving(*, objects: int, seed: int) -> dict[str, Any]:
    """tap's requests per event that removes one version, judged against S3's listing.

    Each object gets two versions (and, for a marker removal, a delete marker) through an
    uncounted client; then one version or marker is removed and the event S3 documents for it
    (Object Deleted, Permanently Deleted, that version's id) is delivered to the handler.
    """
    from tap_processor.handler import Processor
    from tap_processor.metrics import MetricsWriter

    rng = random.Random(seed)
    with emulator.emulator():
        ddb, sqs, s3 = emulator.client("dynamodb"), emulator.client("sqs"), emulator.client("s3")
        setup = emulator.client("s3")
        setup.create_bucket(Bucket=emulator.BUCKET)
        setup.put_bucket_versioning(
            Bucket=emulator.BUCKET, VersioningConfiguration={"Status": "Enabled"}
        )
        emulator.create_table(ddb, emulator.ITEMS_TABLE)
        processor = Processor(
            dynamodb_client=ddb,
            sqs_client=sqs,
            s3_client=s3,
            table_name=emulator.ITEMS_TABLE,
            environment="bench",
            dlq_url=sqs.create_queue(QueueName=emulator.DLQ_NAME)["QueueUrl"],
            buckets=(emulator.BUCKET,),
            metrics=MetricsWriter(environment="bench", stream=emulator.devnull()),
            logger=emulator.quiet_logger("tap-resolving"),
        )
        events, kinds = [], Counter[str]()
        for index in range(objects):
            key = f"raw/{index:05d}/part {rng.randrange(1000):03d}+x.json"
            first = setup.put_object(Bucket=emulator.BUCKET, Key=key, Body=b"one")["VersionId"]
            second = setup.put_object(Bucket=emulator.BUCKET, Key=key, Body=b"two!")["VersionId"]
            kind = REMOVALS[index % len(REMOVALS)]
            removed = {"expire_noncurrent": first, "delete_current": second}.get(kind)
            if removed is None:
                removed = setup.delete_object(Bucket=emulator.BUCKET, Key=key)["VersionId"]
            setup.delete_object(Bucket=emulator.BUCKET, Key=key, VersionId=removed)
            kinds[kind] += 1
            events.append(_removal_event(key, removed, index))
        counter = RequestCounterPair(ddb, sqs)
        counter.attach(s3)
        results = [processor.process(event) for event in events]
        counter.stop()
        items = emulator.scan_all(ddb, emulator.ITEMS_TABLE)
        wrong = sum(1 for item in items if not _is_s3s_current(setup, item))
    return {
        "objects": objects,
        "seed": seed,
        "events": len(events),
        "removals": dict(kinds),
        "resolved": sum(1 for r in results if r.resolved),
        "requests": counter.total,
        "requests_by_operation": dict(sorted(counter.calls.items())),
        "requests_per_event": counter.total / len(events),
        "wrong_final_state": wrong,
    }


def _removal_event(key: str, version_id: str, index: int) -> dict[str, Any]:
    event = emulator.s3_event(
        event_id=f"removal-{index}",
        key=key,
        sequencer=f"{0x617F0900B476E463 + index:016X}",
        created=False,
        size=0,
        second=index,
    )
    event["detail"]["object"]["version-id"] = version_id
    event["detail"]["deletion-type"] = "Permanently Deleted"
    return event


def _is_s3s_current(s3: Any, item: dict[str, Any]) -> bool:
    key = item["key"]["S"]
    listing = s3.list_object_versions(Bucket=emulator.BUCKET, Prefix=key)
    for kind in ("Versions", "DeleteMarkers"):
        for entry in listing.get(kind, []):
            if entry["Key"] == key and entry["IsLatest"]:
                status = "present" if kind == "Versions" else "deleted"
                return (item["status"]["S"], item.get("version_id", {}).get("S")) == (
                    status,
                    entry["VersionId"],
                )
    return item["status"]["S"] == "deleted"


def measure(*, objects: int = 100, seeds: tuple[int, ...] = (20261128, 1, 2)) -> dict[str, Any]:
    """Every handler at every redelivery rate, for each seed; medians across seeds.

    Counts are exact for a seed (the run is deterministic); seeds vary which events redeliver.
    """
    rows = [
        run_scenario(key, objects=objects, redelivery=rate, seed=seed)
        for seed in seeds
        for rate in REDELIVERY_RATES
        for key in HANDLERS
    ]
    summary = []
    for rate in REDELIVERY_RATES:
        for key in HANDLERS:
            mine = [r for r in rows if r["handler_key"] == key and r["redelivery"] == rate]
            taps = [r for r in rows if r["handler_key"] == "tap" and r["redelivery"] == rate]
            summary.append(
                {
                    "handler": mine[0]["handler"],
                    "handler_key": key,
                    "redelivery": rate,
                    "n": len(mine),
                    "requests_per_event": statistics.median(r["requests_per_event"] for r in mine),
                    "requests_per_object": statistics.median(
                        r["requests_per_object"] for r in mine
                    ),
                    "duplicate_items": statistics.median(r["duplicate_items"] for r in mine),
                    "duplicate_items_per_100_events": statistics.median(
                        100 * r["duplicate_items"] / r["events"] for r in mine
                    ),
                    "bookkeeping_items": statistics.median(r["bookkeeping_items"] for r in mine),
                    "wrong_final_state": mine[0]["wrong_final_state"]
                    if key != "tap"
                    else max(r["wrong_final_state"] or 0 for r in mine),
                    "requests_vs_tap": statistics.median(
                        m["requests"] / t["requests"] for m, t in zip(mine, taps, strict=True)
                    ),
                    "requests_by_operation": mine[0]["requests_by_operation"],
                }
            )
    resolving = [run_resolving(objects=objects, seed=seed) for seed in seeds]
    return {
        "objects": objects,
        "seeds": list(seeds),
        "summary": summary,
        "rows": rows,
        "resolving": {
            "requests_per_event": statistics.median(r["requests_per_event"] for r in resolving),
            "wrong_final_state": max(r["wrong_final_state"] for r in resolving),
            "requests_by_operation": resolving[0]["requests_by_operation"],
            "removals": resolving[0]["removals"],
            "rows": resolving,
        },
    }
