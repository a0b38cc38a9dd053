"""The per-rule timing of `make bench` (moved there from the test suite) times every rule and
renders the steepest; the tests count the same work instead (tests/rules/test_rules_scale.py)."""

import pytest

from benchmarks.report import _rules_lines
from benchmarks.rule_scaling import rule_times
from tap.rules import TAP_PACK


@pytest.mark.slow  # synthesizes the dev stack in process, as the benchmark does
def test_every_rule_is_timed_on_both_sizes_and_the_steepest_are_rendered() -> None:
    result = rule_times(sizes=(100, 400), kinds=("queues",))
    series = result["kinds"]["queues"]
    assert series["resources"][0] < series["resources"][1]
    assert set(series["rules"]) == {rule.id for rule in TAP_PACK}
    assert all(len(timed["seconds"]) == 2 for timed in series["rules"].values())
    [heading, blank, queues, end] = _rules_lines(result, bound=1.2)
    assert heading.startswith("**Each rule.**")
    assert "about 100 and 400 resources" in heading
    assert blank == end == ""
    assert queues.startswith("- queues: ")
    assert queues.count(" ms)") == 3


def test_results_from_before_rules_were_timed_render_no_rule_lines() -> None:
    assert _rules_lines(None, bound=1.2) == []
