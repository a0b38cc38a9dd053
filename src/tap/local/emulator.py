"""The embedded emulator, as the stack's account: moto in-process, or a server on 127.0.0.1.

A run that nothing outside the process needs to reach drives moto's backends in-process
(`mock_aws`): the same backends and the same botocore requests and responses, without HTTP. A
`keep_running` run starts a ThreadedMotoServer instead, so the printed `aws` command reaches it.
"""

from __future__ import annotations

import functools
import heapq
import importlib
import itertools
import logging
import shlex
import socket
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

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


QueueTaker = Callable[[str], list[str]]
"""Takes every visible message off the queue at a URL; their bodies, in the order sent."""


def take_from_backend(account_id: str, region: str) -> QueueTaker:
    """A QueueTaker over moto's SQS backend in this process (moto.sqs.models.sqs_backends).

    Under the queue's own lock, the one moto's `add_message` holds while it appends, the queue's
    message list is replaced by what is left (messages in flight or delayed, which tap's own
    queues never hold): one pass over the queue per take, and a message sent meanwhile is either
    taken or left for the next take. Receiving through moto instead (ten at a time, each receive
    scanning the whole queue and each delete rebuilding its list) made a backlog of n messages
    cost n² steps; and every send counts the queue's messages (moto builds its attributes), so
    a backlog slowed each S3 write that emitted an event. tests/local/test_moto_internals.py
    fails with a clear message when what this relies on changes.
    """
    from moto.sqs.models import sqs_backends

    def take(queue_url: str) -> list[str]:
        queue = sqs_backends[account_id][region].get_queue(queue_url.rsplit("/", 1)[1])
        with queue._messages_lock:
            held = queue._messages
            taken = [m for m in held if m.visible and not m.delayed]
            if taken:
                queue._messages = [m for m in held if not (m.visible and not m.delayed)]
        return [message.body for message in taken]

    return take


def _refcounted(install: Callable[[], Callable[[], None]]) -> Callable[[], Callable[[], None]]:
    """A process-wide patch shared by its users: installed by the first, undone by the last.

    An in-process run and a kept server can be up in one process at once (a test's), and each
    takes the patches for its own lifetime; undoing on the first stop would pull them from under
    the other. Each returned undo counts once, however often it is called.
    """
    guard = threading.Lock()
    users = 0
    undo_install: Callable[[], None] | None = None

    def acquire() -> Callable[[], None]:
        nonlocal users, undo_install
        with guard:
            if users == 0:
                undo_install = install()
            users += 1
        released = False

        def release() -> None:
            nonlocal users, undo_install, released
            with guard:
                if released:
                    return
                released = True
                users -= 1
                if users == 0 and undo_install is not None:
                    undo_install()
                    undo_install = None

        return release

    acquire.__doc__ = install.__doc__
    return acquire


def answer_in_process(session: boto3.session.Session) -> None:
    """Have moto's backends in this process answer the requests of `session`'s clients made for
    AWS's own endpoints, as `mock_aws` answers them, whether or not a mock is started.

    A ThreadedMotoServer serves this process's backends, so its state is the same either way. This
    registers a `moto.core.botocore_stubber.BotocoreStubber` of its own (moto's private API, only
    here) on the session's `before-send`; tests/local/test_moto_internals.py fails with a clear
    message when it changes.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    stubber = BotocoreStubber()
    stubber.enabled = True
    session.events.register("before-send", stubber)  # type: ignore[arg-type]  # it answers


_COPYING: Final = threading.Lock()
"""Held while moto deep-copies a listing's versions and while moto's record of instances is
dropped: dropping it from the live stack's pump while a server thread was deep-copying crashed
the process (a segmentation fault in moto's key disposal, seen twice under load)."""


def forget_tracked_models() -> None:
    """Empty moto's record of every model instance it made, as its own reset does.

    moto keeps each instance in its class's `instances_tracked`, for its dashboard only, and that
    includes the deep copy of every version in the bucket that each ListObjectVersions makes: a
    run's memory grew with every listing (about 1 GB per 60 listings of 1,200 versions) and the
    garbage collector walked all of it. This is moto's private API, reached only here;
    tests/local/test_moto_internals.py fails with a clear message when it changes.
    """
    from moto.core import model_instances

    with _COPYING:
        model_instances.reset_model_data()


def _install_windowed_listing() -> Callable[[], None]:
    """Make moto's ListObjectVersions copy only the keys its page can answer; returns the undo.

    moto deep-copies every version of every key in the bucket on each ListObjectVersions, then
    skips what is outside the prefix or before the markers and stops after a page: the handler's
    `Prefix=key, MaxKeys=1` read grew with the bucket (a run with the number of objects squared),
    and each page of a full listing of 10k keys copied all 10k. moto's listing is handed a view
    of the bucket with fewer names, and answers the same, because it reads names in sorted order
    and each name has at least one version:
    - without a delimiter, when any key marker is under the prefix: the names under the prefix
      from the key marker on (its own included: moto skips within it), and only the first
      `MaxKeys` + 2 of them (the marker's, a page, one more to say the page is truncated);
    - with a delimiter, without markers: every name under the prefix.
    Otherwise moto's own listing runs unchanged. This patches moto's private S3 backend class,
    only here, while tap local's emulator runs; tests/local/test_moto_internals.py fails with a
    clear message when what it relies on changes, and checks the answers against moto's.
    """
    from moto.s3.models import S3Backend

    original = S3Backend.list_object_versions

    def listing(
        self: S3Backend,
        bucket_name: str,
        delimiter: str | None = None,
        key_marker: str | None = None,
        max_keys: int | None = 1000,
        prefix: str = "",
        version_id_marker: str | None = None,
    ) -> Any:
        backend: Any = self
        if not delimiter and max_keys is not None and (key_marker or prefix).startswith(prefix):
            backend = _ListingView(self, prefix, key_marker or prefix, max_keys + 2)
        elif prefix and key_marker is None and not version_id_marker:
            backend = _ListingView(self, prefix, prefix, None)
        with _COPYING:
            return original(
                backend, bucket_name, delimiter, key_marker, max_keys, prefix, version_id_marker
            )

    S3Backend.list_object_versions = listing  # type: ignore[method-assign]

    def undo() -> None:
        S3Backend.list_object_versions = original  # type: ignore[method-assign]

    return undo


def _install_json_path_cache() -> Callable[[], None]:
    """Make jsonpath_ng build each JSONPath expression once; returns the undo.

    moto's EventBridge imports `jsonpath_ng.ext.parse` on every target delivery and parses its
    eight default input paths anew, and each parse builds a parser (about 50 ms): the runner puts
    an event for every versioned delete. An expression is not changed by `find`, so one parsed
    expression serves every event. Patched here only, while tap local's emulator runs;
    tests/local/test_moto_internals.py fails with a clear message when moto stops importing
    `parse` at call time.
    """
    module: Any = importlib.import_module("jsonpath_ng.ext")  # re-exports `parse` untyped
    original = module.parse
    module.parse = functools.cache(original)

    def undo() -> None:
        module.parse = original

    return undo


def _install_attribute_name_cache() -> Callable[[], None]:
    """Make moto's SQS convert each queue attribute's name once; returns the undo.

    moto builds a queue's whole attribute table, converting every attribute name from CamelCase
    with regular expressions, whenever it reads one attribute, and it reads one for every
    message sent: about 8% of an in-process run. A name's conversion never changes, so one
    cached conversion serves every call. Patched here only, while tap local's emulator runs;
    tests/local/test_moto_internals.py fails with a clear message when moto's SQS stops looking
    the function up in its module at call time.
    """
    module: Any = importlib.import_module("moto.sqs.models")
    original = module.camelcase_to_underscores
    module.camelcase_to_underscores = functools.cache(original)

    def undo() -> None:
        module.camelcase_to_underscores = original

    return undo


STREAM_RECORDS_KEPT: Final = 256
"""Records a DynamoDB stream shard keeps while tap local's emulator runs (DynamoDB: 24 hours)."""


def _install_stream_trimming() -> Callable[[], None]:
    """Make each DynamoDB stream shard keep its latest `STREAM_RECORDS_KEPT` records; returns
    the undo.

    moto keeps every stream record forever, each with the item's old and new images: the items
    table's stream (NEW_AND_OLD_IMAGES, for the replica moto does not make) was most of a live
    stack's growth, about 3.9 MB per 1,000 events, and nothing in tap local reads it. Older
    records are trimmed as DynamoDB trims them: sequence numbers go on increasing, and the shard
    starts at its oldest kept record. This wraps moto's private `StreamShard.add`;
    tests/local/test_moto_internals.py fails with a clear message when what it relies on
    changes.
    """
    from moto.dynamodb.models.table import StreamShard

    original = StreamShard.add

    @functools.wraps(original)
    def add(self: StreamShard, old: Any, new: Any) -> None:
        original(self, old, new)
        extra = len(self.items) - STREAM_RECORDS_KEPT
        if extra > 0:
            del self.items[:extra]
            self.starting_sequence_number += extra

    StreamShard.add = add  # type: ignore[method-assign]

    def undo() -> None:
        StreamShard.add = original  # type: ignore[method-assign]

    return undo


windowed_version_listing = _refcounted(_install_windowed_listing)
trimmed_streams = _refcounted(_install_stream_trimming)
parse_json_paths_once = _refcounted(_install_json_path_cache)
convert_queue_attribute_names_once = _refcounted(_install_attribute_name_cache)


DeleteSink = Callable[[str, str, str | None, bool], None]
"""(bucket, key, version id, marker created): one delete in a versioned bucket, as S3 did it."""
_DELETE_SINKS: list[DeleteSink] = []
_S3_WRITES: Final = ("put_object", "delete_object", "copy_object", "complete_multipart_upload")
"""moto's S3Backend methods that change a key's versions and emit its events."""
_S3_ORDER = threading.RLock()
"""Held by each of those while `s3_events_in_order` is in place: one write at a time."""
_SEQUENCERS = itertools.count(1)


def next_sequencer() -> str:
    """A new S3 sequencer: 16 hex digits, greater than every one before it in this process."""
    return f"{next(_SEQUENCERS):016X}"


def _install_s3_events_in_order() -> Callable[[], None]:
    """Make the events moto emits for S3 writes follow S3's order, each with its own stamp;
    returns the undo.

    - One write at a time: each of moto's S3Backend writes (`_S3_WRITES`) holds one lock while
      it changes the key and emits the key's events. Served, moto handles requests on many
      threads: two puts on one key could store in one order and reach EventBridge in the other
      (and two puts to a versioned bucket each read the versions and write them back, so one
      version could vanish).
    - Each of S3's own EventBridge events gets a fresh `id` and the next sequencer
      (`next_sequencer`), stamped on its way to the first rule it is sent to: moto builds one
      event per emission, sends that same dict to every rule, and gives every S3 event one
      constant id and sequencer. Stamped under the write's lock, sequencers increase in S3's
      order. PutEvents events keep the id moto gives each entry.
    - Each delete in a versioned bucket that moto emits no event for (a delete marker, or one
      version of several) is passed to the sinks `observe_versioned_deletes` registered, under
      the same lock, before moto answers.

    This wraps moto's private S3Backend writes and `moto.events.models.Rule.send_to_targets`;
    tests/local/test_moto_internals.py fails with a clear message when what it relies on
    changes.
    """
    from moto.events.models import Rule
    from moto.events.utils import _BASE_EVENT_MESSAGE
    from moto.s3.models import S3Backend

    originals: dict[str, Any] = {name: getattr(S3Backend, name) for name in _S3_WRITES}

    def serialized(name: str) -> Callable[..., Any]:
        original = originals[name]

        @functools.wraps(original)
        def write(self: S3Backend, *args: Any, **kwargs: Any) -> Any:
            with _S3_ORDER:
                return original(self, *args, **kwargs)

        return write

    delete = originals["delete_object"]

    @functools.wraps(delete)
    def delete_object(
        self: S3Backend,
        bucket_name: str,
        key_name: str,
        version_id: str | None = None,
        bypass: bool = False,
    ) -> Any:
        with _S3_ORDER:
            found, meta = delete(self, bucket_name, key_name, version_id, bypass)
            bucket = self.buckets.get(bucket_name)
            # A key with no version left: moto sent its own event.
            if found and bucket is not None and bucket.is_versioned and key_name in bucket.keys:
                answered = meta.get("version-id") if version_id is None else version_id
                for each in list(_DELETE_SINKS):
                    each(bucket_name, key_name, answered, version_id is None)
            return found, meta

    moto_s3_id = _BASE_EVENT_MESSAGE["id"]
    send = Rule.send_to_targets

    @functools.wraps(send)
    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        if original_event.get("source") == "aws.s3" and original_event.get("id") == moto_s3_id:
            original_event["id"] = str(uuid.uuid4())
            stamped = (original_event.get("detail") or {}).get("object")
            if isinstance(stamped, dict):
                stamped["sequencer"] = next_sequencer()
        send(self, original_event, transform_input)

    for name in _S3_WRITES:
        setattr(S3Backend, name, delete_object if name == "delete_object" else serialized(name))
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]

    def undo() -> None:
        for name, original in originals.items():
            setattr(S3Backend, name, original)
        Rule.send_to_targets = send  # type: ignore[method-assign]

    return undo


s3_events_in_order = _refcounted(_install_s3_events_in_order)


def emulator_patches() -> Callable[[], None]:
    """Take every patch of moto tap local's emulator runs with, in-process or served; returns
    the undo. Each is shared (`_refcounted`): a kept server and an in-process run can overlap."""
    releases = [
        windowed_version_listing(),
        parse_json_paths_once(),
        convert_queue_attribute_names_once(),
        s3_events_in_order(),
        trimmed_streams(),
    ]

    def release() -> None:
        for each in reversed(releases):
            each()

    return release


def observe_versioned_deletes(sink: DeleteSink) -> Callable[[], None]:
    """Call `sink` for each delete in a versioned bucket that moto emits no event for; returns
    the undo.

    moto sends an S3 event for an unversioned delete and for the removal of a key's last version,
    and none when a delete creates a delete marker or removes one version of several: those are
    the events a live stack must still deliver (`tap.local.live`). The sink is called while moto
    handles the delete, under the lock `s3_events_in_order` holds (which this takes while the
    sink is registered), so what it emits comes before any later write on the key.
    """
    release = s3_events_in_order()
    _DELETE_SINKS.append(sink)

    def undo() -> None:
        if sink in _DELETE_SINKS:
            _DELETE_SINKS.remove(sink)
            release()

    return undo


class _ListingView:
    """An S3 backend whose buckets show ListObjectVersions only some of their names: those
    under `prefix`, from `start` on, the first `count` of them (all, when None)."""

    def __init__(self, backend: Any, prefix: str, start: str, count: int | None) -> None:
        self._backend = backend
        self._prefix = prefix
        self._start = start
        self._count = count

    def get_bucket(self, bucket_name: str) -> Any:
        keys = self._backend.get_bucket(bucket_name).keys
        # The names at once (S3 writes may go on, on other threads), as moto's own iterlists.
        every = list(dict.keys(keys))
        names = (n for n in every if n >= self._start and n.startswith(self._prefix))
        chosen = sorted(names) if self._count is None else heapq.nsmallest(self._count, names)
        return _ListedBucket(keys, chosen)


@dataclass(frozen=True)
class _ListedBucket:
    """The one part of a bucket moto's listing reads: its keys, here only the chosen names."""

    all_keys: Any
    names: list[str]

    @property
    def keys(self) -> _ListedBucket:
        return self

    def iterlists(self) -> Iterator[tuple[str, list[Any]]]:
        return ((name, self.all_keys.getlist(name, [])) for name in self.names)


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
