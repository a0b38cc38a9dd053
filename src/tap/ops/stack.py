"""The names an operation acts on, read from the stack's synthesized graph.

Bucket, table, function, alias and queues are the values `pulumi up` would create, read from
the resources' inputs and the links between them (the rule's target and its dead-letter queue,
the alias's on-failure destination): never rebuilt from the naming scheme.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tap.errors import EXIT_USAGE, TapError
from tap.facts import tokens
from tap.facts.policies import trusts
from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL

if TYPE_CHECKING:
    from tap.config import EnvironmentConfig
    from tap.synth.graph import Resource, ResourceGraph


class StackResolutionError(TapError):
    """The stack's graph lacks a resource an operation needs."""

    exit_code = EXIT_USAGE
    prefix = "cannot resolve the stack's resources"


@dataclass(frozen=True, slots=True)
class QueueRef:
    """One SQS queue of the stack."""

    name: str
    arn: str


@dataclass(frozen=True, slots=True)
class StackResources:
    """What day-2 operations act on, for one stack."""

    stack: str
    account_id: str
    region: str
    buckets: tuple[str, ...]
    """The data buckets, in the graph's order."""
    table: str
    function: str
    """The processor function's name."""
    alias: str
    """The alias EventBridge invokes (`live`)."""
    alias_arn: str
    delivery_dlq: QueueRef
    """The EventBridge target's dead-letter queue: it holds the original events."""
    processor_dlq: QueueRef
    """The alias's on-failure destination: invocation records and the handler's rejections."""
    kms_key_arn: str | None = None
    """The customer-managed key of the table and queues (`tap:kmsKey`), when there is one."""
    batch_role_arns: tuple[str, ...] = ()
    """The roles S3 Batch Operations may assume: one when `tap:backfill.batchOperations` is on."""

    @property
    def batch_role_arn(self) -> str | None:
        """The role a batch job runs as: the stack's one batch role, else None."""
        return self.batch_role_arns[0] if len(self.batch_role_arns) == 1 else None

    def queue(self, which: str) -> QueueRef:
        """`delivery` or `processor`."""
        if which == "delivery":
            return self.delivery_dlq
        if which == "processor":
            return self.processor_dlq
        raise StackResolutionError(f"no queue {which!r}: choose delivery or processor")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (snake_case keys)."""
        return {
            "stack": self.stack,
            "account_id": self.account_id,
            "region": self.region,
            "buckets": list(self.buckets),
            "table": self.table,
            "function": self.function,
            "alias": self.alias,
            "alias_arn": self.alias_arn,
            "delivery_dlq": self.delivery_dlq.name,
            "processor_dlq": self.processor_dlq.name,
            "kms_key_arn": self.kms_key_arn,
            "batch_role_arn": self.batch_role_arn,
        }


def _text(resource: Resource, name: str) -> str:
    value = resource.outputs.get(name, resource.inputs.get(name))
    if not isinstance(value, str) or not value:
        raise StackResolutionError(f"{resource.urn} has no {name}")
    return value


def _only(graph: ResourceGraph, token: str, what: str) -> Resource:
    found = graph.by_type(token)
    if len(found) != 1:
        raise StackResolutionError(f"the graph has {len(found)} {what}, expected exactly one")
    return found[0]


def _mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, Mapping) else {}


def _queue_by_arn(queues: Sequence[Resource], arn: str, role: str) -> QueueRef:
    for queue in queues:
        if _text(queue, "arn") == arn:
            return QueueRef(_text(queue, "name"), arn)
    raise StackResolutionError(f"the {role} {arn} is not a queue of the graph")


def resolve(graph: ResourceGraph) -> StackResources:
    """The stack's operable resources, from the links in its graph."""
    provider = _only(graph, tokens.AWS_PROVIDER, "AWS providers")
    accounts = provider.inputs.get("allowedAccountIds")
    if isinstance(accounts, str):
        accounts = json.loads(accounts)
    if not isinstance(accounts, list) or len(accounts) != 1:
        raise StackResolutionError("the AWS provider does not name exactly one allowed account")
    region = _text(provider, "region")
    table = _only(graph, tokens.TABLE, "tables")
    alias = _only(graph, tokens.LAMBDA_ALIAS, "Lambda aliases")
    alias_arn = _text(alias, "arn")
    queues = graph.by_type(tokens.QUEUE)
    targets = [t for t in graph.by_type(tokens.EVENT_TARGET) if _text(t, "arn") == alias_arn]
    if not targets:
        raise StackResolutionError(f"no EventBridge target invokes {alias_arn}")
    delivery_arns = {
        str(_mapping(t.inputs.get("deadLetterConfig")).get("arn") or "") for t in targets
    }
    if len(delivery_arns) != 1 or "" in delivery_arns:
        raise StackResolutionError("the processor's EventBridge targets do not share one DLQ")
    configs = [
        c
        for c in graph.by_type(tokens.INVOKE_CONFIG)
        if c.inputs.get("qualifier") == _text(alias, "name")
    ]
    if len(configs) != 1:
        raise StackResolutionError("the alias has no single async invoke config")
    destination = _mapping(_mapping(configs[0].inputs.get("destinationConfig")).get("onFailure"))
    processor_dlq = str(destination.get("destination") or "")
    return StackResources(
        stack=graph.stack,
        account_id=str(accounts[0]),
        region=region,
        buckets=tuple(_text(b, "bucket") for b in graph.by_type(tokens.BUCKET)),
        table=_text(table, "name"),
        function=_text(alias, "functionName"),
        alias=_text(alias, "name"),
        alias_arn=alias_arn,
        delivery_dlq=_queue_by_arn(queues, delivery_arns.pop(), "EventBridge target's DLQ"),
        processor_dlq=_queue_by_arn(queues, processor_dlq, "on-failure destination"),
        kms_key_arn=_table_key(table),
        batch_role_arns=tuple(batch_role_arns(graph)),
    )


def batch_role_arns(graph: ResourceGraph) -> list[str]:
    """The ARNs of the graph's roles whose trust policy lets S3 Batch Operations assume them."""
    return [
        arn
        for role in graph.by_type(tokens.ROLE)
        if trusts(role.inputs.get("assumeRolePolicy"), BATCH_OPERATIONS_PRINCIPAL)
        and isinstance(arn := role.outputs.get("arn", role.inputs.get("arn")), str)
        and arn
    ]


def _table_key(table: Resource) -> str | None:
    """The table's customer-managed key: the one key `tap:kmsKey` gives the table and queues."""
    encryption = _mapping(table.inputs.get("serverSideEncryption"))
    key = encryption.get("kmsKeyArn")
    return key if isinstance(key, str) and key else None


def stack_resources(
    project_dir: Path, stack: str, *, use_cache: bool = True
) -> tuple[StackResources, EnvironmentConfig]:
    """The stack's resources (from its graph, cached like `tap check`'s) and its config."""
    from tap.synth.cache import synthesize_cached
    from tap.validation import validate_project

    graph, config = synthesize_cached(validate_project(project_dir), stack, use_cache=use_cache)
    return resolve(graph), config
