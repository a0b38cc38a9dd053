"""The names an operation acts on, read from the stack's synthesized graph.

Bucket, table, function, alias and queues are the values `pulumi up` would create, read from
the resources' inputs and the links between them (the rule's target and its dead-letter queue,
the alias's on-failure destination): never rebuilt from the naming scheme. What only a real
deployment knows (the KMS key's id) never comes from the graph, where the mock monitor made it
up: the key is named by its alias, or its ARN is read from the stack's outputs
(`pulumi stack output --json`) or from the emulator that holds it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tap.errors import EXIT_USAGE, TapError
from tap.facts import tokens
from tap.facts.arns import kms_key_id, parse_arn
from tap.facts.policies import trusts
from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL

if TYPE_CHECKING:
    from tap.config import EnvironmentConfig
    from tap.synth.graph import Resource, ResourceGraph


KEY_ARN_OUTPUT = "kmsKeyArn"
"""The stack output (tap.pipeline) holding the deployed key's ARN."""
MAX_OUTPUTS_BYTES = 1 << 20
"""The most tap reads of a `pulumi stack output --json` file (a few kB in practice)."""


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
    kms_key_alias: str | None = None
    """The alias of the customer-managed key of the table and queues (`tap:kmsKey`), when there
    is one: config fixes it, so it names the key before the key exists."""
    kms_key_arn: str | None = None
    """That key's ARN, only as deployed: from the stack's outputs or the emulator's answer
    (`with_key_arn`); None until one of them says it."""
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

    def with_key_arn(self, arn: str) -> StackResources:
        """These resources with the deployed key's ARN, once it is checked to be a KMS key of
        this stack's account and region."""
        if self.kms_key_alias is None:
            raise StackResolutionError(f"stack {self.stack} has no customer-managed key")
        key_id = kms_key_id(arn)
        parsed = parse_arn(arn) if key_id else None
        if parsed is None or (parsed.account, parsed.region) != (self.account_id, self.region):
            raise StackResolutionError(
                f"{arn!r} is not a KMS key ARN in account {self.account_id}, {self.region}"
            )
        return replace(self, kms_key_arn=arn)

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
            "kms_key_alias": self.kms_key_alias,
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
        kms_key_alias=_table_key_alias(graph, table),
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


def _table_key_alias(graph: ResourceGraph, table: Resource) -> str | None:
    """The alias of the table's customer-managed key (the one key `tap:kmsKey` gives the table
    and queues), found through the graph's links: table to key, alias to key."""
    key_arn = _mapping(table.inputs.get("serverSideEncryption")).get("kmsKeyArn")
    if not isinstance(key_arn, str) or not key_arn:
        return None
    keys = [k for k in graph.by_type(tokens.KMS_KEY) if _text(k, "arn") == key_arn]
    if len(keys) != 1:
        raise StackResolutionError(f"the table's key {key_arn} is not one key of the graph")
    key_id = _text(keys[0], "keyId")
    aliases = [a for a in graph.by_type(tokens.KMS_ALIAS) if a.inputs.get("targetKeyId") == key_id]
    if len(aliases) != 1:
        raise StackResolutionError(f"the table's key has {len(aliases)} aliases, expected one")
    return _text(aliases[0], "name")


def read_outputs(path: Path) -> dict[str, Any]:
    """`pulumi stack output --json`'s document, from a file."""
    from tap.textfile import TextFileError, read_text

    try:
        document = json.loads(read_text(path, limit=MAX_OUTPUTS_BYTES, what="an outputs file"))
    except TextFileError as exc:
        raise StackResolutionError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise StackResolutionError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(document, dict):
        raise StackResolutionError(f"{path}: not the object `pulumi stack output --json` writes")
    return document


def with_outputs(resources: StackResources, outputs: Mapping[str, Any]) -> StackResources:
    """`resources` with the key's ARN from the stack's outputs, once the outputs are shown to be
    this stack's (its table and function, when they name them)."""
    for output, mine in (("tableName", resources.table), ("functionName", resources.function)):
        theirs = outputs.get(output)
        if theirs is not None and theirs != mine:
            raise StackResolutionError(
                f"the outputs' {output} is {theirs!r}, not stack {resources.stack}'s {mine!r}"
            )
    if resources.kms_key_alias is None:
        return resources
    arn = outputs.get(KEY_ARN_OUTPUT)
    if not isinstance(arn, str) or not arn:
        raise StackResolutionError(
            f"the outputs hold no {KEY_ARN_OUTPUT}: deploy this version of tap, then "
            "`pulumi stack output --json` again"
        )
    return resources.with_key_arn(arn)


def as_deployed(resources: StackResources, kms: Any) -> StackResources:
    """`resources` with its key's ARN as the account (or the emulator) answers for its alias:
    KMS's DescribeKey, which takes an alias name for the key."""
    if resources.kms_key_alias is None:
        return resources
    found = kms.describe_key(KeyId=resources.kms_key_alias)["KeyMetadata"]
    return resources.with_key_arn(str(found["Arn"]))


def stack_resources(
    project_dir: Path, stack: str, *, use_cache: bool = True
) -> tuple[StackResources, EnvironmentConfig]:
    """The stack's resources (from its graph, cached like `tap check`'s) and its config."""
    from tap.synth.cache import synthesize_cached
    from tap.validation import validate_project

    graph, config = synthesize_cached(validate_project(project_dir), stack, use_cache=use_cache)
    return resolve(graph), config
