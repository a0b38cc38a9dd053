"""`tap backfill --batch-operations`: build, validate and (without --dry-run) create the job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tap.cli.output import fail, out, user_errors, write_json
from tap.errors import EXIT_USAGE

if TYPE_CHECKING:
    from tap.cli.options import OpsOptions
    from tap.ops.batch_job import S3Location
    from tap.ops.session import OpsSession


def create_batch_job(
    *,
    stack: str,
    manifest: str | None,
    manifest_etag: str | None,
    report: str | None,
    ops: OpsOptions,
) -> None:
    """Print the CreateJob request (--dry-run) or send it and print the job id."""
    if not manifest or not report:
        fail("--batch-operations needs --manifest s3://... and --report s3://...", EXIT_USAGE)
    from tap.cli.ops_common import connect_stack
    from tap.ops.batch_job import (
        EMULATOR_NOTE,
        BatchJobError,
        S3Location,
        batch_role_arn,
        job_request,
        validate_request,
    )
    from tap.ops.stack import stack_resources

    with user_errors():
        manifest_at = S3Location.parse(manifest, "--manifest")
        report_at = S3Location.parse(report, "--report")
        resources, config = stack_resources(ops.project_dir, stack, use_cache=not ops.no_cache)
        batch_role = batch_role_arn(resources)
        session = None
        if manifest_etag is None or not ops.dry_run:
            session = connect_stack(resources, config, ops)
        if session is not None and session.local and not ops.dry_run:
            raise BatchJobError(EMULATOR_NOTE)
        etag = manifest_etag or _manifest_etag(session, manifest_at)
        request = job_request(
            resources,
            config,
            role_arn=batch_role,
            manifest=manifest_at,
            manifest_etag=etag,
            report=report_at,
        )
        validate_request(request)
        if ops.dry_run:
            write_json(request)
            return
        assert session is not None
        job = session.client("s3control").create_job(**request)
    out().print(f"created S3 Batch Operations job {job['JobId']} (confirm it to start)")


def _manifest_etag(session: OpsSession | None, manifest: S3Location) -> str:
    """The manifest's current ETag, by HeadObject (needs s3:GetObject on the manifest)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from tap.ops.batch_job import BatchJobError

    assert session is not None  # connected whenever there is no --manifest-etag
    try:
        head = session.client("s3").head_object(Bucket=manifest.bucket, Key=manifest.key)
    except (BotoCoreError, ClientError) as error:
        raise BatchJobError(
            f"cannot read s3://{manifest.bucket}/{manifest.key}: {error}; or pass --manifest-etag"
        ) from error
    return str(head["ETag"]).strip('"')
