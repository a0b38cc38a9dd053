"""The live-stack benchmark: a small run measures every phase against a real live stack, its
section renders those numbers, and a failed run renders as not measured."""

import pytest

from benchmarks import live_stack
from benchmarks.emulator import use_fake_credentials
from benchmarks.report import render
from benchmarks.run import report_sections

ENVIRONMENT = {
    "date": "2026-12-07",
    "platform": "linux",
    "cpus": 2,
    "python": "3.11",
    "packages": {},
}


@pytest.mark.slow  # starts a live dev stack in a process of its own
def test_a_small_run_measures_every_phase_and_its_section_renders_them() -> None:
    use_fake_credentials()
    # WHEN a small soak, listing, burst and stop run against one live stack
    result = live_stack.measure(
        events=40, keys=10, warmup=20, listing_keys=30, listings=2, writers=2, burst_seconds=1.0
    )
    # THEN each phase measured what it did
    soak, listing, burst, stop = (result[k] for k in ("soak", "listing", "burst", "stop"))
    assert soak["events"] == 40
    assert soak["rss_end_mb"] > 0
    assert listing["listed_versions"] == [30, 30]
    assert len(listing["rss_mb"]) == 3
    assert burst["puts"] > 0
    assert burst["catch_up_seconds"] >= 0
    assert stop["stop_seconds"] >= 0
    # AND the section shows them next to the targets
    text = render(
        {
            "environment": ENVIRONMENT,
            "measurements": {"live_stack": {"ok": True, **result}},
            "total_wall_seconds": 1.0,
        },
        report_sections(),
    )
    assert "## 12. The live stack" in text
    assert f"| soak: MB per 1,000 events | {soak['mb_per_1000_events']:.1f} MB | ≤ 5: " in text
    assert f"| burst: puts per second, 2 writers | {burst['puts_per_second']:.0f} | ≥ 100: " in text


def test_a_failed_run_renders_as_not_measured() -> None:
    text = render(
        {
            "environment": ENVIRONMENT,
            "measurements": {
                "live_stack": {"ok": False, "error": "RuntimeError: the live stack did not start"}
            },
            "total_wall_seconds": 1.0,
        },
        report_sections(),
    )
    assert "## 12. The live stack" in text
    assert "Not measured" in text
    assert "RuntimeError: the live stack did not start" in text
