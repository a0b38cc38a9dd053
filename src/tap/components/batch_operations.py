"""BatchOperationsRole: the role an S3 Batch Operations backfill job assumes, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from tap import iam, resources
from tap.facts.arns import bucket_arn
from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL


@dataclass(frozen=True)
class BatchOperationsRoleArgs:
    """Inputs of BatchOperationsRole."""

    role_name: str
    """Physical name of the role."""
    alias: aws.lambda_.Alias
    """The processor's `live` alias: the only function the job may invoke."""
    manifest_bucket: str
    """The S3 Inventory destination: the job reads its manifest (and the CSVs) there."""
    report_bucket: str
    """Where the job writes its completion report."""
    report_prefix: str
    """The only prefix of the report bucket the job may write under."""
    partition: str
    """The stack's partition, for the buckets' ARNs."""


class BatchOperationsRole(pulumi.ComponentResource):
    """Trusted by S3 Batch Operations; invokes the alias, reads manifests, writes reports."""

    TYPE: ClassVar[str] = resources.BATCH_OPERATIONS_ROLE.token

    role: aws.iam.Role

    def __init__(
        self, name: str, args: BatchOperationsRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description="Assumed by S3 Batch Operations for tap backfill jobs: invokes the "
            "processor's live alias only",
            assume_role_policy=iam.service_trust(BATCH_OPERATIONS_PRINCIPAL),
            opts=child,
        )
        manifest_objects = f"{bucket_arn(args.manifest_bucket, args.partition)}/*"
        reports = f"{bucket_arn(args.report_bucket, args.partition)}/{args.report_prefix}*"
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-permissions",
            name="batch-operations-backfill",
            role=self.role.id,
            policy=iam.document(
                iam.allow("InvokeProcessorAlias", iam.BATCH_INVOKE_ACTIONS, [args.alias.arn]),
                iam.allow("ReadInventoryManifest", iam.BATCH_MANIFEST_ACTIONS, [manifest_objects]),
                iam.allow("WriteCompletionReport", iam.BATCH_REPORT_ACTIONS, [reports]),
            ),
            opts=child,
        )
        self.register_outputs({"roleArn": self.role.arn})
