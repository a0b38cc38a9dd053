"""The rules grow linearly with the graph: a guard against a per-resource scan of all.

Graphs of about 500 and 4000 resources (8x) are generated as `make bench` does, from the dev
stack plus copies of one unit (a bucket with its sub-resources and route, a queue, a
function with its role). Linear work grows 8x, quadratic work 64x; the bound is 8^1.5 ≈ 23x.
The work is counted, not timed (tests/support/work.py: lines executed in tap's code and
elements scanned by membership tests), so a loaded machine gives the same figures; `make bench`
times `tap check` on graphs up to 100,000 resources.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from benchmarks.rule_scaling import KINDS, generate
from tap.rules import TAP_PACK, check_graph
from tap.rules.engine import evaluate
from tap.synth.graph import ResourceGraph
from tests.support.shipped import context, shipped
from tests.support.work import counted_work

pytestmark = pytest.mark.slow  # generates graphs of 500 and 4000 resources and traces the pack

SMALL, LARGE = 500, 4000
BOUND = (LARGE / SMALL) ** 1.5


@cache
def _graph(kind: str, size: int) -> ResourceGraph:
    template: dict[str, Any] = shipped("dev")[0].model_dump(mode="json", by_alias=True)
    return ResourceGraph.model_validate(generate(template, kind, size))


def _fresh(graph: ResourceGraph) -> ResourceGraph:
    """The same resources in a new graph, so no index built for an earlier run is reused."""
    return graph.model_copy(update={"resources": list(graph.resources)})


@pytest.mark.parametrize("kind", KINDS)
def test_tap_check_grows_far_slower_than_quadratically(kind: str) -> None:
    # GIVEN graphs of one kind, 8x apart in size, that pass every rule
    small, large = _graph(kind, SMALL), _graph(kind, LARGE)
    dev = context("dev")
    assert check_graph(_fresh(large), dev, dev.config.suppressions).passed  # type: ignore[union-attr]
    # WHEN the whole pack runs over each (index built anew each time)
    work_small = counted_work(lambda: check_graph(_fresh(small), dev))
    work_large = counted_work(lambda: check_graph(_fresh(large), dev))
    # THEN each count grows by far less than the 64x of quadratic work
    growth = work_small.growth(work_large, floor=SMALL)
    assert max(growth.values()) < BOUND, f"{kind}: {work_small} -> {work_large}: {growth}"


@pytest.mark.parametrize("kind", KINDS)
def test_no_rule_grows_quadratically(kind: str) -> None:
    small, large = _graph(kind, SMALL), _graph(kind, LARGE)
    dev = context("dev")
    for graph in (small, large):
        evaluate(graph, dev)  # each graph's index, built once, is not what is counted
    growing = {}
    for rule in TAP_PACK:
        work_small = counted_work(lambda rule=rule: evaluate(small, dev, [rule]))
        work_large = counted_work(lambda rule=rule: evaluate(large, dev, [rule]))
        growth = work_small.growth(work_large, floor=SMALL)
        if max(growth.values()) >= BOUND:
            growing[rule.id] = f"{work_small} -> {work_large}: {growth}"
    assert not growing, f"{kind}: rules growing faster than n^1.5: {growing}"


def _pairs_by_scan(names: list[str]) -> int:
    return sum(1 for name in names if name in names)


def _pairs_by_set(names: list[str]) -> int:
    known = set(names)
    return sum(1 for name in names if name in known)


def _pairs_by_loop(names: list[str]) -> int:
    return sum(1 for name in names for other in names if other == name)


@pytest.mark.parametrize(
    ("count", "lines", "scanned"),
    [(_pairs_by_scan, 8, 64), (_pairs_by_loop, 64, 0), (_pairs_by_set, 8, 0)],
    ids=["x-in-list", "nested-loop", "x-in-set"],
)
def test_the_count_sees_quadratic_work_a_line_count_alone_would_miss(
    count: Any, lines: int, scanned: int
) -> None:
    """`x in list` inside a comprehension is one line per element to a tracer: its lines grow
    8x over 8x the input, the elements it scanned 64x, as the work does."""
    small, large = (
        counted_work(lambda n=n: count([f"urn-{i}" for i in range(n)]), root=__file__)
        for n in (50, 400)
    )
    assert small.unresolved == large.unresolved == 0
    growth = small.growth(large, floor=1)
    assert growth == {
        "lines": pytest.approx(lines, rel=0.1),
        "scanned": pytest.approx(scanned, rel=0.1),
    }, (small, large)
