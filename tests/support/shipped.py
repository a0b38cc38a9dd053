"""The shipped stacks, synthesized once per test session, and ways to break a copy of one."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from tap.config import EnvironmentConfig
from tap.naming import Names
from tap.rules.model import RuleContext
from tap.synth.cache import synthesize_cached
from tap.synth.graph import Resource, ResourceGraph
from tap.synth.stack import synthesize_config
from tap.validation import validate_project
from tests.support.paths import REPO_ROOT, STACKS  # noqa: F401  (STACKS: re-exported)


@cache
def shipped(stack: str) -> tuple[ResourceGraph, EnvironmentConfig]:
    """The stack's graph (normal run) and config; callers must not mutate it.

    Read through the graph cache `tap check` uses (keyed on tap's sources, the stack's config
    and the versions of pulumi and pulumi_aws; tests/cli/test_graph_cache.py proves it), so a
    test run after one that synthesized reads the graphs instead of synthesizing them again.
    """
    return synthesize_cached(validate_project(REPO_ROOT), stack)


@cache
def shipped_preview(stack: str) -> ResourceGraph:
    """The stack's graph as `pulumi preview` would register it."""
    return synthesize_config(REPO_ROOT, stack, preview=True)[0]


def context(stack: str) -> RuleContext:
    """The rule context of a shipped stack."""
    return RuleContext(shipped(stack)[1])


def graph(stack: str) -> ResourceGraph:
    """A private deep copy of the stack's graph, free to mutate."""
    return shipped(stack)[0].model_copy(deep=True)


def only(graph: ResourceGraph, type_: str, name_suffix: str = "") -> Resource:
    """The one resource of `type_` whose name ends with `name_suffix`."""
    found = [r for r in graph.by_type(type_) if r.name.endswith(name_suffix)]
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def edit(
    graph: ResourceGraph, target: Resource, change: Callable[[dict[str, Any]], None]
) -> ResourceGraph:
    """A copy of `graph` where `change` edited `target`'s inputs and outputs alike."""
    inputs, outputs = dict(target.inputs), dict(target.outputs)
    change(inputs)
    change(outputs)
    replaced = target.model_copy(update={"inputs": inputs, "outputs": outputs})
    resources = [replaced if r.urn == target.urn else r for r in graph.resources]
    return graph.model_copy(update={"resources": resources})


def replace(graph: ResourceGraph, target: Resource, **fields: Any) -> ResourceGraph:
    """A copy of `graph` with `target`'s top-level fields (provider, parent, ...) replaced."""
    replaced = target.model_copy(update=fields)
    resources = [replaced if r.urn == target.urn else r for r in graph.resources]
    return graph.model_copy(update={"resources": resources})


def without(graph: ResourceGraph, *targets: Resource) -> ResourceGraph:
    """A copy of `graph` without `targets`."""
    urns = {t.urn for t in targets}
    return graph.model_copy(update={"resources": [r for r in graph.resources if r.urn not in urns]})


def with_added(graph: ResourceGraph, resource: Resource) -> ResourceGraph:
    """A copy of `graph` with one more resource."""
    return graph.model_copy(update={"resources": [*graph.resources, resource]})


@cache
def data_bucket(stack: str) -> str:
    """The stack's first data bucket's name, from its config (what its processor serves)."""
    config = shipped(stack)[1]
    return Names.of(config).bucket(config.buckets[0].name)
