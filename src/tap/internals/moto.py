"""moto's private API (and the jsonpath_ng parser moto calls), each behind one function.

Every patch here changes moto only while tap local's emulator runs (`emulator_patches`), and
each one names the moto internal it relies on in `SURFACES`; tests/test_internals.py guards
each surface, and a failure there names the one that changed. moto is not in the base install:
nothing here imports it until a function is called.
"""

from __future__ import annotations

import functools
import heapq
import importlib
import itertools
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import boto3

SURFACES: Final = frozenset(
    {
        "moto.sqs.models.Queue._messages",
        "moto.core.botocore_stubber.BotocoreStubber",
        "moto.core.model_instances.reset_model_data",
        "moto.s3.models.S3Backend.list_object_versions",
        "jsonpath_ng.ext.parse",
        "moto.sqs.models.camelcase_to_underscores",
        "moto.dynamodb.models.table.StreamShard.add",
        "moto.s3.models.S3Backend.delete_object",
        "moto.events.models.Rule.send_to_targets",
        "moto.events.models.EventPattern",
    }
)
"""Each private surface of moto this module reaches, as tests/test_internals.py names it."""

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
    a backlog slowed each S3 write that emitted an event. tests/test_internals.py
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


class SharedPatch:
    """A process-wide patch shared by its users: installed by the first, undone by the last.

    An in-process run and a kept server can be up in one process at once (a test's), and each
    takes the patches for its own lifetime; undoing on the first stop would pull them from under
    the other. Each returned undo counts once, however often it is called.
    """

    def __init__(self, install: Callable[[], Callable[[], None]]) -> None:
        self._install = install
        self._guard = threading.Lock()
        self._users = 0
        self._undo: Callable[[], None] | None = None
        self.__doc__ = install.__doc__

    def __call__(self) -> Callable[[], None]:
        """Take the patch (installing it if no one holds it); returns the release."""
        with self._guard:
            if self._users == 0:
                self._undo = self._install()
            self._users += 1
        released = False

        def release() -> None:
            nonlocal released
            with self._guard:
                if released:
                    return
                released = True
                self._users -= 1
                if self._users == 0 and self._undo is not None:
                    self._undo()
                    self._undo = None

        return release

    @contextmanager
    def lifted(self) -> Iterator[None]:
        """moto as moto ships it for the block, whoever holds the patch (a kept emulator an
        earlier test left up, say); the holders' patch is back afterwards. For the guards in
        tests/test_internals.py, which must see moto's own code and take the patch themselves."""
        with self._guard:
            held, self._users = self._users, 0
            if self._undo is not None:
                self._undo()
                self._undo = None
        try:
            yield
        finally:
            with self._guard:
                if held and self._users == 0:
                    self._undo = self._install()
                self._users += held


def _refcounted(install: Callable[[], Callable[[], None]]) -> SharedPatch:
    """`install` shared by its users (`SharedPatch`)."""
    return SharedPatch(install)


def answer_in_process(session: boto3.session.Session) -> None:
    """Have moto's backends in this process answer the requests of `session`'s clients made for
    AWS's own endpoints, as `mock_aws` answers them, whether or not a mock is started.

    A ThreadedMotoServer serves this process's backends, so its state is the same either way. This
    registers a `moto.core.botocore_stubber.BotocoreStubber` of its own (moto's private API, only
    here) on the session's `before-send`; tests/test_internals.py fails with a clear
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
    tests/test_internals.py fails with a clear message when it changes.
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
    only here, while tap local's emulator runs; tests/test_internals.py fails with a
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
    tests/test_internals.py fails with a clear message when moto stops importing
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
    tests/test_internals.py fails with a clear message when moto's SQS stops looking
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
    tests/test_internals.py fails with a clear message when what it relies on
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
    tests/test_internals.py fails with a clear message when what it relies on
    changes.
    """
    from moto.events.models import Rule
    from moto.s3.models import S3Backend

    originals: dict[str, Any] = {name: getattr(S3Backend, name) for name in _S3_WRITES}
    for name, original in originals.items():
        wrap = _observed_delete if name == "delete_object" else _serialized_write
        setattr(S3Backend, name, wrap(original))
    send = Rule.send_to_targets
    Rule.send_to_targets = _stamped_send(send)  # type: ignore[method-assign]

    def undo() -> None:
        for name, original in originals.items():
            setattr(S3Backend, name, original)
        Rule.send_to_targets = send  # type: ignore[method-assign]

    return undo


def _serialized_write(original: Callable[..., Any]) -> Callable[..., Any]:
    """One of moto's S3Backend writes, holding `_S3_ORDER` while it runs."""

    @functools.wraps(original)
    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _S3_ORDER:
            return original(self, *args, **kwargs)

    return write


def _observed_delete(delete: Callable[..., Any]) -> Callable[..., Any]:
    """moto's `S3Backend.delete_object`, serialized, telling `_DELETE_SINKS` of each delete in a
    versioned bucket that leaves the key a version (moto emits no event for those)."""

    @functools.wraps(delete)
    def delete_object(
        self: Any,
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

    return delete_object


def _stamped_send(send: Callable[..., None]) -> Callable[..., None]:
    """moto's `Rule.send_to_targets`, giving each of S3's own events (moto's constant id) a
    fresh id and the next sequencer before the first rule sends it."""
    from moto.events.utils import _BASE_EVENT_MESSAGE

    moto_s3_id = _BASE_EVENT_MESSAGE["id"]

    @functools.wraps(send)
    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if original_event.get("source") == "aws.s3" and original_event.get("id") == moto_s3_id:
            original_event["id"] = str(uuid.uuid4())
            stamped = (original_event.get("detail") or {}).get("object")
            if isinstance(stamped, dict):
                stamped["sequencer"] = next_sequencer()
        send(self, original_event, transform_input)

    return send_to_targets


s3_events_in_order = _refcounted(_install_s3_events_in_order)


def moto_event_pattern_matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """moto's EventBridge matcher (`moto.events.models.EventPattern`), the oracle for ours."""
    from moto.events.models import EventPattern

    return bool(EventPattern(None, dict(pattern)).matches_event(dict(event)))  # type: ignore[arg-type]


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
