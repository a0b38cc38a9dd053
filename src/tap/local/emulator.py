"""The embedded emulator, as the stack's account: moto in-process, or a server on 127.0.0.1.

A run that nothing outside the process needs to reach drives moto's backends in-process
(`mock_aws`): the same backends and the same botocore requests and responses, without HTTP. A
`keep_running` run starts a ThreadedMotoServer instead, so the printed `aws` command reaches it.
"""

from __future__ import annotations

import functools
import logging
import shlex
import socket
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tap.internals.moto import (
    QueueTaker,
    answer_in_process,
    emulator_patches,
    forget_tracked_models,
    take_from_backend,
)
from tap.local.errors import EmulatorError

HOST = "127.0.0.1"
OPERATOR_USER = "tap-local-operator"
"""A local-only IAM user whose access key makes moto answer as the stack's account."""
_ACCOUNT_HEADER = "x-moto-account-id"
# AWS_ENDPOINT_URL in the environment must not lead a client away from the emulator
# (botocore >= 1.31 reads it; botocore-stubs does not know the option yet).
_CLIENT_CONFIG = Config(  # type: ignore[call-arg]
    retries={"mode": "standard", "max_attempts": 2},
    connect_timeout=5,
    ignore_configured_endpoint_urls=True,
)
ACCOUNT_NOTE: Final = (
    "a local-only IAM user (tap-local-operator) makes the emulator answer as the stack's account"
)
"""Standing adaptation of every run: how the emulator answers as the stack's account."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access key the emulator maps to one account."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    """Set for temporary credentials (an assumed role's)."""


@functools.cache
def _shared_loader() -> botocore.loaders.Loader:
    """One botocore data loader for every session an emulator hands out.

    A loader caches each service model, paginator and the endpoint data it has parsed; a new
    session's own loader parses them again (about 0.1 s per service, and 0.3 s for the endpoint
    data). A run makes several sessions (deploy, handler, observer), and a test process many.
    """
    return botocore.loaders.create_loader()


def new_session(**settings: Any) -> boto3.session.Session:
    """A boto3 session (credentials, region: `settings`) on the shared data loader."""
    core = botocore.session.Session()
    loader = _shared_loader()
    core.register_component("data_loader", loader)
    session = boto3.session.Session(botocore_session=core, **settings)
    # boto3 appends its own data directory to the loader's search paths for every session.
    loader.search_paths[:] = dict.fromkeys(loader.search_paths)
    return session


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class Emulator:
    """moto acting as one account in one region, and cached clients for it.

    `endpoint` is the server's base URL, or None when moto runs in-process: clients then use
    AWS's own endpoints, which moto's botocore hook answers without a network request.
    """

    def __init__(
        self, *, endpoint: str | None, account_id: str, region: str, stop: Callable[[], None]
    ) -> None:
        self.endpoint = endpoint
        self.account_id = account_id
        self.region = region
        self.credentials = _bootstrap_credentials(endpoint, account_id, region)
        self._stop = stop
        self._stopped = False
        self._clients: dict[tuple[str, str], Any] = {}
        self._sessions: dict[str, boto3.session.Session] = {}
        self._on_client: Callable[[Any, str], None] | None = None

    @property
    def port(self) -> int | None:
        """The server's port; None in-process."""
        return int(self.endpoint.rsplit(":", 1)[1]) if self.endpoint else None

    def session(self, region: str | None = None) -> boto3.session.Session:
        """A boto3 session with the account's credentials, independent of the environment."""
        return new_session(
            aws_access_key_id=self.credentials.access_key_id,
            aws_secret_access_key=self.credentials.secret_access_key,
            aws_session_token=self.credentials.session_token,
            region_name=region or self.region,
        )

    def as_principal(
        self, credentials: Credentials, *, on_client: Callable[[Any, str], None] | None = None
    ) -> Emulator:
        """The same emulator reached with another principal's credentials (an assumed role's).

        Its clients sign with `credentials`; `on_client(client, region)` sees each one as it is
        made (to hook a call recorder). Stopping it stops nothing: the backends are this one's.
        """
        import copy

        other = copy.copy(self)
        other.credentials = credentials
        other._clients = {}
        other._sessions = {}
        other._on_client = on_client
        other._stop = lambda: None
        return other

    def in_process_session(self) -> boto3.session.Session:
        """A session like `session`, whose clients, made for AWS's own endpoints, are answered by
        the backends in this process without HTTP, a served emulator's too (`answer_in_process`).

        The handler's calls go this way: served, each of them was a request to the server beside
        every writer's, and the pump fell behind under concurrent writers.
        """
        session = self.session()
        if self.endpoint is not None:
            answer_in_process(session)
        return session

    def client(self, service: str, region: str | None = None) -> Any:
        """A client for one service, pointed at the emulator; one per service and region.

        Building a client costs ~0.1 s (it loads the service model); clients are thread-safe.
        """
        where = region or self.region
        cached = self._clients.get((service, where))
        if cached is None:
            session = self._sessions.get(where)
            if session is None:
                session = self._sessions[where] = self.session(where)
            cached = self._clients[(service, where)] = session.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint,
                config=_CLIENT_CONFIG,
            )
            if self._on_client is not None:
                self._on_client(cached, where)
        return cached

    def queue_taker(self) -> QueueTaker:
        """Takes every message off one of the emulator's queues, for tap local's own plumbing.

        Straight from moto's SQS backend (`take_from_backend`), in-process and on a server alike:
        a ThreadedMotoServer serves this process's backends, so the pump of a live stack takes
        from them as an in-process run does, without two requests per take.
        """
        return take_from_backend(self.account_id, self.region)

    def release_copies(self) -> None:
        """Drop moto's record of the model instances it made (`forget_tracked_models`).

        Only moto's dashboard (`/moto-api/`) lists models from that record, and it held every
        object, message and item the emulator ever made, and the copy of every version each
        ListObjectVersions made: a kept server grew by about 0.4 GB per listing of 10k keys.
        """
        forget_tracked_models()

    def stop(self) -> None:
        """Stop the emulator and empty its backends; safe to call twice."""
        if not self._stopped:
            self._stopped = True
            self._stop()


def _bootstrap_credentials(endpoint: str | None, account_id: str, region: str) -> Credentials:
    """Create the operator user in `account_id`; its key identifies that account from then on.

    moto maps a request to an account by its access key, so no process-wide MOTO_ACCOUNT_ID is set
    and a plain `aws` command with this key sees the same account.
    """
    iam = new_session(
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",  # noqa: S106 - the emulator accepts any key
        region_name=region,
    ).client("iam", endpoint_url=endpoint, config=_CLIENT_CONFIG)

    def add_account_header(request: Any, **_: Any) -> None:
        request.headers[_ACCOUNT_HEADER] = account_id

    iam.meta.events.register("before-sign.iam.*", add_account_header)
    try:
        iam.create_user(UserName=OPERATOR_USER)
        key = iam.create_access_key(UserName=OPERATOR_USER)["AccessKey"]
    except (BotoCoreError, ClientError) as error:
        where = endpoint or "in-process"
        raise EmulatorError(f"the emulator ({where}) did not answer: {error}") from error
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def _reset(endpoint: str) -> None:
    """Empty every moto backend: ThreadedMotoServer shares them with everything in the process.

    A kept-running emulator from an earlier run in the same process is emptied too.
    """
    url = f"{endpoint}/moto-api/reset"
    request = urllib.request.Request(url, method="POST", data=b"")  # noqa: S310 - http loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our loopback
            response.read()
    except OSError as error:
        raise EmulatorError(f"the emulator at {endpoint} did not answer: {error}") from error


_KEPT: dict[str, Emulator] = {}
"""Emulators left running by `keep_running`, by endpoint, so they can be stopped later."""


def stop_emulator(endpoint: str) -> bool:
    """Stop an emulator a run kept running; False if none runs at that endpoint."""
    from tap.local.live import stop_live

    stop_live(endpoint)  # its pump uses the emulator: stop it first
    emulator = _KEPT.pop(endpoint, None)
    if emulator is None:
        return False
    emulator.stop()
    return True


@contextmanager
def running_emulator(
    *, account_id: str, region: str, keep_running: bool = False
) -> Iterator[Emulator]:
    """moto, emptied, as the stack's account; stopped on exit unless `keep_running`.

    Without `keep_running` moto runs in-process. With it, a ThreadedMotoServer listens on a free
    port; it is stopped on any exception, KeyboardInterrupt included.
    """
    if keep_running:
        with _served(account_id=account_id, region=region) as emulator:
            yield emulator
    else:
        with _in_process(account_id=account_id, region=region) as emulator:
            yield emulator


@contextmanager
def _in_process(*, account_id: str, region: str) -> Iterator[Emulator]:
    """moto's backends in this process, reached through botocore's before-send hook."""
    from moto import mock_aws

    # Explicit credentials on every session; leave the environment and boto3's default alone.
    mock = mock_aws(config={"core": {"mock_credentials": False, "reset_boto3_session": False}})
    mock.start()  # empties every backend, a kept-running server's included
    release = emulator_patches()

    def stop() -> None:
        release()
        mock.stop()

    emulator = None
    try:
        emulator = Emulator(endpoint=None, account_id=account_id, region=region, stop=stop)
        yield emulator
    finally:
        if emulator is None:
            stop()
        else:
            emulator.stop()


@contextmanager
def _served(*, account_id: str, region: str) -> Iterator[Emulator]:
    """A ThreadedMotoServer on 127.0.0.1, registered for `stop_emulator` while it runs, and left
    up after a successful run (stopped on any exception)."""
    from moto.server import ThreadedMotoServer

    # werkzeug logs every request at INFO, even with verbose=False.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    try:
        server.start()
    except OSError as error:
        raise EmulatorError(f"cannot start the emulator on {HOST}:{port}: {error}") from error
    completed = False
    endpoint = f"http://{HOST}:{port}"
    release = emulator_patches()

    def stop() -> None:
        server.stop()
        release()

    emulator: Emulator | None = None
    try:
        _reset(endpoint)
        emulator = Emulator(endpoint=endpoint, account_id=account_id, region=region, stop=stop)
        _KEPT[endpoint] = emulator  # `stop_emulator` can stop it from here on
        yield emulator
        completed = True
    finally:
        if not completed:
            _KEPT.pop(endpoint, None)
            if emulator is None:
                stop()
            else:
                emulator.stop()


def aws_scan_command(
    *, endpoint: str, table_name: str, region: str, credentials: Credentials
) -> str:
    """The exact `aws` command that scans the items table on a kept-running emulator."""
    env = (
        f"AWS_ACCESS_KEY_ID={shlex.quote(credentials.access_key_id)} "
        f"AWS_SECRET_ACCESS_KEY={shlex.quote(credentials.secret_access_key)}"
    )
    return (
        f"{env} aws --endpoint-url {shlex.quote(endpoint)} dynamodb scan "
        f"--table-name {shlex.quote(table_name)} --region {shlex.quote(region)}"
    )
