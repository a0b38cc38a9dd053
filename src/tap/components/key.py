"""EncryptionKey: the environment's customer-managed KMS key, rotated, with an alias."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from tap import iam, resources
from tap.facts.arns import build_arn
from tap.facts.principals import CLOUDWATCH_PRINCIPAL, EVENTS_PRINCIPAL

DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class EncryptionKeyArgs:
    """Inputs of EncryptionKey."""

    account_id: str
    """The environment's account; its IAM principals administer and use the key."""
    region: str
    """The key's (and the dead-letter queues') region."""
    alias: str
    """Alias name, `alias/...`."""
    replica_regions: tuple[str, ...] = ()
    """Regions that need a replica of the key (the items table's replicas)."""
    protect: bool = False
    """Production keys are protected: deleting the key makes every object, item and message
    encrypted with it unreadable, so `pulumi destroy` refuses until unprotected."""
    sender_services: tuple[str, ...] = field(default=(EVENTS_PRINCIPAL, CLOUDWATCH_PRINCIPAL))
    """Services that send to resources encrypted with the key: EventBridge to the delivery DLQ,
    CloudWatch alarms to the alarm topic."""
    dead_letter_queue_names: tuple[str, ...] = ()
    """Physical names of the queues EventBridge dead-letters into; its grant is scoped to them."""


SQS_QUEUE_CONTEXT = "kms:EncryptionContext:aws:sqs:arn"
"""The encryption context SQS server-side encryption sends with each KMS request it makes for
a sender: the queue's ARN under `aws:sqs:arn`. A grant conditioned on it yields data keys for
those queues only. The grant itself follows the Amazon SQS Developer Guide, "Key management",
Configure KMS permissions for AWS services (sqs-key-management.html); docs/rules.md says what
could and could not be confirmed about the context key."""


def dead_letter_queue_arns(
    partition: pulumi.Input[str], region: str, account_id: str, names: tuple[str, ...]
) -> list[pulumi.Output[str]]:
    """The dead-letter queues' ARNs, from the physical names they will be created with.

    Built rather than read from `queue.arn`: each queue is encrypted with this key, so a key
    policy that waited for the queues would be a dependency cycle. `kms-key-admits-senders`
    compares these with the queues' real ARNs, so a mismatch fails `tap check`.
    """

    def queue_arn(name: str) -> pulumi.Output[str]:
        return pulumi.Output.from_input(partition).apply(
            lambda p: build_arn(p, "sqs", region, account_id, name)
        )

    return [queue_arn(name) for name in names]


def key_policy(args: EncryptionKeyArgs, partition: pulumi.Input[str] = "aws") -> pulumi.Output[str]:
    """Account principals manage and use the key through IAM; named services may only encrypt.

    CloudWatch's grant is conditioned on aws:SourceAccount. EventBridge's KMS requests carry no
    aws:Source* keys (docs/architecture.md), so its grant is scoped by the encryption context
    instead: only data keys for the dead-letter queues' ARNs. Without those queues EventBridge
    gets no grant at all.
    """
    statements = [
        # AWS's default key statement: without it the key becomes unmanageable.
        iam.allow(
            "AccountAdministersKeyThroughIam",
            ["kms:*"],
            ["*"],
            principal={"AWS": args.account_id},  # the account itself, i.e. its root
        )
    ]
    queue_arns = dead_letter_queue_arns(
        partition, args.region, args.account_id, args.dead_letter_queue_names
    )
    for service in sorted(args.sender_services):
        if service == EVENTS_PRINCIPAL and not queue_arns:
            continue
        sid = "".join(part.capitalize() for part in service.split(".")[0].split("-"))
        statements.append(
            iam.allow(
                f"{sid}SendsEncryptedMessages",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                ["*"],
                principal={"Service": service},
                condition={"StringEquals": {SQS_QUEUE_CONTEXT: queue_arns}}
                if service == EVENTS_PRINCIPAL
                else {"StringEquals": {"aws:SourceAccount": args.account_id}},
            )
        )
    return iam.document(*statements)


class EncryptionKey(pulumi.ComponentResource):
    """A rotated customer-managed multi-Region key, replicated where the table is.

    The key is always multi-Region: the property cannot change on an existing key, so a
    single-Region key would force a new key (and re-encryption of everything) the day an
    environment adds its first replica. Multi-Region costs nothing extra until replicated.
    """

    TYPE: ClassVar[str] = resources.ENCRYPTION_KEY.token

    key: aws.kms.Key
    replicas: dict[str, aws.kms.ReplicaKey]

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        policy = key_policy(args, partition.partition)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"tap {args.alias}: data, items, queues and alarms",
            enable_key_rotation=True,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            multi_region=True,
            policy=policy,
            # multi_region forces a new key when it changes; a key created single-Region by an
            # earlier tap keeps living instead of being replaced (and its data orphaned).
            opts=pulumi.ResourceOptions.merge(
                kept, pulumi.ResourceOptions(ignore_changes=["multiRegion"])
            ),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias", name=args.alias, target_key_id=self.key.key_id, opts=child
        )
        self.replicas = {
            region: aws.kms.ReplicaKey(
                f"{name}-replica-{region}",
                primary_key_arn=self.key.arn,
                region=region,
                deletion_window_in_days=DELETION_WINDOW_DAYS,
                description=f"tap {args.alias}: replica for the items table in {region}",
                policy=policy,
                opts=kept,
            )
            for region in args.replica_regions
        }
        self.register_outputs(
            {
                "keyArn": self.key.arn,
                "aliasName": self.alias.name,
                "replicaKeyArns": {r: k.arn for r, k in self.replicas.items()},
            }
        )
