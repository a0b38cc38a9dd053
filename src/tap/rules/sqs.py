"""SQS rules: queues are encrypted at rest and refuse requests without TLS."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tap.facts.policies import parse_json, statements
from tap.facts.tokens import QUEUE, QUEUE_POLICY
from tap.rules.lookup import denies_insecure_transport, is_known, of_type, out, prop, referring
from tap.rules.model import Outcome, RuleContext, compliant, non_compliant, not_applicable

if TYPE_CHECKING:
    from tap.synth.graph import ResourceGraph


def sqs_queue_encrypted(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every queue is encrypted: a KMS key (kmsMasterKeyId) or SSE-SQS."""
    queues = of_type(graph, QUEUE)
    if not queues:
        yield not_applicable("no queues")
    for queue in queues:
        if prop(queue, "kmsMasterKeyId") or prop(queue, "sqsManagedSseEnabled") is True:
            yield compliant(queue.urn)
        else:
            yield non_compliant(queue.urn, f"queue {prop(queue, 'name')} is not encrypted")


def sqs_queue_tls_only(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every queue's policy denies requests made without TLS."""
    queues = of_type(graph, QUEUE)
    if not queues:
        yield not_applicable("no queues")
    for queue in queues:
        arn = out(queue, "arn")
        policies = referring(graph, QUEUE_POLICY, "queueUrl", queue, "url", "id")
        if arn is None or not all(is_known(prop(p, "policy")) for p in policies):
            yield not_applicable(f"queue {prop(queue, 'name')}'s policy is known only at deploy")
            continue
        denies = any(
            denies_insecure_transport(s, "sqs", {arn})
            for p in policies
            for s in statements(parse_json(prop(p, "policy")))
        )
        if denies:
            yield compliant(queue.urn)
        else:
            yield non_compliant(
                queue.urn, f"queue {prop(queue, 'name')} has no policy denying non-TLS requests"
            )
