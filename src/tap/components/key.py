"""EncryptionKey: the environment's customer-managed KMS key, rotated, with an alias."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from tap import iam

DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class EncryptionKeyArgs:
    """Inputs of EncryptionKey."""

    account_id: str
    """The environment's account; its IAM principals administer and use the key."""
    alias: str
    """Alias name, `alias/...`."""
    replica_regions: tuple[str, ...] = ()
    """Regions that need a replica of the key (the items table's replicas)."""
    protect: bool = False
    """Production keys are protected: deleting the key makes every object, item and message
    encrypted with it unreadable, so `pulumi destroy` refuses until unprotected."""
    sender_services: tuple[str, ...] = field(
        default=("events.amazonaws.com", "cloudwatch.amazonaws.com")
    )
    """Services that send to resources encrypted with the key: EventBridge to the delivery DLQ,
    CloudWatch alarms to the alarm topic."""


WITHOUT_SOURCE_CONDITIONS = frozenset({"events.amazonaws.com"})
"""Senders whose KMS requests carry no aws:SourceAccount/aws:SourceArn: conditioning their grant
on those keys would make every delivery fail silently (EventBridge; see docs/architecture.md)."""


def key_policy(args: EncryptionKeyArgs) -> pulumi.Output[str]:
    """Account principals manage and use the key through IAM; named services may only encrypt."""
    statements = [
        # AWS's default key statement: without it the key becomes unmanageable.
        iam.allow(
            "AccountAdministersKeyThroughIam",
            ["kms:*"],
            ["*"],
            principal={"AWS": args.account_id},  # the account itself, i.e. its root
        )
    ]
    for service in sorted(args.sender_services):
        sid = "".join(part.capitalize() for part in service.split(".")[0].split("-"))
        statements.append(
            iam.allow(
                f"{sid}SendsEncryptedMessages",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                ["*"],
                principal={"Service": service},
                condition=None
                if service in WITHOUT_SOURCE_CONDITIONS
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

    key: aws.kms.Key
    replicas: dict[str, aws.kms.ReplicaKey]

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:key:EncryptionKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect)
        policy = key_policy(args)
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
