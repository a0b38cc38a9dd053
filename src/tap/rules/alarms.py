"""Alarm rules: every failure path has an alarm that notifies someone."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from tap.facts.policies import as_list
from tap.facts.tokens import (
    EVENT_RULE,
    EVENT_TARGET,
    FUNCTION,
    INVOKE_CONFIG,
    METRIC_ALARM,
    QUEUE,
    TABLE,
)
from tap.rules.lookup import index_of, of_type, prop, referenced
from tap.rules.model import Outcome, RuleContext, compliant, non_compliant, not_applicable

if TYPE_CHECKING:
    from tap.synth.graph import Resource, ResourceGraph

DLQ_DEPTH = ("AWS/SQS", ("ApproximateNumberOfMessagesVisible",), "QueueName")
RULE_METRICS = ("FailedInvocations", "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq")
LAMBDA_METRICS = ("Errors", "Throttles", "DestinationDeliveryFailures")
TABLE_THROTTLES = ("ThrottledRequests", "WriteThrottleEvents")


def _key(value: object) -> object:
    """A set key for a property value (dimension values are strings; others compare as JSON)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, sort_keys=True, default=str)


Watch = tuple[object, object, str, object]
"""(namespace, metric name, dimension name, dimension value) of an alarm with an action."""


def _watches(graph: ResourceGraph) -> frozenset[Watch]:
    """Every (namespace, metric, dimension, value) that an alarm with an action watches."""
    watches: set[Watch] = set()
    for alarm in of_type(graph, METRIC_ALARM):
        dimensions = prop(alarm, "dimensions") or {}
        if not as_list(prop(alarm, "alarmActions")) or not isinstance(dimensions, dict):
            continue
        namespace, metric = _key(prop(alarm, "namespace")), _key(prop(alarm, "metricName"))
        watches.update((namespace, metric, str(k), _key(v)) for k, v in dimensions.items())
    return frozenset(watches)


def _alarmed(
    graph: ResourceGraph, namespace: str, metrics: Sequence[str], dimension: str, value: object
) -> bool:
    """Whether an alarm with an action watches one of `metrics` for `dimension`=`value`."""
    watches = index_of(graph).derived("alarm-watches", lambda: _watches(graph))
    return any((namespace, m, dimension, _key(value)) in watches for m in metrics)


def _missing(
    graph: ResourceGraph, namespace: str, metrics: Sequence[str], dimension: str, value: object
) -> list[str]:
    return [m for m in metrics if not _alarmed(graph, namespace, (m,), dimension, value)]


def _dead_letter_queues(graph: ResourceGraph) -> list[Resource]:
    """Queues that targets, async configs or functions dead-letter into."""
    sources = [
        (t, "deadLetterConfig", (prop(t, "deadLetterConfig") or {}).get("arn"))
        for t in of_type(graph, EVENT_TARGET)
    ]
    sources += [
        (
            c,
            "destinationConfig",
            ((prop(c, "destinationConfig") or {}).get("onFailure") or {}).get("destination"),
        )
        for c in of_type(graph, INVOKE_CONFIG)
    ]
    sources += [
        (f, "deadLetterConfig", (prop(f, "deadLetterConfig") or {}).get("targetArn"))
        for f in of_type(graph, FUNCTION)
    ]
    found = [referenced(graph, r, key, value, QUEUE) for r, key, value in sources if value]
    urns = {q.urn for q in found if q is not None}
    return [q for q in of_type(graph, QUEUE) if q.urn in urns]


def alarms_cover_dead_letter_queues(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Each dead-letter queue has a depth alarm with an action."""
    queues = _dead_letter_queues(graph)
    if not queues:
        yield not_applicable("no dead-letter queues")
    namespace, metrics, dimension = DLQ_DEPTH
    for queue in queues:
        if _alarmed(graph, namespace, metrics, dimension, prop(queue, "name")):
            yield compliant(queue.urn)
        else:
            yield non_compliant(
                queue.urn, f"DLQ {prop(queue, 'name')} has no depth alarm with an action"
            )


def _coverage(
    resources: list[Resource],
    graph: ResourceGraph,
    *,
    namespace: str,
    metrics: Sequence[str],
    dimension: str,
    what: str,
) -> Iterator[Outcome]:
    if not resources:
        yield not_applicable(f"no {what}s")
    for resource in resources:
        name = prop(resource, "name")
        missing = _missing(graph, namespace, metrics, dimension, name)
        if missing:
            yield non_compliant(
                resource.urn, f"{what} {name} has no alarm with an action on {', '.join(missing)}"
            )
        else:
            yield compliant(resource.urn)


def alarms_cover_rule_failures(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Each rule alarms on its failed, dead-lettered and failed-to-dead-letter deliveries."""
    yield from _coverage(
        of_type(graph, EVENT_RULE),
        graph,
        namespace="AWS/Events",
        metrics=RULE_METRICS,
        dimension="RuleName",
        what="rule",
    )


def alarms_cover_lambda_failures(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Each function alarms on Errors, Throttles and DestinationDeliveryFailures."""
    yield from _coverage(
        of_type(graph, FUNCTION),
        graph,
        namespace="AWS/Lambda",
        metrics=LAMBDA_METRICS,
        dimension="FunctionName",
        what="function",
    )


def alarms_cover_dynamodb_throttles(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Each table alarms on throttled requests."""
    tables = of_type(graph, TABLE)
    if not tables:
        yield not_applicable("no tables")
    for table in tables:
        name = prop(table, "name")
        if _alarmed(graph, "AWS/DynamoDB", TABLE_THROTTLES, "TableName", name):
            yield compliant(table.urn)
        else:
            yield non_compliant(table.urn, f"table {name} has no throttling alarm with an action")
