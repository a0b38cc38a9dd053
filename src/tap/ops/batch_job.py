"""The S3 Batch Operations job that backfills at a scale one machine should not list.

`job_request` builds s3control `CreateJob` for an S3 Inventory manifest: LambdaInvoke on the
processor's `live` alias (invocation schema 2.0, which `tap_processor.batch` answers), the
role the stack creates when `tap:backfill.batchOperations` is on (found in the graph by its
trust in S3 Batch Operations), a completion report of every task. `validate_request` checks it
offline against botocore's s3control service model, as boto3 would before sending it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from tap.errors import EXIT_USAGE, TapError
from tap.facts.arns import bucket_arn, partition_of
from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL

if TYPE_CHECKING:
    from tap.config import EnvironmentConfig
    from tap.ops.stack import StackResources

INVOCATION_SCHEMA: Final = "2.0"
MANIFEST_FORMAT: Final = "S3InventoryReport_CSV_20161130"
REPORT_FORMAT: Final = "Report_CSV_20180820"
PRIORITY: Final = 10
EMULATOR_NOTE: Final = (
    "the emulator cannot run S3 Batch Operations jobs (moto does not implement s3control "
    "CreateJob); --dry-run prints the validated request"
)
_TOKEN_NAMESPACE: Final = uuid.UUID("5a3b1d6e-7c2f-4e1a-9b8d-0f6c2e4a1b3c")


class BatchJobError(TapError):
    """A job that cannot be built or sent: wrong locations, no role, an invalid request."""

    exit_code = EXIT_USAGE
    prefix = "cannot create the batch operations job"


@dataclass(frozen=True, slots=True)
class S3Location:
    """An `s3://bucket/key` location."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, text: str, what: str) -> S3Location:
        """`s3://bucket/key`; BatchJobError otherwise."""
        bucket, _, key = text.removeprefix("s3://").partition("/")
        if not text.startswith("s3://") or not bucket:
            raise BatchJobError(f"{what} must be s3://bucket/..., got {text!r}")
        return cls(bucket, key)


def batch_role_arn(resources: StackResources) -> str:
    """The ARN of the stack's role that S3 Batch Operations may assume."""
    found = resources.batch_role_arns
    if len(found) != 1:
        raise BatchJobError(
            f"the stack has {len(found)} roles trusted by {BATCH_OPERATIONS_PRINCIPAL}: set "
            "tap:backfill.batchOperations: true (with manifestBucket and reportBucket) and deploy"
        )
    return found[0]


def job_request(
    resources: StackResources,
    config: EnvironmentConfig,
    *,
    role_arn: str,
    manifest: S3Location,
    manifest_etag: str,
    report: S3Location,
) -> dict[str, Any]:
    """The CreateJob request; the locations must be the ones the batch role is granted."""
    settings = config.backfill
    if manifest.bucket != settings.manifest_bucket:
        raise BatchJobError(
            f"the manifest must be in tap:backfill.manifestBucket ({settings.manifest_bucket}), "
            f"the only bucket the job's role may read; got {manifest.bucket}"
        )
    if report.bucket != settings.report_bucket or not report.key.startswith(settings.report_prefix):
        raise BatchJobError(
            f"the report must go under s3://{settings.report_bucket}/{settings.report_prefix} "
            f"(tap:backfill.reportBucket and reportPrefix), where the job's role may write"
        )
    partition = partition_of(resources.region)
    manifest_arn = f"{bucket_arn(manifest.bucket, partition)}/{manifest.key}"
    return {
        "AccountId": resources.account_id,
        "ConfirmationRequired": True,
        "Operation": {
            "LambdaInvoke": {
                "FunctionArn": resources.alias_arn,
                "InvocationSchemaVersion": INVOCATION_SCHEMA,
            }
        },
        "Report": {
            "Bucket": bucket_arn(report.bucket, partition),
            "Format": REPORT_FORMAT,
            "Enabled": True,
            "Prefix": report.key.rstrip("/"),
            "ReportScope": "AllTasks",
        },
        # The same manifest version makes the same token: a repeated command is one job.
        "ClientRequestToken": str(
            uuid.uuid5(_TOKEN_NAMESPACE, f"{resources.stack}\n{manifest_arn}\n{manifest_etag}")
        ),
        "Manifest": {
            "Spec": {"Format": MANIFEST_FORMAT},
            "Location": {"ObjectArn": manifest_arn, "ETag": manifest_etag},
        },
        "Description": f"tap backfill of stack {resources.stack}",
        "Priority": PRIORITY,
        "RoleArn": role_arn,
    }


def validate_request(request: dict[str, Any]) -> None:
    """Check the request against botocore's s3control CreateJob input shape (offline)."""
    import botocore.session
    from botocore.exceptions import ParamValidationError
    from botocore.validate import validate_parameters

    model = botocore.session.get_session().get_service_model("s3control")
    shape = model.operation_model("CreateJob").input_shape
    assert shape is not None  # CreateJob has an input
    try:
        validate_parameters(request, shape)
    except ParamValidationError as error:
        detail = " ".join(str(error).split("\n")[1:]) or str(error)  # one line, no preamble
        raise BatchJobError(f"the request fails s3control's CreateJob model: {detail}") from error
