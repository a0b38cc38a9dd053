"""DataBucket: a private, versioned, encrypted, TLS-only bucket that emits events to EventBridge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from tap import iam, resources
from tap.config.model import Bucket, LifecycleRule, Transition


@dataclass(frozen=True)
class DataBucketArgs:
    """Inputs of DataBucket."""

    bucket_name: str
    """Physical, globally unique name (from `tap.naming`)."""
    settings: Bucket
    """The bucket's config: versioning, encryption, lifecycle rules."""
    kms_key_arn: pulumi.Output[str] | None
    """The environment's key, required when the bucket uses aws:kms."""
    protect: bool
    """Production buckets are protected: `pulumi destroy` refuses until unprotected."""


def _rule_id(rule: LifecycleRule) -> str:
    return rule.id


def _transition_order(transition: Transition) -> tuple[int, str]:
    return (transition.days, transition.storage_class)


def lifecycle_rule(rule: LifecycleRule) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """One config rule in the shape `BucketLifecycleConfiguration` takes."""
    s3 = aws.s3
    return s3.BucketLifecycleConfigurationRuleArgs(
        id=rule.id,
        status="Enabled" if rule.enabled else "Disabled",
        filter=s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=rule.prefix),
        transitions=[
            s3.BucketLifecycleConfigurationRuleTransitionArgs(
                days=t.days, storage_class=t.storage_class
            )
            for t in sorted(rule.transitions, key=_transition_order)
        ]
        or None,
        expiration=s3.BucketLifecycleConfigurationRuleExpirationArgs(days=rule.expiration_days)
        if rule.expiration_days
        else None,
        noncurrent_version_transitions=[
            s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(
                noncurrent_days=t.days, storage_class=t.storage_class
            )
            for t in sorted(rule.noncurrent_version_transitions, key=_transition_order)
        ]
        or None,
        noncurrent_version_expiration=(
            s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=rule.noncurrent_version_expiration_days
            )
            if rule.noncurrent_version_expiration_days
            else None
        ),
        abort_incomplete_multipart_upload=(
            s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=rule.abort_incomplete_multipart_upload_days
            )
            if rule.abort_incomplete_multipart_upload_days
            else None
        ),
    )


class DataBucket(pulumi.ComponentResource):
    """The data bucket and every sub-resource that makes it safe and event-emitting."""

    TYPE: ClassVar[str] = resources.DATA_BUCKET.token

    bucket: aws.s3.Bucket
    notification: aws.s3.BucketNotification

    def __init__(
        self, name: str, args: DataBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            force_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        bucket_id = self.bucket.id
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration={"status": "Enabled" if settings.versioning else "Suspended"},
            opts=child,
        )
        self.encryption = self._encryption(name, args)
        if settings.lifecycle_rules:
            self.lifecycle = self._lifecycle(name, settings)
        objects = self.bucket.arn.apply(lambda arn: f"{arn}/*")
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=iam.document(iam.deny_insecure_transport(["s3:*"], [self.bucket.arn, objects])),
            # S3 rejects a bucket policy while the public access block is still being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
        # One per bucket: it owns the bucket's whole notification configuration.
        self.notification = aws.s3.BucketNotification(
            f"{name}-eventbridge", bucket=bucket_id, eventbridge=True, opts=child
        )
        self.register_outputs({"bucketName": self.bucket.bucket, "bucketArn": self.bucket.arn})

    def _encryption(
        self, name: str, args: DataBucketArgs
    ) -> aws.s3.BucketServerSideEncryptionConfiguration:
        """Default encryption: the environment's key with a bucket key, or SSE-S3."""
        settings = args.settings
        kms = settings.encryption.algorithm == "aws:kms"
        if kms and args.kms_key_arn is None:
            raise ValueError(f"bucket {args.bucket_name} uses aws:kms but has no key")
        return aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm=settings.encryption.algorithm,
                        kms_master_key_id=args.kms_key_arn if kms else None,
                    ),
                    # Bucket keys cut KMS requests (and cost) by orders of magnitude.
                    bucket_key_enabled=kms,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _lifecycle(self, name: str, settings: Bucket) -> aws.s3.BucketLifecycleConfiguration:
        """The configured lifecycle rules, once versioning is in place."""
        return aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            # Sorted: the order in the stack file means nothing to S3, so it must not
            # show up as a diff in `pulumi preview`.
            rules=[lifecycle_rule(r) for r in sorted(settings.lifecycle_rules, key=_rule_id)],
            # Rules on noncurrent versions only make sense once versioning is in place.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
