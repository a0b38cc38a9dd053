"""The critical-path benchmark on the shipped graphs: chains, explicit edges and sensitivity."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.critical_path import ESTIMATE_SCALES, analyse, weight
from tests.support.shipped import STACKS, shipped

# One worker runs the module, so the three analyses are computed once, not once per worker.
# the benchmark's emulator workload
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("critical-path")]


@pytest.fixture(scope="module")
def analyses() -> dict[str, dict[str, Any]]:
    return {stack: analyse(shipped(stack)[0]) for stack in STACKS}


def test_only_uncited_weights_scale() -> None:
    assert weight("aws:dynamodb/table:Table", 3.0) == weight("aws:dynamodb/table:Table")
    assert weight("aws:lambda/alias:Alias", 3.0) == 3 * weight("aws:lambda/alias:Alias")


@pytest.mark.parametrize("stack", STACKS)
def test_inherent_chains_are_never_longer_than_as_deployed(
    analyses: dict[str, dict[str, Any]], stack: str
) -> None:
    a = analyses[stack]
    assert a["inherent"]["weighted_seconds"] <= a["as_deployed"]["weighted_seconds"]
    assert a["data_edges_only"]["weighted_seconds"] <= a["inherent"]["weighted_seconds"]
    assert a["inherent"]["ingest_ready_seconds"] <= a["as_deployed"]["ingest_ready_seconds"]


@pytest.mark.parametrize("stack", STACKS)
def test_sensitivity_grows_with_the_estimates(
    analyses: dict[str, dict[str, Any]], stack: str
) -> None:
    a = analyses[stack]
    low, high = (a["sensitivity"][f"{s:g}"] for s in ESTIMATE_SCALES)
    base = a["as_deployed"]
    assert low["weighted_seconds"] <= base["weighted_seconds"] <= high["weighted_seconds"]
    assert low["ingest_ready_seconds"] < base["ingest_ready_seconds"] < high["ingest_ready_seconds"]


def test_the_prod_deploy_waits_on_the_replica_but_ingest_does_not(
    analyses: dict[str, dict[str, Any]],
) -> None:
    prod = analyses["prod"]["as_deployed"]
    assert any(step.startswith("TableReplica") for step in prod["weighted_chain"])
    assert prod["ingest_ready_seconds"] == analyses["dev"]["as_deployed"]["ingest_ready_seconds"]
    assert prod["weighted_seconds"] > 5 * prod["ingest_ready_seconds"]
