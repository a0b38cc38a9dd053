"""What the bridged terraform provider reads of each resource type, beyond what it creates.

After every create, and on every refresh, the provider runs the type's read function, which calls
more APIs than the create did (a bucket's read asks for its ACL, CORS, website, logging,
replication and more). Each entry lists the IAM actions those reads need and the
terraform-provider-aws source file whose read function makes them
(repository hashicorp/terraform-provider-aws; docs/deploy-role.md says how they were taken).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tap.facts import tokens

PROVIDER_REPOSITORY: Final = "hashicorp/terraform-provider-aws"
UNSCOPED_ACTIONS: Final = frozenset({"kms:ListAliases", "logs:DescribeLogGroups"})
"""Reads IAM authorises on no resource narrower than `*` (the Service Authorization pages)."""


@dataclass(frozen=True, slots=True)
class ProviderReads:
    """The IAM actions one resource type's read function needs, and where that function is."""

    actions: tuple[str, ...]
    source: str
    """The file in PROVIDER_REPOSITORY that holds the type's read function."""


_S3: Final = "internal/service/s3/"

PROVIDER_READS: Final[dict[str, ProviderReads]] = {
    tokens.BUCKET: ProviderReads(
        (
            "s3:ListBucket",  # HeadBucket
            "s3:GetBucketPolicy",
            "s3:GetBucketAcl",
            "s3:GetBucketCORS",
            "s3:GetBucketWebsite",
            "s3:GetBucketVersioning",
            "s3:GetAccelerateConfiguration",
            "s3:GetBucketRequestPayment",
            "s3:GetBucketLogging",
            "s3:GetLifecycleConfiguration",
            "s3:GetReplicationConfiguration",
            "s3:GetEncryptionConfiguration",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetBucketLocation",
            "s3:GetBucketTagging",
        ),
        f"{_S3}bucket.go",
    ),
    tokens.BUCKET_OWNERSHIP_CONTROLS: ProviderReads(
        ("s3:GetBucketOwnershipControls",), f"{_S3}bucket_ownership_controls.go"
    ),
    tokens.PUBLIC_ACCESS_BLOCK: ProviderReads(
        ("s3:GetBucketPublicAccessBlock",), f"{_S3}bucket_public_access_block.go"
    ),
    tokens.BUCKET_VERSIONING: ProviderReads(
        ("s3:GetBucketVersioning",), f"{_S3}bucket_versioning.go"
    ),
    tokens.BUCKET_ENCRYPTION: ProviderReads(
        ("s3:GetEncryptionConfiguration",),
        f"{_S3}bucket_server_side_encryption_configuration.go",
    ),
    tokens.BUCKET_LIFECYCLE: ProviderReads(
        ("s3:GetLifecycleConfiguration",), f"{_S3}bucket_lifecycle_configuration.go"
    ),
    tokens.BUCKET_POLICY: ProviderReads(("s3:GetBucketPolicy",), f"{_S3}bucket_policy.go"),
    tokens.BUCKET_NOTIFICATION: ProviderReads(
        ("s3:GetBucketNotification",), f"{_S3}bucket_notification.go"
    ),
    tokens.TABLE: ProviderReads(
        (
            "dynamodb:DescribeTable",
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:ListTagsOfResource",
        ),
        "internal/service/dynamodb/table.go",
    ),
    tokens.TABLE_REPLICA: ProviderReads(
        (
            "dynamodb:DescribeTable",
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:ListTagsOfResource",
        ),
        "internal/service/dynamodb/table_replica.go",
    ),
    tokens.QUEUE: ProviderReads(
        ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"),
        "internal/service/sqs/queue.go",
    ),
    tokens.QUEUE_POLICY: ProviderReads(
        ("sqs:GetQueueAttributes",), "internal/service/sqs/queue_policy.go"
    ),
    tokens.ROLE: ProviderReads(
        (
            "iam:GetRole",
            "iam:ListRolePolicies",  # inline_policy: each one read with GetRolePolicy
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
        ),
        "internal/service/iam/role.go",
    ),
    tokens.ROLE_POLICY: ProviderReads(
        ("iam:GetRolePolicy",), "internal/service/iam/role_policy.go"
    ),
    tokens.ROLE_POLICY_ATTACHMENT: ProviderReads(
        ("iam:ListAttachedRolePolicies",), "internal/service/iam/role_policy_attachment.go"
    ),
    tokens.FUNCTION: ProviderReads(
        (
            "lambda:GetFunction",  # its Concurrency answers reserved_concurrent_executions
            "lambda:GetFunctionConfiguration",  # the waiters after create and update
            "lambda:GetFunctionCodeSigningConfig",
            "lambda:ListVersionsByFunction",  # the latest published version
        ),
        "internal/service/lambda/function.go",
    ),
    tokens.LAMBDA_ALIAS: ProviderReads(("lambda:GetAlias",), "internal/service/lambda/alias.go"),
    tokens.PERMISSION: ProviderReads(
        ("lambda:GetPolicy",), "internal/service/lambda/permission.go"
    ),
    tokens.INVOKE_CONFIG: ProviderReads(
        ("lambda:GetFunctionEventInvokeConfig",),
        "internal/service/lambda/function_event_invoke_config.go",
    ),
    tokens.EVENT_RULE: ProviderReads(
        ("events:DescribeRule", "events:ListTagsForResource"), "internal/service/events/rule.go"
    ),
    tokens.EVENT_TARGET: ProviderReads(
        ("events:ListTargetsByRule",), "internal/service/events/target.go"
    ),
    tokens.LOG_GROUP: ProviderReads(
        ("logs:DescribeLogGroups", "logs:ListTagsForResource"),
        "internal/service/logs/group.go",
    ),
    tokens.METRIC_ALARM: ProviderReads(
        ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
        "internal/service/cloudwatch/metric_alarm.go",
    ),
    tokens.DASHBOARD: ProviderReads(
        ("cloudwatch:GetDashboard",), "internal/service/cloudwatch/dashboard.go"
    ),
    tokens.TOPIC: ProviderReads(
        ("sns:GetTopicAttributes", "sns:ListTagsForResource"), "internal/service/sns/topic.go"
    ),
    tokens.TOPIC_SUBSCRIPTION: ProviderReads(
        ("sns:GetSubscriptionAttributes",), "internal/service/sns/topic_subscription.go"
    ),
    tokens.TOPIC_POLICY: ProviderReads(
        ("sns:GetTopicAttributes",), "internal/service/sns/topic_policy.go"
    ),
    tokens.KMS_KEY: ProviderReads(
        (
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListResourceTags",
        ),
        "internal/service/kms/key.go",
    ),
    tokens.KMS_REPLICA_KEY: ProviderReads(
        ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListResourceTags"),
        "internal/service/kms/replica_key.go",
    ),
    tokens.KMS_ALIAS: ProviderReads(("kms:ListAliases",), "internal/service/kms/alias.go"),
    tokens.KMS_KEY_POLICY: ProviderReads(
        ("kms:DescribeKey", "kms:GetKeyPolicy"), "internal/service/kms/key_policy.go"
    ),
}
"""By resource type token; tests/facts/test_provider_reads.py checks every AWS type is here."""


def reads_of(type_token: str) -> ProviderReads:
    """The reads of one resource type; KeyError names a type nobody listed."""
    try:
        return PROVIDER_READS[type_token]
    except KeyError:
        raise KeyError(f"no provider reads listed for {type_token}") from None
