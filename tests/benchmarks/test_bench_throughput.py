"""The throughput benchmark: its ceiling sends exactly the items tap writes; rates are real."""

import pytest

from benchmarks import emulator, throughput
from benchmarks.handlers import HANDLERS


@pytest.mark.slow  # runs the benchmark's workload on moto
def test_the_ceiling_sends_the_very_items_tap_writes():
    # GIVEN a small seeded workload of creates, and the items the ceiling loop would send
    workload = emulator.make_workload(objects=15, redelivery=0.0, seed=5, update_fraction=0)
    ceiling = throughput._raw_items(workload.events)
    # WHEN tap's Processor handles every event on a fresh emulator
    with emulator.emulator():
        handler = HANDLERS["tap"](emulator.client("dynamodb"), emulator.client("sqs"))
        for event in workload.events:
            handler.handle(event)
        written = emulator.scan_all(emulator.client("dynamodb"), handler.data_table)
    # THEN the table holds the ceiling's items, apart from the write time

    def comparable(item):
        return {k: v for k, v in item.items() if k != "updated_at"}

    assert sorted(map(comparable, written), key=str) == sorted(map(comparable, ceiling), key=str)
    assert len(written) == 15


@pytest.mark.slow  # timing: three measured rounds of the benchmark itself
def test_one_round_measures_three_positive_rates():
    result = throughput.measure(events=12, rounds=1)
    assert result["events_per_round"] == 12
    for name in ("ceiling_put_item", "tap", "powertools_event_id"):
        assert result[name]["median"] > 0, name
