"""S3 Batch Operations invocations: one backfill write per task, answered in the documented shape.

S3 Batch Operations invokes the function synchronously with `invocationSchemaVersion` "1.0" or
"2.0" and `tasks[]` (one task per invocation today), and reads per-task `resultCode`s back:
`Succeeded`, `TemporaryFailure` (S3 retries the task) or `PermanentFailure`. Each task's
object is read with `VersionReader.read` (one ListObjectVersions: metadata only, no
`s3:GetObject`) and written with `backfill.insert_listed`, the write `tap backfill` makes.
Nothing here raises for a per-task problem: a malformed task is a PermanentFailure with its
reason, a throttled or failing AWS call a TemporaryFailure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, TypeGuard
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from tap_processor.backfill import insert_listed
from tap_processor.errors import (
    MalformedTaskError,
    ProcessorError,
    UnwritableEventError,
    shown,
)
from tap_processor.state import Status
from tap_processor.store import iso_utc

if TYPE_CHECKING:
    from tap_processor.store import ItemStore
    from tap_processor.versions import VersionReader

SCHEMA_VERSIONS: Final = ("1.0", "2.0")
"""The `invocationSchemaVersion`s S3 Batch Operations sends."""
TREAT_MISSING_KEYS_AS: Final = "PermanentFailure"
"""What S3 records for a task the response leaves out."""
_THROTTLING_STATUS: Final = 429
_SERVER_ERROR: Final = 500


class ResultCode(Enum):
    """A task's outcome, as S3 Batch Operations reads it."""

    SUCCEEDED = "Succeeded"
    TEMPORARY_FAILURE = "TemporaryFailure"
    PERMANENT_FAILURE = "PermanentFailure"


def is_batch_request(raw: object) -> TypeGuard[Mapping[str, Any]]:
    """Whether an invocation is S3 Batch Operations' (not an EventBridge event)."""
    return isinstance(raw, Mapping) and "invocationSchemaVersion" in raw and "tasks" in raw


@dataclass(frozen=True, slots=True)
class Task:
    """One manifest entry: the object to backfill."""

    task_id: str
    bucket: str
    key: str
    """Decoded: manifests URL-encode keys (form encoding, `+` for a space)."""


def _text(task: Mapping[str, Any], name: str) -> str:
    value = task.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedTaskError(f"{name} must be a non-empty string, got {shown(value)}")
    return value


def _bucket_of_arn(arn: str) -> str:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "s3" or not parts[5]:
        raise MalformedTaskError(f"s3BucketArn is not an S3 bucket ARN: {shown(arn)}")
    return parts[5]


def parse_task(schema: object, raw: object) -> Task:
    """A task of the given schema; MalformedTaskError when it is malformed."""
    if schema not in SCHEMA_VERSIONS:
        raise MalformedTaskError(
            f"invocationSchemaVersion must be one of {', '.join(SCHEMA_VERSIONS)}, "
            f"got {shown(schema)}"
        )
    if not isinstance(raw, Mapping):
        raise MalformedTaskError(f"a task must be an object, got {shown(raw)}")
    task_id = _text(raw, "taskId")
    if schema == "2.0":
        bucket = _text(raw, "s3Bucket")
    else:
        bucket = _bucket_of_arn(_text(raw, "s3BucketArn"))
    if "/" in bucket:
        raise MalformedTaskError(f"not a bucket name: {shown(bucket)}")
    try:
        key = unquote_plus(_text(raw, "s3Key"), encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise MalformedTaskError(f"s3Key is not URL-encoded UTF-8: {error.reason}") from None
    return Task(task_id=task_id, bucket=bucket, key=key)


def _transient(error: BaseException | None) -> bool:
    """Throttling, a 5xx or a connection failure: S3 should retry the task."""
    if isinstance(error, BotoCoreError):
        return True
    if not isinstance(error, ClientError):
        return False
    from botocore.retries.standard import (
        RetryContext,
        ThrottledRetryableChecker,
        TransientRetryableChecker,
    )

    context = RetryContext(attempt_number=1, parsed_response=error.response)
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return (
        ThrottledRetryableChecker().is_retryable(context)
        or TransientRetryableChecker().is_retryable(context)
        or status == _THROTTLING_STATUS
        or status >= _SERVER_ERROR
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class BatchTasks:
    """Answers one S3 Batch Operations invocation with one result per task."""

    def __init__(
        self,
        *,
        store: ItemStore,
        versions: VersionReader,
        environment: str,
        buckets: frozenset[str] | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._buckets = buckets
        """The buckets served (None: any); a task for another is a PermanentFailure."""
        self._store = store
        self._versions = versions
        self._environment = environment
        self._clock = clock

    def answer(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The documented response: the request's schema and id, one result per task."""
        schema = request.get("invocationSchemaVersion")
        tasks = request.get("tasks")
        results = [self._result(schema, raw) for raw in tasks] if isinstance(tasks, list) else []
        return {
            "invocationSchemaVersion": schema,
            "treatMissingKeysAs": TREAT_MISSING_KEYS_AS,
            "invocationId": request.get("invocationId"),
            "results": results,
        }

    def _result(self, schema: object, raw: object) -> dict[str, Any]:
        task_id = raw.get("taskId") if isinstance(raw, Mapping) else None
        code, text = self._run(schema, raw)
        return {"taskId": task_id, "resultCode": code.value, "resultString": text}

    def _run(self, schema: object, raw: object) -> tuple[ResultCode, str]:
        try:
            task = parse_task(schema, raw)
            if self._buckets is not None and task.bucket not in self._buckets:
                raise MalformedTaskError(f"bucket {task.bucket!r} is not one this function serves")
            current = self._versions.read(task.bucket, task.key)
            state, modified = current.state, current.began
            if state.status is Status.DELETED or modified is None:
                return ResultCode.SUCCEEDED, "skipped_deleted: no current version"
            written = insert_listed(
                self._store,
                task.bucket,
                task.key,
                state,
                last_modified=modified,
                read_at=current.read_at,
                environment=self._environment,
                updated_at=iso_utc(self._clock()),
            )
        except MalformedTaskError as problem:
            return ResultCode.PERMANENT_FAILURE, f"malformed task: {problem}"
        except UnwritableEventError as error:
            return ResultCode.PERMANENT_FAILURE, f"unwritable item: {error.message}"
        except (ProcessorError, BotoCoreError) as error:
            cause = error if isinstance(error, BotoCoreError) else error.__cause__
            if _transient(cause):
                return ResultCode.TEMPORARY_FAILURE, str(error)
            return ResultCode.PERMANENT_FAILURE, str(error)
        if written:
            return ResultCode.SUCCEEDED, f"written: version {state.version_id or 'null'}"
        return ResultCode.SUCCEEDED, "already_present: an item exists, left as it is"
