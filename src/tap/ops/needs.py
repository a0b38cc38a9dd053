"""The IAM actions each day-2 command needs, as data: the operator policy is built from these.

docs/operations.md prints the policy `operator_policy` builds for the shipped dev stack, and the
commands record every call they make (`OpsSession.calls`), so a test can prove each call is
allowed by this policy with the same evaluators `tap local` judges the handler's calls with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from tap.facts.arns import bucket_arn, build_arn, partition_of

if TYPE_CHECKING:
    from tap.ops.stack import StackResources


class Command(StrEnum):
    """A day-2 command."""

    BACKFILL = "backfill"
    RECONCILE = "reconcile"
    REDRIVE = "redrive"


class OpsResource(StrEnum):
    """What an operator action acts on."""

    BUCKETS = "buckets"
    """The data buckets themselves (bucket-level actions)."""
    TABLE = "table"
    QUEUES = "queues"
    """Both dead-letter queues."""
    ALIAS = "alias"
    """The processor's `live` alias."""
    KMS_KEY = "kms_key"
    """The stack's customer-managed key, when it has one."""
    INVENTORY = "inventory"
    """An S3 Inventory report's objects (`reconcile --inventory`): outside the stack, so the
    policy cannot name them; grant them on the report's destination bucket."""


@dataclass(frozen=True, slots=True)
class OperatorNeed:
    """One IAM action one command needs on one kind of resource, and why."""

    command: Command
    action: str
    resource: OpsResource
    reason: str


OPERATOR_NEEDS: Final[tuple[OperatorNeed, ...]] = (
    OperatorNeed(
        Command.BACKFILL,
        "s3:ListBucketVersions",
        OpsResource.BUCKETS,
        "list every key's current version (ListObjectVersions): metadata only",
    ),
    OperatorNeed(
        Command.BACKFILL,
        "dynamodb:PutItem",
        OpsResource.TABLE,
        "insert-if-absent writes of the processor's own items",
    ),
    OperatorNeed(
        Command.BACKFILL,
        "dynamodb:GetItem",
        OpsResource.TABLE,
        "--dry-run: whether each listed object already has an item (its key only)",
    ),
    OperatorNeed(
        Command.BACKFILL,
        "kms:Decrypt",
        OpsResource.KMS_KEY,
        "DynamoDB unwraps the table key for the caller of a CMK-encrypted table",
    ),
    OperatorNeed(
        Command.RECONCILE,
        "s3:ListBucketVersions",
        OpsResource.BUCKETS,
        "list every key's current version; re-read one key before a repair",
    ),
    OperatorNeed(Command.RECONCILE, "dynamodb:Scan", OpsResource.TABLE, "read every item"),
    OperatorNeed(
        Command.RECONCILE,
        "dynamodb:GetItem",
        OpsResource.TABLE,
        "read a drifted item again, consistently, before reporting or repairing it",
    ),
    OperatorNeed(
        Command.RECONCILE,
        "dynamodb:PutItem",
        OpsResource.TABLE,
        "--repair: a write conditioned on the item being unchanged since it was read",
    ),
    OperatorNeed(
        Command.RECONCILE,
        "s3:GetObject",
        OpsResource.INVENTORY,
        "--inventory: read the report's manifest.json and data files",
    ),
    OperatorNeed(
        Command.RECONCILE,
        "kms:Decrypt",
        OpsResource.KMS_KEY,
        "DynamoDB unwraps the table key for the caller of a CMK-encrypted table",
    ),
    OperatorNeed(Command.REDRIVE, "sqs:GetQueueUrl", OpsResource.QUEUES, "find the DLQ"),
    OperatorNeed(
        Command.REDRIVE,
        "sqs:GetQueueAttributes",
        OpsResource.QUEUES,
        "count the messages that remain",
    ),
    OperatorNeed(Command.REDRIVE, "sqs:ReceiveMessage", OpsResource.QUEUES, "read dead letters"),
    OperatorNeed(
        Command.REDRIVE,
        "sqs:DeleteMessage",
        OpsResource.QUEUES,
        "delete a dead letter once its event was accepted again",
    ),
    OperatorNeed(
        Command.REDRIVE,
        "sqs:ChangeMessageVisibility",
        OpsResource.QUEUES,
        "hand back, at once, the messages redrive leaves (rejections, failed invokes)",
    ),
    OperatorNeed(
        Command.REDRIVE,
        "lambda:InvokeFunction",
        OpsResource.ALIAS,
        "re-submit each event to the live alias as an asynchronous invoke",
    ),
    OperatorNeed(
        Command.REDRIVE,
        "kms:Decrypt",
        OpsResource.KMS_KEY,
        "SQS decrypts messages of a CMK-encrypted queue with the receiver's credentials",
    ),
)


def needs_of(commands: Iterable[Command]) -> tuple[OperatorNeed, ...]:
    """The needs of some commands, in registry order."""
    wanted = set(commands)
    return tuple(n for n in OPERATOR_NEEDS if n.command in wanted)


def resource_arns(resources: StackResources, kind: OpsResource) -> list[str]:
    """The ARNs one kind of resource stands for in this stack (none for an absent CMK)."""
    partition = partition_of(resources.region)
    if kind is OpsResource.BUCKETS:
        return [bucket_arn(b, partition) for b in resources.buckets]
    if kind is OpsResource.TABLE:
        return [
            build_arn(
                partition,
                "dynamodb",
                resources.region,
                resources.account_id,
                f"table/{resources.table}",
            )
        ]
    if kind is OpsResource.QUEUES:
        return [resources.delivery_dlq.arn, resources.processor_dlq.arn]
    if kind is OpsResource.ALIAS:
        return [resources.alias_arn]
    if kind is OpsResource.INVENTORY:
        return []
    return [resources.kms_key_arn] if resources.kms_key_arn else []


def operator_policy(
    resources: StackResources, commands: Iterable[Command] = tuple(Command)
) -> dict[str, Any]:
    """The least-privilege IAM policy for running `commands` on this stack.

    One statement per command and resource kind, with exactly the actions and ARNs it needs.
    """
    statements: list[dict[str, Any]] = []
    for command in commands:
        for kind in OpsResource:
            actions = sorted({n.action for n in needs_of([command]) if n.resource is kind})
            arns = resource_arns(resources, kind)
            if actions and arns:
                statements.append(
                    {
                        "Sid": f"{command.value.capitalize()}{kind.value.title().replace('_', '')}",
                        "Effect": "Allow",
                        "Action": actions,
                        "Resource": arns,
                    }
                )
    return {"Version": "2012-10-17", "Statement": statements}
