"""The operator's AWS session: the stack's account, proven before anything is touched.

Against AWS, an operation assumes the stack's `tap:deployRoleArn` (with `tap:externalId`), or
the role `--role-arn` names, from the caller's own credentials, and works in the stack's region.
Against a `tap local --keep-running` emulator (`--endpoint-url`) it uses the credentials in the
environment, which that command prints. Either way `sts:GetCallerIdentity` must answer with
the stack's `tap:accountId`, or the operation refuses to act (exit 2).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, overload

from tap.calls import AwsCall, CallRecorder, CallSource
from tap.errors import EXIT_USAGE, TapError
from tap.ops.timestamps import new_session

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3control.client import S3ControlClient
    from mypy_boto3_sqs.client import SQSClient

    from tap.ops.stack import StackResources

    OpsClient: TypeAlias = S3Client | DynamoDBClient | SQSClient | LambdaClient | S3ControlClient

SESSION_NAME: Final = "tap-ops"
"""RoleSessionName of an operation's assumed-role session (visible in CloudTrail)."""


class OpsSessionError(TapError):
    """No usable session for the stack's account: no credentials, a refused role, or another
    account."""

    exit_code = EXIT_USAGE
    prefix = "refusing to act"


CONNECT_TIMEOUT: Final = 5.0
"""Seconds to open a connection: AWS accepts one in milliseconds, a slow VPN in one or two."""
READ_TIMEOUT: Final = 60.0
"""Seconds to wait for each read of an answer (`--timeout`): botocore's and the AWS CLI's own
default. S3 answers a ListObjectVersions page only once it is built, which over many delete
markers can take tens of seconds; a Scan page (1 MB at most) takes well under one."""
ATTEMPTS: Final = 3
"""Tries of one request (botocore's standard retry mode and its default): throttling, 5xx and
network errors are retried with jittered backoff."""
PROBE_READ_TIMEOUT: Final = 10.0
"""The account proof (GetCallerIdentity, AssumeRole) answers in milliseconds: an endpoint that
is silent this long is not going to answer."""
PROBE_ATTEMPTS: Final = 2


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long a client waits for AWS: per attempt, and attempts per request."""

    connect: float
    read: float
    attempts: int

    @classmethod
    def for_requests(cls, read: float = READ_TIMEOUT) -> Timeouts:
        """Every request of an operation: `read` is `--timeout`."""
        return cls(min(CONNECT_TIMEOUT, read), read, ATTEMPTS)

    @classmethod
    def for_probe(cls, read: float = READ_TIMEOUT) -> Timeouts:
        """The account proof, the first request: no longer than `for_requests(read)`."""
        return cls(min(CONNECT_TIMEOUT, read), min(PROBE_READ_TIMEOUT, read), PROBE_ATTEMPTS)

    @property
    def silence(self) -> float:
        """The longest a request waits on an endpoint that accepts and never answers (botocore's
        backoff between attempts, 50 ms and up for a timeout, aside)."""
        return self.attempts * self.read

    def stated(self) -> str:
        """The wait in words, e.g. `20 s (2 attempts of 10 s)`."""
        return f"{self.silence:g} s ({self.attempts} attempts of {self.read:g} s)"

    def config(self) -> Config:
        """botocore's client config with these timeouts."""
        from botocore.config import Config

        # AWS_ENDPOINT_URL must not redirect a client.
        return Config(  # type: ignore[call-arg]
            retries={"mode": "standard", "total_max_attempts": self.attempts},
            connect_timeout=self.connect,
            read_timeout=self.read,
            ignore_configured_endpoint_urls=True,
            max_pool_connections=32,
        )


@dataclass
class OpsSession:
    """A boto3 session in the stack's account and region; every client records its calls."""

    session: boto3.session.Session
    region: str
    account_id: str
    endpoint_url: str | None
    recorder: CallRecorder
    timeouts: Timeouts = field(default_factory=Timeouts.for_requests)
    _clients: dict[str, OpsClient] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def local(self) -> bool:
        """Whether this is an emulator (`--endpoint-url`), not AWS."""
        return self.endpoint_url is not None

    @overload
    def client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def client(self, service: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["sqs"]) -> SQSClient: ...
    @overload
    def client(self, service: Literal["lambda"]) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["s3control"]) -> S3ControlClient: ...

    def client(self, service: str) -> OpsClient:
        """One client per service (thread-safe), pointed at the stack's region or the emulator."""
        with self._lock:
            cached = self._clients.get(service)
            if cached is None:
                cached = self.session.client(  # type: ignore[call-overload]
                    service,
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=self.timeouts.config(),
                )
                cached.meta.events.register("before-parameter-build", self.recorder)
                self._clients[service] = cached
            return cached

    @property
    def calls(self) -> list[AwsCall]:
        """Every call the operation made, for the operator access proof."""
        return self.recorder.calls


def error_text(error: Exception) -> str:
    """An AWS error in one line: `Code: Message`, or botocore's text with its line breaks (and a
    non-AWS body it quotes) left out."""
    from botocore.parsers import ResponseParserError

    response = getattr(error, "response", None)
    if isinstance(response, dict):
        detail = response.get("Error") or {}
        text = f"{detail.get('Code', 'error')}: {detail.get('Message', '')}".rstrip(": ")
    elif isinstance(error, ResponseParserError):
        text = str(error).split(", invalid", 1)[0].split(":\n", 1)[0]
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())


def _unreachable(error: Exception, endpoint: str, timeouts: Timeouts) -> str | None:
    """What kept the endpoint from answering the account proof, or None for an AWS error."""
    from botocore.exceptions import (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )
    from botocore.parsers import ResponseParserError

    if isinstance(error, ReadTimeoutError):
        return f"no answer from {endpoint} within {timeouts.stated()}"
    if isinstance(error, ConnectTimeoutError):
        waited = timeouts.attempts * timeouts.connect
        return f"cannot connect to {endpoint} within {waited:g} s ({timeouts.attempts} attempts)"
    if isinstance(error, EndpointConnectionError | ConnectionClosedError):
        return f"cannot connect to {endpoint} ({error_text(error)})"
    if isinstance(error, ResponseParserError):
        return f"{endpoint} does not answer as AWS does ({error_text(error)})"
    return None


def connect(
    resources: StackResources,
    *,
    role_arn: str | None,
    external_id: str | None = None,
    endpoint_url: str | None = None,
    base: boto3.session.Session | None = None,
    timeout: float = READ_TIMEOUT,
) -> OpsSession:
    """A session proven to be the stack's account.

    `role_arn` is assumed from the base session's credentials (the environment's, unless `base`
    is given) when there is no `endpoint_url`; with one, the base credentials are used as they
    are. `timeout` is each request's read timeout (`Timeouts`); the proof itself waits at most
    `Timeouts.for_probe(timeout)`. Raises OpsSessionError when the endpoint does not answer as
    AWS does, there are no credentials, the role cannot be assumed, or the caller is another
    account. The sessions made here read timestamps with `tap.ops.timestamps` (`base` is used
    as it is given).
    """
    session = base or new_session()
    if endpoint_url is None and role_arn is not None:
        session = _assumed(session, resources, role_arn, external_id, timeout)
    _prove_account(session, resources, endpoint_url, timeout, where=role_arn)
    recorder = CallRecorder(region=resources.region, account_id=resources.account_id, distinct=True)
    recorder.source = CallSource.OPERATOR
    return OpsSession(
        session=session,
        region=resources.region,
        account_id=resources.account_id,
        endpoint_url=endpoint_url,
        recorder=recorder,
        timeouts=Timeouts.for_requests(timeout),
    )


def _refusal(error: Exception, asked: str | None, probe: Timeouts, what: str) -> OpsSessionError:
    """The one line for an account proof that failed: the endpoint, or AWS, refused."""
    unreachable = _unreachable(error, str(asked), probe)
    if unreachable is not None:
        return OpsSessionError(unreachable)
    return OpsSessionError(f"cannot act as {what}: {error_text(error)}")


def _assumed(
    source: boto3.session.Session,
    resources: StackResources,
    role_arn: str,
    external_id: str | None,
    timeout: float,
) -> boto3.session.Session:
    """A session with the credentials of `role_arn`, assumed from `source`'s."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    probe = Timeouts.for_probe(timeout)
    sts = source.client("sts", region_name=resources.region, config=probe.config())
    assumed: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": f"{SESSION_NAME}-{resources.stack}"[:64],
    }
    if external_id:
        assumed["ExternalId"] = external_id
    try:
        credentials = sts.assume_role(**assumed)["Credentials"]
    except (BotoCoreError, ClientError, ResponseParserError) as error:
        raise _refusal(error, sts.meta.endpoint_url, probe, f"role {role_arn}") from error
    return new_session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=resources.region,
    )


def _prove_account(
    session: boto3.session.Session,
    resources: StackResources,
    endpoint_url: str | None,
    timeout: float,
    *,
    where: str | None,
) -> None:
    """sts:GetCallerIdentity must answer with the stack's account; OpsSessionError if not."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    probe = Timeouts.for_probe(timeout)
    sts = session.client(
        "sts", region_name=resources.region, endpoint_url=endpoint_url, config=probe.config()
    )
    try:
        identity = sts.get_caller_identity()
    except (BotoCoreError, ClientError, ResponseParserError) as error:
        what = f"the emulator at {endpoint_url}" if endpoint_url else f"role {where}"
        raise _refusal(error, sts.meta.endpoint_url, probe, what) from error
    account = identity.get("Account")
    if not account:
        raise OpsSessionError(
            f"{sts.meta.endpoint_url} answered sts:GetCallerIdentity without an account: it is "
            "not AWS, nor a `tap local --keep-running` emulator"
        )
    if account != resources.account_id:
        raise OpsSessionError(
            f"the credentials are for account {account}, but stack {resources.stack} is in "
            f"account {resources.account_id} (tap:accountId)"
        )
