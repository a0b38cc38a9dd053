"""Smoke test of the benchmark's request counting: fast, tiny workload, exact expectations."""

import pytest

from benchmarks import aws_requests

pytestmark = pytest.mark.slow  # the benchmark's emulator workload


@pytest.mark.parametrize("redelivery", [0.0, 0.2])
def test_tap_handler_sends_one_request_per_delivery_and_writes_no_duplicates(redelivery):
    # GIVEN a seeded workload; WHEN tap's Processor handles every delivery
    row = aws_requests.run_scenario("tap", objects=12, redelivery=redelivery, seed=3)
    # THEN one PutItem per delivery, one item per object, each holding its latest state
    assert row["requests"] == row["deliveries"] == row["http_attempts"]
    assert row["requests_by_operation"] == {"dynamodb:PutItem": row["deliveries"]}
    assert row["items"] == row["objects"]
    assert row["duplicate_items"] == 0
    assert row["wrong_final_state"] == 0
    if redelivery == 0.0:
        assert row["requests_per_event"] == 1.0


def test_naive_handler_duplicates_items_on_redelivery():
    row = aws_requests.run_scenario("naive", objects=12, redelivery=0.5, seed=3)
    assert row["deliveries"] > row["events"]
    assert row["duplicate_items"] == row["deliveries"] - row["events"] > 0


def test_powertools_idempotency_costs_three_requests_per_new_event_and_one_per_redelivery():
    row = aws_requests.run_scenario("powertools_event_id", objects=12, redelivery=0.5, seed=3)
    redelivered = row["deliveries"] - row["events"]
    assert row["duplicate_items"] == 0
    assert row["requests"] == 3 * row["events"] + redelivered


def test_tap_pays_one_list_per_event_that_removes_a_version_and_matches_s3() -> None:
    # GIVEN versioned objects that each lose a noncurrent version, their current version,
    # or a delete marker / WHEN tap processes the removal events
    row = aws_requests.run_resolving(objects=9, seed=3)
    # THEN each costs one ListObjectVersions and one PutItem, and every item is S3's current
    assert row["removals"] == {"expire_noncurrent": 3, "delete_current": 3, "remove_marker": 3}
    assert row["requests_by_operation"] == {"dynamodb:PutItem": 9, "s3:ListObjectVersions": 9}
    assert row["requests_per_event"] == 2.0
    assert row["resolved"] == 9
    assert row["wrong_final_state"] == 0
