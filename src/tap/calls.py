"""Recording the AWS calls a session's clients make, with the IAM action and resource ARN.

Shared by `tap local`'s access proof (the handler's calls) and the day-2 operations (the
operator's calls), so both judge calls derived the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from urllib.parse import urlparse

from tap.facts.arns import bucket_arn, build_arn, is_arn, partition_of
from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL, LAMBDA_PRINCIPAL


class CallSource(StrEnum):
    """Who made a call with the execution role's credentials."""

    HANDLER = "handler"
    """The handler's own code."""
    DESTINATION = "destination"
    """Lambda delivering an invocation record to the on-failure destination, as the role."""
    IMPLIED = "implied"
    """A call AWS makes on the caller's behalf, e.g. KMS for a CMK-encrypted queue."""
    RUNTIME = "runtime"
    """The Lambda runtime itself: logs and traces."""
    OPERATOR = "operator"
    """A day-2 command (backfill, reconcile, redrive) acting with the operator's credentials."""


@dataclass(frozen=True, slots=True)
class AwsCall:
    """One API call: the IAM action it needs and the resource it acts on."""

    action: str
    """`service:Operation`, e.g. `dynamodb:PutItem`."""
    resource: str
    """The resource ARN derived from the parameters, or `*`."""
    source: CallSource

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"action": self.action, "resource": self.resource, "source": self.source.value}


IAM_ACTIONS: Final = {
    "s3:ListObjectVersions": "s3:ListBucketVersions",
    "s3:ListObjects": "s3:ListBucket",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
    "s3:HeadBucket": "s3:ListBucket",
    "lambda:Invoke": "lambda:InvokeFunction",
    "lambda:InvokeAsync": "lambda:InvokeFunction",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "s3:PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "s3:GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "s3:GetBucketCors": "s3:GetBucketCORS",
    "s3:GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "s3:GetBucketReplication": "s3:GetReplicationConfiguration",
    "s3:GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
}
"""API operations authorised by an IAM action of another name (the Service Authorization pages:
S3's, and SQS's batch operations, which IAM checks as their one-message action); every other
operation is authorised by the action of its own name."""
PASSES_ROLE: Final = {
    "s3:CreateJob": ("RoleArn", BATCH_OPERATIONS_PRINCIPAL),
    "lambda:CreateFunction": ("Role", LAMBDA_PRINCIPAL),
    "lambda:UpdateFunctionConfiguration": ("Role", LAMBDA_PRINCIPAL),
}
"""Operations that hand a service a role: the parameter naming the role, and the service it is
passed to. The caller also needs iam:PassRole on that role, which IAM checks as part of the
operation with `iam:PassedToService` set to that service."""
BUCKET_LEVEL: Final = frozenset({"s3:ListBucketVersions", "s3:ListBucket"})
"""S3 actions on the bucket itself; object actions act on `bucket/key`."""


IAM_PREFIXES: Final = {"monitoring": "cloudwatch"}
"""Services whose IAM prefix is not their signing name (CloudWatch signs as `monitoring`)."""


def iam_action(prefix: str, operation: str) -> str:
    """The IAM action that authorises an API operation, e.g. `s3:ListBucketVersions`."""
    action = f"{IAM_PREFIXES.get(prefix, prefix)}:{operation}"
    return IAM_ACTIONS.get(action, action)


_ArnOf = Callable[[Mapping[str, Any], str, str], str | None]
"""A service's ARN from a call's parameters, region and account; None when none names one."""


def _name_or_arn(parameter: str, service: str, resource: str) -> _ArnOf:
    """`parameter` given as an ARN, or as a name the ARN's `resource` (`table/{}`) is built of."""

    def arn_of(params: Mapping[str, Any], region: str, account_id: str) -> str | None:
        name = params.get(parameter)
        if not isinstance(name, str):
            return None
        if is_arn(name):
            return name
        return build_arn(partition_of(region), service, region, account_id, resource.format(name))

    return arn_of


def _queue_arn(params: Mapping[str, Any], region: str, account_id: str) -> str | None:
    """From QueueUrl (its path is owner/name), else QueueName (GetQueueUrl)."""
    if isinstance(params.get("QueueUrl"), str):
        path = urlparse(params["QueueUrl"]).path.strip("/").split("/")
        if len(path) == 2:
            owner, name = path
            return build_arn(partition_of(region), "sqs", region, owner, name)
    if isinstance(params.get("QueueName"), str):
        owner = params.get("QueueOwnerAWSAccountId") or account_id
        return build_arn(partition_of(region), "sqs", region, str(owner), params["QueueName"])
    return None


def _bucket_arn(params: Mapping[str, Any], region: str, _account_id: str) -> str | None:
    name = params.get("Bucket")
    return bucket_arn(name, partition_of(region)) if isinstance(name, str) else None


def _function_arn(params: Mapping[str, Any], region: str, account_id: str) -> str | None:
    name = params.get("FunctionName")
    if not isinstance(name, str):
        return None
    if is_arn(name):
        return name
    qualifier = params.get("Qualifier")
    suffix = f":{qualifier}" if isinstance(qualifier, str) and qualifier else ""
    return build_arn(partition_of(region), "lambda", region, account_id, f"function:{name}{suffix}")


def _job_arn(params: Mapping[str, Any], region: str, account_id: str) -> str | None:
    job = params.get("JobId")
    if not isinstance(job, str):
        return None
    owner = params.get("AccountId") or account_id
    return build_arn(partition_of(region), "s3", region, str(owner), f"job/{job}")


_ARN_OF: Final[Mapping[str, _ArnOf]] = {
    "dynamodb": _name_or_arn("TableName", "dynamodb", "table/{}"),
    "sqs": _queue_arn,
    "s3": _bucket_arn,
    "lambda": _function_arn,
    "s3control": _job_arn,
    "kms": _name_or_arn("KeyId", "kms", "key/{}"),
}
"""How each service's calls name the resource they act on."""


def resource_arn(service: str, params: Mapping[str, Any], *, region: str, account_id: str) -> str:
    """The ARN a call acts on, from its parameters: TableName, QueueUrl (or QueueName),
    FunctionName (with its Qualifier), KeyId, Bucket, a batch job's JobId; else `*`.

    For S3 this is the bucket's ARN; the recorder appends the key for object actions.
    """
    arn_of = _ARN_OF.get(service)
    found = arn_of(params, region, account_id) if arn_of else None
    return "*" if found is None else found


class CallRecorder:
    """Records calls through botocore's `before-parameter-build` hook, once per API call."""

    def __init__(self, *, region: str, account_id: str, distinct: bool = False) -> None:
        self._region = region
        self._account_id = account_id
        self._lock = threading.Lock()
        self._calls: list[AwsCall] = []
        self._seen: set[AwsCall] | None = set() if distinct else None
        """With `distinct`, each call is kept once: a day-2 command's 10^6 PutItems of one
        action on one table are one entry, so its memory does not grow with the bucket."""
        self.source = CallSource.HANDLER
        """The source attributed to calls made from now on."""

    def _keep(self, calls: list[AwsCall]) -> None:
        with self._lock:
            if self._seen is None:
                self._calls.extend(calls)
                return
            for call in calls:
                if call not in self._seen:
                    self._seen.add(call)
                    self._calls.append(call)

    def __call__(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        """The botocore hook: derive the action and resource and keep them."""
        service_model = model.service_model
        prefix = service_model.signing_name or service_model.endpoint_prefix
        action = iam_action(prefix, model.name)
        resource = resource_arn(
            service_model.service_name, params, region=self._region, account_id=self._account_id
        )
        if prefix == "s3" and action not in BUCKET_LEVEL and isinstance(params.get("Key"), str):
            resource = f"{resource}/{params['Key']}"
        calls = [AwsCall(action=action, resource=resource, source=self.source)]
        parameter, _service = PASSES_ROLE.get(action, ("", ""))
        passed = params.get(parameter)
        if isinstance(passed, str):
            calls.append(AwsCall("iam:PassRole", passed, CallSource.IMPLIED))
        self._keep(calls)

    def add(self, call: AwsCall) -> None:
        """Record a call made outside a hooked client."""
        self._keep([call])

    def clear(self) -> None:
        """Forget the calls recorded so far (a live stack's, once its run is judged)."""
        with self._lock:
            self._calls.clear()
            if self._seen is not None:
                self._seen.clear()

    @property
    def calls(self) -> list[AwsCall]:
        """Every call so far, in order (each once, when `distinct`)."""
        with self._lock:
            return list(self._calls)
