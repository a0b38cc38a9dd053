"""ItemsTable: one item per object with its latest state, replicated to other regions in prod."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from tap import resources
from tap.config.model import Table

HASH_KEY = "id"


@dataclass(frozen=True)
class ItemsTableArgs:
    """Inputs of ItemsTable."""

    table_name: str
    """Physical table name (from `tap.naming`)."""
    region: str
    """The table's own region; replicas must be elsewhere."""
    settings: Table
    """PITR, deletion protection and replica regions."""
    kms_key_arn: pulumi.Output[str] | None = None
    """The environment's key; None uses DynamoDB's AWS-owned key."""
    replica_kms_key_arns: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """A key in each replica region, when the table uses the environment's key."""


class ItemsTable(pulumi.ComponentResource):
    """On-demand table keyed by object id, with streams, PITR, protection and replicas."""

    TYPE: ClassVar[str] = resources.ITEMS_TABLE.token

    table: aws.dynamodb.Table
    replicas: dict[str, aws.dynamodb.TableReplica]

    def __init__(
        self, name: str, args: ItemsTableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        settings = args.settings
        for region in settings.replica_regions:
            if region == args.region:
                raise ValueError(f"replica region {region} is the table's own region")
        encryption = aws.dynamodb.TableServerSideEncryptionArgs(
            enabled=args.kms_key_arn is not None, kms_key_arn=args.kms_key_arn
        )
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=args.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=HASH_KEY,
            attributes=[{"name": HASH_KEY, "type": "S"}],
            # Replicas need streams; leaving them unset makes every update try to disable them.
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
            point_in_time_recovery={"enabled": settings.point_in_time_recovery},
            deletion_protection_enabled=settings.deletion_protection,
            server_side_encryption=encryption,
            # TableReplica resources own the replica set.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["replicas"]),
        )
        self.replicas = {
            region: aws.dynamodb.TableReplica(
                f"{name}-replica-{region}",
                global_table_arn=self.table.arn,
                region=region,
                kms_key_arn=args.replica_kms_key_arns.get(region),
                point_in_time_recovery=settings.point_in_time_recovery,
                deletion_protection_enabled=settings.deletion_protection,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for region in settings.replica_regions
        }
        self.register_outputs(
            {
                "tableName": self.table.name,
                "tableArn": self.table.arn,
                "replicaRegions": list(self.replicas),
            }
        )
