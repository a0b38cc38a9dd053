"""Events per second through tap's in-process handler, against a raw PutItem loop as the ceiling."""

from __future__ import annotations

import time
from typing import Any

from benchmarks import emulator
from benchmarks.handlers import HANDLERS
from benchmarks.measure import Sample, paired_ratio


def _raw_items(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items tap would write, built before the clock starts: the ceiling only sends them."""
    from tap_processor.event import parse_event
    from tap_processor.state import state_of
    from tap_processor.store import to_item

    parsed = [parse_event(e) for e in events]
    return [
        to_item(e, state_of(e), environment="bench", updated_at="2026-11-28T12:00:00.000Z")
        for e in parsed
    ]


def _events_per_second(handler_key: str, events: list[dict[str, Any]]) -> float:
    ddb = emulator.client("dynamodb")
    sqs = emulator.client("sqs")
    handler = HANDLERS[handler_key](ddb, sqs)
    handler.handle(events[0])  # Warm-up: first-call costs (model loading) are not throughput.
    start = time.perf_counter()
    for event in events[1:]:
        handler.handle(event)
    return (len(events) - 1) / (time.perf_counter() - start)


def _ceiling_per_second(items: list[dict[str, Any]], table: str) -> float:
    ddb = emulator.client("dynamodb")
    emulator.create_table(ddb, table)
    ddb.put_item(TableName=table, Item=items[0])
    start = time.perf_counter()
    for item in items[1:]:
        ddb.put_item(TableName=table, Item=item)
    return (len(items) - 1) / (time.perf_counter() - start)


def measure(*, events: int = 300, rounds: int = 5, seed: int = 7) -> dict[str, Any]:
    """Alternate ceiling, tap and Powertools in each round, each on a fresh emulator."""
    workload = emulator.make_workload(objects=events, redelivery=0.0, seed=seed, update_fraction=0)
    items = _raw_items(workload.events)
    ceiling: list[float] = []
    tap: list[float] = []
    powertools: list[float] = []
    for round_ in range(rounds):
        with emulator.emulator():
            ceiling.append(_ceiling_per_second(items, f"tap-bench-ceiling-{round_}"))
        with emulator.emulator():
            tap.append(_events_per_second("tap", workload.events))
        with emulator.emulator():
            powertools.append(_events_per_second("powertools_event_id", workload.events))
    return {
        "events_per_round": len(workload.events),
        "ceiling_put_item": Sample.of(ceiling, "events/s").to_dict(),
        "tap": Sample.of(tap, "events/s").to_dict(),
        "powertools_event_id": Sample.of(powertools, "events/s").to_dict(),
        "tap_to_ceiling": paired_ratio(list(zip(tap, ceiling, strict=True))).to_dict(),
        "powertools_to_ceiling": paired_ratio(
            list(zip(powertools, ceiling, strict=True))
        ).to_dict(),
        "tap_to_powertools": paired_ratio(list(zip(tap, powertools, strict=True))).to_dict(),
    }
