"""The rules grow linearly with the graph: a fast guard against a per-resource scan of all.

Graphs of about 500 and 4000 resources (8x) are generated as `make bench` does, from the dev
stack plus copies of one unit (a bucket with its sub-resources and route, a queue, a
function with its role). Linear work grows 8x, quadratic work 64x; the bound is 8^1.5 ≈ 23x.
Each figure is the best of three runs, with the garbage collector paused while timing.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from benchmarks.rule_scaling import KINDS, generate
from tap.rules import TAP_PACK, check_graph
from tap.rules.engine import evaluate
from tap.rules.model import Rule
from tap.synth.graph import ResourceGraph
from tests.support.shipped import context, shipped

pytestmark = pytest.mark.slow  # times tap check on graphs of 500 and 4000 resources

SMALL, LARGE = 500, 4000
BOUND = (LARGE / SMALL) ** 1.5
FLOOR_SECONDS = 0.005
"""Per-rule times below this at the small size are clock noise; they count as this much."""


@cache
def _graph(kind: str, size: int) -> ResourceGraph:
    template: dict[str, Any] = shipped("dev")[0].model_dump(mode="json", by_alias=True)
    return ResourceGraph.model_validate(generate(template, kind, size))


def _fresh(graph: ResourceGraph) -> ResourceGraph:
    """The same resources in a new graph, so no index built for an earlier run is reused."""
    return graph.model_copy(update={"resources": list(graph.resources)})


def _best_of_three(action: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        gc.disable()
        try:
            start = time.perf_counter()
            action()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return min(times)


@pytest.mark.parametrize("kind", KINDS)
def test_tap_check_grows_far_slower_than_quadratically(kind: str) -> None:
    # GIVEN graphs of one kind, 8x apart in size, that pass every rule
    small, large = _graph(kind, SMALL), _graph(kind, LARGE)
    dev = context("dev")
    assert check_graph(_fresh(large), dev, dev.config.suppressions).passed  # type: ignore[union-attr]
    # WHEN the whole pack runs over each (index built anew each time)
    t_small = _best_of_three(lambda: check_graph(_fresh(small), dev))
    t_large = _best_of_three(lambda: check_graph(_fresh(large), dev))
    # THEN the time grows by far less than the 64x of quadratic work
    assert t_large / t_small < BOUND, f"{kind}: {t_small:.3f}s -> {t_large:.3f}s"


@pytest.mark.parametrize("kind", KINDS)
def test_no_rule_grows_quadratically(kind: str) -> None:
    small, large = _graph(kind, SMALL), _graph(kind, LARGE)
    dev = context("dev")

    def timed(rule: Rule, graph: ResourceGraph) -> float:
        evaluate(graph, dev, [rule])  # the graph's index, built once, is not what is measured
        return _best_of_three(lambda: evaluate(graph, dev, [rule]))

    slow = {}
    for rule in TAP_PACK:
        t_small = max(timed(rule, small), FLOOR_SECONDS)
        t_large = timed(rule, large)
        if t_large / t_small >= BOUND:
            slow[rule.id] = f"{t_small:.4f}s -> {t_large:.4f}s"
    assert not slow, f"{kind}: rules growing faster than n^1.5: {slow}"
