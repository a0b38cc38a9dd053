"""KMS rules: customer-managed keys rotate, are protected in production, and admit their senders."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tap.rules.actions import action_matches
from tap.rules.lookup import (
    EVENT_TARGET,
    EVENTS_PRINCIPAL,
    KMS_KEY,
    KMS_REPLICA_KEY,
    METRIC_ALARM,
    QUEUE,
    TOPIC,
    as_list,
    index_of,
    is_known,
    of_type,
    out,
    principal_services,
    prop,
    referenced,
    statements,
)
from tap.rules.model import (
    Outcome,
    RuleContext,
    compliant,
    non_compliant,
    not_applicable,
    why_not_production,
)

if TYPE_CHECKING:
    from tap.synth.graph import Resource, ResourceGraph

ALARMS_PRINCIPAL = "cloudwatch.amazonaws.com"
SENDER_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
"""What a service needs of the key to send to an SSE-KMS queue or topic.

Source: EventBridge user guide, "Using dead-letter queues" (SSE-KMS queues).
"""


def kms_key_rotation(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every customer-managed key has automatic rotation on (replicas follow their primary)."""
    keys = of_type(graph, KMS_KEY)
    if not keys:
        yield not_applicable("no KMS keys")
    for key in keys:
        if prop(key, "enableKeyRotation") is True:
            yield compliant(key.urn)
        else:
            yield non_compliant(key.urn, f"key {key.name} does not rotate")


def kms_key_protected_in_production(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Production keys and their replicas are protected or retained on delete.

    Deleting the key makes every object, item and message encrypted with it unreadable.
    """
    keys = of_type(graph, KMS_KEY, KMS_REPLICA_KEY)
    reason = why_not_production(context)
    if reason:
        yield not_applicable(reason)
    elif not keys:
        yield not_applicable("no KMS keys")
    else:
        for key in keys:
            if key.options.get("protect") is True or key.options.get("retainOnDelete") is True:
                yield compliant(key.urn)
            else:
                yield non_compliant(key.urn, f"production key {key.name} is not protected")


SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid")
"""Condition keys EventBridge's KMS requests do not carry (its grant must not depend on them)."""


def _admits(statement: dict[str, Any], service: str) -> bool:
    actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
    conditioned = {
        key.lower()
        for tests in (statement.get("Condition") or {}).values()
        if isinstance(tests, dict)
        for key in tests
    }
    return (
        statement.get("Effect") == "Allow"
        and service in principal_services(statement)
        and all(any(action_matches(a, need) for a in actions) for need in SENDER_ACTIONS)
        and not (service == EVENTS_PRINCIPAL and conditioned & set(SOURCE_KEYS))
    )


def _senders(graph: ResourceGraph) -> Iterator[tuple[Resource, str, str]]:
    """(encrypted resource, its label, the service that sends to it) for every sender path."""
    for target in of_type(graph, EVENT_TARGET):
        arn = (prop(target, "deadLetterConfig") or {}).get("arn")
        queue = referenced(graph, target, "deadLetterConfig", arn, QUEUE)
        if queue is not None:
            yield queue, f"DLQ {prop(queue, 'name')}", EVENTS_PRINCIPAL
    actions = {
        a for alarm in of_type(graph, METRIC_ALARM) for a in as_list(prop(alarm, "alarmActions"))
    }
    for topic in of_type(graph, TOPIC):
        if out(topic, "arn") in actions:
            yield topic, f"topic {prop(topic, 'name')}", ALARMS_PRINCIPAL


def kms_key_admits_senders(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """A key encrypting a DLQ or alarm topic lets the sending service use it.

    Without it EventBridge cannot dead-letter and CloudWatch cannot notify: both fail silently.
    An AWS-managed key (alias/aws/...) can never admit them; an EventBridge grant conditioned on
    aws:SourceAccount/SourceArn/SourceOrgID never matches, because its KMS requests lack them.
    """
    seen: set[tuple[str, str]] = set()
    for resource, label, service in _senders(graph):
        key_id = prop(resource, "kmsMasterKeyId")
        if not key_id or (resource.urn, service) in seen:
            continue
        seen.add((resource.urn, service))
        key = referenced(graph, resource, "kmsMasterKeyId", key_id, KMS_KEY)
        if key is None:
            if isinstance(key_id, str) and "alias/aws/" in key_id:
                yield non_compliant(
                    resource.urn,
                    f"{label} is encrypted with the AWS-managed {key_id}, whose policy cannot "
                    f"let {service} use it",
                )
            else:
                yield not_applicable(f"{label}'s key {key_id} is not in this stack")
            continue
        policy = prop(key, "policy")
        if not is_known(policy):
            yield not_applicable(f"policy of key {key.name} is known only at deploy")
        elif any(_admits(s, service) for s in statements(index_of(graph).parsed(key, "policy"))):
            yield compliant(resource.urn)
        else:
            yield non_compliant(
                resource.urn,
                f"{label} is encrypted with key {key.name}, whose policy does not let "
                f"{service} {' and '.join(SENDER_ACTIONS)}",
            )
    if not seen:
        yield not_applicable("no DLQ or alarm topic is encrypted with a key of this stack")
