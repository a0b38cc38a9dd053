"""KMS rules: customer-managed keys rotate, are protected in production, and admit their senders."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import partial
from typing import TYPE_CHECKING, Any

from tap.facts.policies import as_list, principal_services, statements
from tap.facts.principals import CLOUDWATCH_PRINCIPAL, EVENTS_PRINCIPAL
from tap.facts.tokens import EVENT_TARGET, KMS_KEY, KMS_REPLICA_KEY, METRIC_ALARM, QUEUE, TOPIC
from tap.rules.actions import action_matches
from tap.rules.lookup import index_of, is_known, of_type, out, prop, referenced
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
QUEUE_CONTEXT_KEY = "kms:encryptioncontext:aws:sqs:arn"
"""The encryption context SQS server-side encryption sends to KMS: the queue's ARN.

Source: Amazon SQS Developer Guide, "Key management" (the key policy statement for AWS services
that send to encrypted queues); docs/rules.md, kms-key-admits-senders, says what was confirmed.
"""
EXACT_OPERATORS = frozenset({"stringequals", "arnequals"})
PATTERN_OPERATORS = frozenset({"stringlike", "arnlike"})


def _conditioned_keys(statement: dict[str, Any]) -> set[str]:
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return set()
    return {key.lower() for tests in condition.values() if isinstance(tests, dict) for key in tests}


def _admits(statement: dict[str, Any], service: str) -> bool:
    actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
    return (
        statement.get("Effect") == "Allow"
        and service in principal_services(statement)
        and all(any(action_matches(a, need) for a in actions) for need in SENDER_ACTIONS)
        and not (service == EVENTS_PRINCIPAL and _conditioned_keys(statement) & set(SOURCE_KEYS))
    )


@dataclass(frozen=True)
class _Grants:
    """What a key policy lets one service do: whether at all, and for which queues."""

    granted: bool
    unscoped: bool
    """A grant with no queue condition: the service may use the key for any queue."""
    queues: frozenset[str]
    """Queue ARNs that grants name exactly in kms:EncryptionContext:aws:sqs:arn."""
    patterns: tuple[str, ...]
    """Queue ARN patterns (StringLike/ArnLike) that grants name."""

    def scope_of(self, queue_arn: str) -> bool:
        """Whether a grant is scoped to this queue's ARN."""
        return queue_arn in self.queues or any(fnmatchcase(queue_arn, p) for p in self.patterns)


def _grants(policy: Any, service: str) -> _Grants:
    """The service's grants in a key policy, read once per key."""
    admitting = [s for s in statements(policy) if _admits(s, service)]
    queues: set[str] = set()
    patterns: list[str] = []
    unscoped = False
    for statement in admitting:
        scoped = False
        for operator, tests in (statement.get("Condition") or {}).items():
            if not isinstance(tests, dict):
                continue
            for key, values in tests.items():
                if key.lower() != QUEUE_CONTEXT_KEY:
                    continue
                if operator.lower() in EXACT_OPERATORS:
                    queues.update(str(v) for v in as_list(values))
                    scoped = True
                elif operator.lower() in PATTERN_OPERATORS:
                    patterns.extend(str(v) for v in as_list(values))
                    scoped = True
        unscoped = unscoped or not scoped
    return _Grants(bool(admitting), unscoped, frozenset(queues), tuple(patterns))


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
            yield topic, f"topic {prop(topic, 'name')}", CLOUDWATCH_PRINCIPAL


def _unscoped_problem(grants: _Grants, resource: Resource) -> str | None:
    """Why EventBridge's grants do not hold for this queue alone; None when they do."""
    if grants.unscoped:  # even beside a scoped one, it lets EventBridge use the key anywhere
        return "is not scoped"
    queue_arn = out(resource, "arn")
    if queue_arn is None or grants.scope_of(queue_arn):  # preview: any queue scoping will do
        return None
    named = ", ".join(sorted(grants.queues) + list(grants.patterns))
    return f"is scoped to {named}, not {queue_arn}"


def kms_key_admits_senders(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """A key encrypting a DLQ or alarm topic lets the sending service use it, and no more.

    Without it EventBridge cannot dead-letter and CloudWatch cannot notify: both fail silently.
    An AWS-managed key (alias/aws/...) can never admit them; an EventBridge grant conditioned on
    aws:SourceAccount/SourceArn/SourceOrgID never matches, because its KMS requests lack them.
    EventBridge's grant must instead name the DLQ in kms:EncryptionContext:aws:sqs:arn: an
    unconditioned one lets EventBridge, on behalf of any rule in any account, use the key.
    """
    seen: set[tuple[str, str]] = set()
    index = index_of(graph)
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
        if not is_known(prop(key, "policy")):
            yield not_applicable(f"policy of key {key.name} is known only at deploy")
            continue
        grants = index.derived(
            f"kms-grants:{key.urn}:{service}",
            partial(_grants, index.parsed(key, "policy"), service),
        )
        if not grants.granted:
            yield non_compliant(
                resource.urn,
                f"{label} is encrypted with key {key.name}, whose policy does not let "
                f"{service} {' and '.join(SENDER_ACTIONS)}",
            )
        elif service == EVENTS_PRINCIPAL and (problem := _unscoped_problem(grants, resource)):
            yield non_compliant(
                resource.urn,
                f"{label} is encrypted with key {key.name}, whose grant to {service} {problem} "
                "by kms:EncryptionContext:aws:sqs:arn",
            )
        else:
            yield compliant(resource.urn)
    if not seen:
        yield not_applicable("no DLQ or alarm topic is encrypted with a key of this stack")
