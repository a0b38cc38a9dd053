"""The IAM actions the processor needs, as data, so the infrastructure grants exactly these."""

from dataclasses import dataclass
from enum import StrEnum


class ResourceKind(StrEnum):
    """The kind of resource a need applies to; a str, so `need.resource == "table"` holds."""

    TABLE = "table"
    """The items table (not its indexes or streams)."""
    BUCKET = "bucket"
    """The data buckets whose events the processor records (the buckets, not their objects)."""
    DLQ = "dlq"
    """The processor's DLQ for rejected events."""
    KMS_KEY = "kms_key"
    """The customer-managed key encrypting the DLQ, when there is one."""
    LOG_GROUP = "log_group"
    """The function's own CloudWatch log group."""
    ANY = "*"
    """Actions that support no resource-level permissions (X-Ray)."""


@dataclass(frozen=True, slots=True)
class HandlerNeed:
    """One IAM action on one kind of resource, with why the handler needs it."""

    action: str
    resource: ResourceKind
    reason: str
    when_dlq_uses_cmk: bool = False
    """Grant only when the DLQ is encrypted with a customer-managed KMS key."""


HANDLER_NEEDS: tuple[HandlerNeed, ...] = (
    HandlerNeed(
        "dynamodb:PutItem",
        ResourceKind.TABLE,
        "one conditional write per event; ALL_OLD on a failed condition needs no read action",
    ),
    HandlerNeed(
        "s3:ListBucketVersions",
        ResourceKind.BUCKET,
        "read the current version after one version is permanently deleted (ListObjectVersions "
        "with Prefix=key, MaxKeys=1): metadata only, where HeadObject would need s3:GetObject, a "
        "grant to read every object, and s3:ListBucket",
    ),
    HandlerNeed("sqs:SendMessage", ResourceKind.DLQ, "send rejected events with their reason"),
    HandlerNeed(
        "kms:GenerateDataKey",
        ResourceKind.KMS_KEY,
        "SQS producers need a data key to send to a CMK-encrypted queue",
        when_dlq_uses_cmk=True,
    ),
    HandlerNeed(
        "kms:Decrypt",
        ResourceKind.KMS_KEY,
        "SQS producers need to decrypt the cached data key of a CMK-encrypted queue; the same "
        "grant lets DynamoDB unwrap the table key for the caller (tap:kmsKey encrypts the table "
        "and the DLQ with one key, so one grant serves both)",
        when_dlq_uses_cmk=True,
    ),
)
"""What process_handler.lambda_handler calls. EMF metrics go through logs: no PutMetricData."""

RUNTIME_NEEDS: tuple[HandlerNeed, ...] = (
    HandlerNeed("logs:CreateLogStream", ResourceKind.LOG_GROUP, "the runtime's log streams"),
    HandlerNeed("logs:PutLogEvents", ResourceKind.LOG_GROUP, "JSON logs and EMF metrics"),
    HandlerNeed("xray:PutTraceSegments", ResourceKind.ANY, "active tracing"),
    HandlerNeed("xray:PutTelemetryRecords", ResourceKind.ANY, "active tracing"),
)
"""What the Lambda runtime itself needs, independent of the handler's code."""


def needs(*, dlq_uses_cmk: bool, include_runtime: bool = True) -> tuple[HandlerNeed, ...]:
    """Return the needs to grant for a deployment, dropping KMS ones when the DLQ has no CMK."""
    selected = tuple(n for n in HANDLER_NEEDS if dlq_uses_cmk or not n.when_dlq_uses_cmk)
    return selected + RUNTIME_NEEDS if include_runtime else selected
