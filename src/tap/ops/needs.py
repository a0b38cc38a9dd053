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

from tap.facts.arns import bucket_arn, build_arn, kms_key_arn, partition_of
from tap.facts.policies import alias_condition
from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL

if TYPE_CHECKING:
    from tap.ops.stack import StackResources


class Command(StrEnum):
    """A day-2 command, or a mode of one that needs other permissions."""

    BACKFILL = "backfill"
    RECONCILE = "reconcile"
    REDRIVE = "redrive"
    BACKFILL_BATCH = "backfill-batch"
    """`tap backfill --batch-operations`: create an S3 Batch Operations job."""


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
    """The stack's customer-managed key, when it has one: its deployed ARN when the stack's
    outputs gave it, else every key of the account and region that carries the stack's alias."""
    INVENTORY = "inventory"
    """An S3 Inventory report's objects (`reconcile --inventory`, a batch job's manifest):
    outside the stack, so the policy cannot name them; grant them on the report's destination
    bucket."""
    NEW_JOBS = "new_jobs"
    """A job not yet created: `s3:CreateJob` has no resource-level permissions, so `*`
    (granted only when the stack has its one batch role)."""
    JOBS = "jobs"
    """S3 Batch Operations jobs in the stack's account and region (`job/*`)."""
    BATCH_ROLE = "batch_role"
    """The role a batch job runs as, passed only to S3 Batch Operations."""


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
    OperatorNeed(
        Command.BACKFILL_BATCH,
        "s3:GetObject",
        OpsResource.INVENTORY,
        "the manifest's current ETag (HeadObject), unless --manifest-etag gives it",
    ),
    OperatorNeed(
        Command.BACKFILL_BATCH,
        "s3:CreateJob",
        OpsResource.NEW_JOBS,
        "create the LambdaInvoke job on the live alias (it waits for confirmation)",
    ),
    OperatorNeed(
        Command.BACKFILL_BATCH,
        "s3:UpdateJobStatus",
        OpsResource.JOBS,
        "confirm the job: aws s3control update-job-status --requested-job-status Ready",
    ),
    OperatorNeed(
        Command.BACKFILL_BATCH,
        "iam:PassRole",
        OpsResource.BATCH_ROLE,
        "CreateJob hands the job the stack's batch role (its RoleArn)",
    ),
)

CONDITIONS: Final[dict[OpsResource, dict[str, dict[str, str]]]] = {
    OpsResource.BATCH_ROLE: {"StringEquals": {"iam:PassedToService": BATCH_OPERATIONS_PRINCIPAL}},
}
"""The condition on every statement about one kind of resource: the batch role may be passed
to S3 Batch Operations only."""


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
    if kind is OpsResource.NEW_JOBS:
        return ["*"] if resources.batch_role_arn else []
    if kind is OpsResource.JOBS:
        jobs = build_arn(partition, "s3", resources.region, resources.account_id, "job/*")
        return [jobs] if resources.batch_role_arn else []
    if kind is OpsResource.BATCH_ROLE:
        return [resources.batch_role_arn] if resources.batch_role_arn else []
    return _key_arns(resources)


def _key_arns(resources: StackResources) -> list[str]:
    """The key as deployed, or (named by its alias in a condition) any key of the account."""
    if resources.kms_key_arn:
        return [resources.kms_key_arn]
    if resources.kms_key_alias:
        partition = partition_of(resources.region)
        return [kms_key_arn(partition, resources.region, resources.account_id, "*")]
    return []


def condition(resources: StackResources, kind: OpsResource) -> dict[str, Any] | None:
    """The condition on a statement about one kind of resource, if it has one."""
    if kind is OpsResource.KMS_KEY and not resources.kms_key_arn and resources.kms_key_alias:
        return alias_condition(resources.kms_key_alias)
    return CONDITIONS.get(kind)


def operator_policy(
    resources: StackResources, commands: Iterable[Command] = tuple(Command)
) -> dict[str, Any]:
    """The least-privilege IAM policy for running `commands` on this stack.

    One statement per command and resource kind, with exactly the actions and ARNs it needs
    (and the kind's condition). A stack without its one batch role gets no batch statements.
    No ARN holds an id the mock monitor made up: the key is its deployed ARN, or its alias.
    """
    statements: list[dict[str, Any]] = []
    for command in commands:
        for kind in OpsResource:
            actions = sorted({n.action for n in needs_of([command]) if n.resource is kind})
            arns = resource_arns(resources, kind)
            if actions and arns:
                sid = "".join(
                    p.capitalize() for p in f"{command}_{kind}".replace("-", "_").split("_")
                )
                statement: dict[str, Any] = {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Action": actions,
                    "Resource": arns,
                }
                if (when := condition(resources, kind)) is not None:
                    statement["Condition"] = when
                statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}
