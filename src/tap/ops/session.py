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
from typing import TYPE_CHECKING, Any, Final

from tap.calls import AwsCall, CallRecorder, CallSource
from tap.errors import EXIT_USAGE, TapError

if TYPE_CHECKING:
    import boto3

    from tap.ops.stack import StackResources

SESSION_NAME: Final = "tap-ops"
"""RoleSessionName of an operation's assumed-role session (visible in CloudTrail)."""


class OpsSessionError(TapError):
    """No usable session for the stack's account: no credentials, a refused role, or another
    account."""

    exit_code = EXIT_USAGE
    prefix = "refusing to act"


def _client_config() -> Any:
    from botocore.config import Config

    # Standard retries back off on throttling; AWS_ENDPOINT_URL must not redirect a client.
    return Config(  # type: ignore[call-arg]
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=60,
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
    _clients: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def local(self) -> bool:
        """Whether this is an emulator (`--endpoint-url`), not AWS."""
        return self.endpoint_url is not None

    def client(self, service: str) -> Any:
        """One client per service (thread-safe), pointed at the stack's region or the emulator."""
        with self._lock:
            cached = self._clients.get(service)
            if cached is None:
                cached = self.session.client(
                    service,  # type: ignore[call-overload]
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=_client_config(),
                )
                cached.meta.events.register("before-parameter-build", self.recorder)
                self._clients[service] = cached
            return cached

    @property
    def calls(self) -> list[AwsCall]:
        """Every call the operation made, for the operator access proof."""
        return self.recorder.calls


def error_text(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        detail = response.get("Error") or {}
        return f"{detail.get('Code', 'error')}: {detail.get('Message', '')}".rstrip(": ")
    return str(error) or type(error).__name__


def connect(
    resources: StackResources,
    *,
    role_arn: str | None,
    external_id: str | None = None,
    endpoint_url: str | None = None,
    base: boto3.session.Session | None = None,
) -> OpsSession:
    """A session proven to be the stack's account.

    `role_arn` is assumed from the base session's credentials (the environment's, unless `base`
    is given) when there is no `endpoint_url`; with one, the base credentials are used as they
    are. Raises OpsSessionError when there are no credentials, the role cannot be assumed, or
    the caller is another account.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    source = base or boto3.session.Session()
    session = source
    try:
        if endpoint_url is None and role_arn is not None:
            sts = source.client("sts", region_name=resources.region, config=_client_config())
            assumed: dict[str, Any] = {
                "RoleArn": role_arn,
                "RoleSessionName": f"{SESSION_NAME}-{resources.stack}"[:64],
            }
            if external_id:
                assumed["ExternalId"] = external_id
            credentials = sts.assume_role(**assumed)["Credentials"]
            session = boto3.session.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
                region_name=resources.region,
            )
        identity = session.client(
            "sts", region_name=resources.region, endpoint_url=endpoint_url, config=_client_config()
        ).get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        where = f"the emulator at {endpoint_url}" if endpoint_url else f"role {role_arn}"
        raise OpsSessionError(f"cannot act as {where}: {error_text(error)}") from error
    account = str(identity.get("Account"))
    if account != resources.account_id:
        raise OpsSessionError(
            f"the credentials are for account {account}, but stack {resources.stack} is in "
            f"account {resources.account_id} (tap:accountId)"
        )
    recorder = CallRecorder(region=resources.region, account_id=resources.account_id)
    recorder.source = CallSource.OPERATOR
    return OpsSession(
        session=session,
        region=resources.region,
        account_id=account,
        endpoint_url=endpoint_url,
        recorder=recorder,
    )
