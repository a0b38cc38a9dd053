"""The test-suite benchmark reads pytest's own summary line, and reports against the targets."""

from benchmarks.report import suite_section
from benchmarks.test_suite import pytest_summary

OUTPUT = """
........ [100%]
=================================== FAILURES ===================================
___ test_x ___
=========================== short test summary info ============================
FAILED tests/test_x.py::test_x - assert 1 == 2
================== 1 failed, 1568 passed in 247.44s (0:04:07) ==================
make: *** [Makefile:49: unit] Error 1
"""


def test_the_last_summary_line_gives_the_counts_and_the_seconds() -> None:
    assert pytest_summary(OUTPUT) == ("1 failed, 1568 passed", 247.44)
    assert pytest_summary("no tests ran\n") is None


def test_the_section_shows_both_sides_and_the_verdicts() -> None:
    side = {"commit": "abc1234", "exit_code": 0, "make_test_seconds": 300.0, "tail": []}
    lines = suite_section(
        {
            "sides": {
                "baseline": {**side, "pytest_counts": "901 passed", "pytest_seconds": 180.0},
                "this": {**side, "pytest_counts": "1577 passed", "pytest_seconds": 200.0},
            },
            "pytest_ratio": 1.111,
            "quick": {"median": 26.4, "minimum": 25.0, "maximum": 28.0, "n": 3, "unit": "s"},
        }
    )

    text = "\n".join(lines)
    assert "| this | `abc1234` | 1577 passed | 200.0 s | 300 s | 0 |" in text
    assert "**1.11×** (target ≤ 0.5×: **over**)" in text
    assert "`make quick`: 26.4 s (n=3, 25.0-28.0) (target < 30 s: ok)." in text
