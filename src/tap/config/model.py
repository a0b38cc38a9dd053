"""Typed settings of one environment, as written under `tap:` in `Pulumi.<stack>.yaml`."""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic.alias_generators import to_camel

from tap.facts.arns import POLICY_ARN_SHAPE, ROLE_ARN_SHAPE, is_policy_arn, is_role_arn

HANDLER = "process_handler.lambda_handler"
"""The one handler entry point; the artifact puts `process_handler.py` at its root."""

LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
     2922, 3288, 3653}
)  # fmt: skip
"""The values CloudWatch Logs accepts for a log group's retention."""

MAX_TAGS = 50
"""AWS's limit of user tags per resource; `aws:` tags do not count."""

MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256

TAP_TAG_KEYS = frozenset({"project", "environment", "managed-by"})
"""The tags tap itself puts on every resource (`tap.provider.default_tags`); they count too."""

_ACCOUNT_RE = re.compile(r"^\d{12}$")
_ENV_RE = re.compile(r"^[a-z][a-z0-9]{1,11}$")
_LOGICAL_RE = re.compile(r"^[a-z][a-z0-9-]{0,23}$")
_RULE_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


REGION_SERVICES = ("s3", "dynamodb", "lambda", "sqs", "events")
"""The services a stack uses: a region must offer all of them in some partition's data."""


@cache
def aws_regions() -> frozenset[str]:
    """Every region code botocore's endpoint data knows, across partitions.

    Read from botocore's bundled endpoints.json (as `Session.get_available_regions` reads it)
    without importing botocore, which costs half a second: validating config must stay cheap.
    """
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed")
    data = Path(next(iter(spec.submodule_search_locations))) / "data" / "endpoints.json"
    regions: set[str] = set()
    for partition in json.loads(data.read_text(encoding="utf-8"))["partitions"]:
        for service in REGION_SERVICES:
            endpoints = partition["services"].get(service, {}).get("endpoints", {})
            regions.update(name for name in endpoints if name in partition["regions"])
    return frozenset(regions)


def _region(value: str) -> str:
    if value not in aws_regions():
        raise ValueError(f"'{value}' is not an AWS region code (e.g. us-east-1, eu-west-2)")
    return value


def _account(value: str) -> str:
    if not _ACCOUNT_RE.match(value):
        raise ValueError(f"'{value}' is not a 12-digit AWS account id (quote it in YAML)")
    return value


def _role_arn(value: str) -> str:
    if not is_role_arn(value):
        raise ValueError(f"'{value}' is not an IAM role ARN ({ROLE_ARN_SHAPE})")
    return value


def _policy_arn(value: str) -> str:
    if not is_policy_arn(value):
        raise ValueError(f"'{value}' is not a customer-managed IAM policy ARN ({POLICY_ARN_SHAPE})")
    return value


def _logical(value: str) -> str:
    if not _LOGICAL_RE.match(value):
        raise ValueError(
            f"'{value}' must be 1-24 lowercase letters, digits or '-', starting with a letter"
        )
    return value


def _retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in sorted(LOG_RETENTION_DAYS))
        raise ValueError(f"{value} is not a CloudWatch Logs retention; use one of {allowed}")
    return value


def _period(value: int) -> int:
    # Every metric tap alarms on is published once a minute; a shorter period never has data.
    if value % 60:
        raise ValueError(
            f"{value} is not a multiple of 60; the Lambda, EventBridge, SQS and DynamoDB "
            "metrics tap alarms on are published once a minute"
        )
    return value


def _email(value: str) -> str:
    if not _EMAIL_RE.match(value):
        raise ValueError(f"'{value}' is not an email address")
    return value


def _list_as_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


ListOf = BeforeValidator(_list_as_tuple)
"""On a tuple field: YAML and JSON have lists, the model keeps tuples (immutable, comparable)."""

Region = Annotated[str, AfterValidator(_region)]
AccountId = Annotated[str, AfterValidator(_account)]
LogicalName = Annotated[str, AfterValidator(_logical)]
RoleArn = Annotated[str, AfterValidator(_role_arn)]
PolicyArn = Annotated[str, AfterValidator(_policy_arn)]


class TapModel(BaseModel):
    """Base for every settings model: camelCase keys, unknown keys are errors, immutable, strict.

    Strict: a value must have its field's type; nothing is converted, so `true` is not the
    integer 1, `"5"` is not 5 and `1` is not `true`.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
    )


class Transition(TapModel):
    """Move objects (or noncurrent versions) to another storage class after some days."""

    days: int = Field(ge=0)
    storage_class: Literal[
        "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
    ]


class LifecycleRule(TapModel):
    """One S3 lifecycle rule; every action is optional but at least one is required."""

    id: Annotated[str, Field(pattern=_RULE_ID_RE.pattern)]
    enabled: bool = True
    prefix: str = ""
    transitions: Annotated[tuple[Transition, ...], ListOf] = ()
    expiration_days: int | None = Field(default=None, ge=1)
    noncurrent_version_transitions: Annotated[tuple[Transition, ...], ListOf] = ()
    noncurrent_version_expiration_days: int | None = Field(default=None, ge=1)
    abort_incomplete_multipart_upload_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _has_an_action(self) -> LifecycleRule:
        if not (
            self.transitions
            or self.expiration_days
            or self.noncurrent_version_transitions
            or self.noncurrent_version_expiration_days
            or self.abort_incomplete_multipart_upload_days
        ):
            raise ValueError("a lifecycle rule needs at least one transition or expiration")
        return self


S3EventType = Literal["Object Created", "Object Deleted"]


class Route(TapModel):
    """Which of a bucket's S3 events reach the processor."""

    name: LogicalName
    events: Annotated[tuple[S3EventType, ...], ListOf] = ("Object Created", "Object Deleted")
    prefix: str | None = None
    suffix: str | None = None

    @model_validator(mode="after")
    def _events_unique(self) -> Route:
        if not self.events:
            raise ValueError("a route needs at least one event type")
        if len(set(self.events)) != len(self.events):
            raise ValueError("events must not repeat")
        return self


class BucketEncryption(TapModel):
    """Default encryption: SSE-S3 (`AES256`) or SSE-KMS with the environment's key."""

    algorithm: Literal["AES256", "aws:kms"] = "aws:kms"


class Bucket(TapModel):
    """One data bucket and the routes that feed the processor from it."""

    name: LogicalName
    versioning: bool = True
    encryption: BucketEncryption = BucketEncryption()
    lifecycle_rules: Annotated[tuple[LifecycleRule, ...], ListOf] = ()
    routes: Annotated[tuple[Route, ...], ListOf] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Bucket:
        for label, names in (
            ("lifecycle rule id", [r.id for r in self.lifecycle_rules]),
            ("route name", [r.name for r in self.routes]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate {label}: {', '.join(dupes)}")
        return self


class Processor(TapModel):
    """The processor Lambda function."""

    runtime: Literal["python3.12", "python3.13", "python3.14"] = "python3.12"
    architecture: Literal["arm64", "x86_64"] = "arm64"
    handler: str = HANDLER
    memory_mb: int = Field(default=256, ge=128, le=10240)
    timeout_seconds: int = Field(default=30, ge=1, le=900)
    reserved_concurrency: int | None = Field(default=None, ge=1)
    """0 would throttle every event until it ages out; leave unset for no reservation."""
    log_retention_days: Annotated[int, AfterValidator(_retention)] = 30


class Table(TapModel):
    """The items table."""

    point_in_time_recovery: bool = True
    deletion_protection: bool = True
    replica_regions: Annotated[tuple[Region, ...], ListOf] = ()


class AsyncRetry(TapModel):
    """Lambda's asynchronous retries before the on-failure destination."""

    maximum_retry_attempts: int = Field(default=2, ge=0, le=2)
    maximum_event_age_seconds: int = Field(default=3600, ge=60, le=21600)


class DeliveryRetry(TapModel):
    """EventBridge's retries delivering to the processor before the delivery DLQ."""

    maximum_retry_attempts: int = Field(default=185, ge=0, le=185)
    maximum_event_age_seconds: int = Field(default=86400, ge=60, le=86400)


class FailureHandling(TapModel):
    """Retry budgets for both failure paths."""

    processing: AsyncRetry = AsyncRetry()
    delivery: DeliveryRetry = DeliveryRetry()


class Alarms(TapModel):
    """Where alarms notify."""

    email: Annotated[str, AfterValidator(_email)] | None = None
    evaluation_period_seconds: Annotated[int, Field(ge=60, le=86400), AfterValidator(_period)] = 60


_BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _bucket_name(value: str) -> str:
    if not _BUCKET_NAME_RE.match(value) or ".." in value:
        raise ValueError(f"'{value}' is not an S3 bucket name")
    return value


BucketName = Annotated[str, AfterValidator(_bucket_name)]


class Backfill(TapModel):
    """`tap backfill --batch-operations`: the role an S3 Batch Operations job assumes.

    Off by default: the role exists only when `batchOperations` is true, and it can read only
    the manifest bucket's objects and write only under the report prefix.
    """

    batch_operations: bool = False
    manifest_bucket: BucketName | None = None
    """Where S3 Inventory delivers the data buckets' manifests (the inventory destination)."""
    report_bucket: BucketName | None = None
    """Where the job writes its completion report."""
    report_prefix: str = Field(default="tap-backfill-reports/", min_length=1, max_length=512)

    @model_validator(mode="after")
    def _buckets_when_on(self) -> Backfill:
        if self.batch_operations and not (self.manifest_bucket and self.report_bucket):
            raise ValueError("batchOperations needs manifestBucket and reportBucket")
        return self


class Suppression(TapModel):
    """A guardrail finding accepted on purpose, with the reason."""

    rule: str
    resource: str
    reason: str = Field(min_length=10)


class EnvironmentConfig(TapModel):
    """Everything one environment (one stack, one account, one region) needs."""

    environment: Annotated[str, Field(pattern=_ENV_RE.pattern)]
    production: bool = False
    account_id: AccountId
    region: Region
    deploy_role_arn: RoleArn
    external_id: str | None = Field(default=None, min_length=2, max_length=1224)
    permissions_boundary_arn: PolicyArn | None = None
    """The boundary `tap bootstrap` creates: every role the program creates carries it."""
    allow_shared_account: bool = False
    name_prefix: LogicalName = "tap"
    kms_key: bool = True
    tags: dict[str, str] = Field(default_factory=dict)
    buckets: Annotated[tuple[Bucket, ...], ListOf] = Field(min_length=1)
    processor: Processor = Processor()
    table: Table = Table()
    failure_handling: FailureHandling = FailureHandling()
    alarms: Alarms = Alarms()
    backfill: Backfill = Backfill()
    suppressions: Annotated[tuple[Suppression, ...], ListOf] = ()
