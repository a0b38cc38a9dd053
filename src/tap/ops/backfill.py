"""`tap backfill`: an item for every object whose current version has none, beside live events.

Each data bucket is listed with ListObjectVersions (metadata only). A key's current entry is
the one S3 marks `IsLatest`: a version is written, a delete marker is `skipped_deleted`. The
write is `tap_processor.backfill.insert_listed`, the item code the processor and S3 Batch
Operations use: insert-if-absent, so an item an event wrote is never overwritten, and fenced by
the floor sequencer, so any later event replaces a backfilled item.

**Parallel by key range, on any layout.** One listing per bucket walks `--prefix` page by page
(no delimiter, so a flat prefix and a deep tree list alike). Each page's current entries are cut
into `--workers` key ranges in listing order, and the thread pool handles the ranges at once: a
range is "the keys after `after`, up to and including `until`". Ranges are cut from what one
listing returned, so they are disjoint and each key is listed once; the listing runs at most
one page ahead of the ranges being written.

**Resume.** The run's state is, per bucket, the listing's next marker and every unfinished
range: a range's `after` moves past each key once its item is written (or found present), so
the token advances key by key, and the step that moves it past its last key drops the range
(a token holding a finished range would list the keys after it again). Together they cover
every key not yet handled, and nothing else. Resumed, a range is listed by itself
(`KeyMarker=after`, as many keys as it has left, up to `until`) while the listing goes on from
its marker: still disjoint. A key whose write failed holds its range's `after` where it was, so
a resume writes it again; the keys after it are then listed again and count as
`already_present` (the writes are insert-if-absent).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from tap.errors import EXIT_USAGE, TapError

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import ListObjectVersionsOutputTypeDef

    from tap.ops.session import OpsSession
    from tap.ops.stack import StackResources
    from tap_processor.state import ObjectState

TOKEN_VERSION: Final = 2
"""2: key ranges (this module). 1 was per-prefix shards: refused, with what to do instead."""
PAGE_SIZE: Final = 1000
"""ListObjectVersions' maximum page."""
DEFAULT_WORKERS: Final = 8
DEFAULT_MAX_ERRORS: Final = 100
"""The error budget: past it the run stops and prints a resume token."""
MAX_ERROR_SAMPLES: Final = 10
_DONE: Final = "done"

Marker = tuple[str, str | None]
"""(KeyMarker, VersionIdMarker) to continue a listing after; no version id: after the key."""
Next = Marker | None | Literal["done"]
"""Where a bucket's listing goes on: None before its first page, `done` after its last."""


class ResumeTokenError(TapError):
    """A resume token that is not one this backfill printed."""

    exit_code = EXIT_USAGE
    prefix = "invalid resume token"


@dataclass(frozen=True, slots=True)
class ListedObject:
    """One key's current version, as listed, before its item is written."""

    bucket: str
    key: str
    state: ObjectState
    last_modified: datetime
    read_at: datetime
    """When S3 answered the listing page (`tap_processor.versions.answered_at`)."""


@dataclass
class BackfillCounts:
    """What a run did: listed = written + already_present + skipped_deleted + errors (per key),
    plus one error per failed listing page."""

    listed: int = 0
    written: int = 0
    already_present: int = 0
    skipped_deleted: int = 0
    errors: int = 0


@dataclass(frozen=True)
class BackfillResult:
    """The counts, and a resume token when some key is not handled yet."""

    counts: BackfillCounts
    dry_run: bool
    resume_token: str | None
    error_samples: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every key of every bucket was listed and handled."""
        return self.resume_token is None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document `tap backfill --json` prints (snake_case keys)."""
        document: dict[str, Any] = {
            "listed": self.counts.listed,
            "written": self.counts.written,
            "already_present": self.counts.already_present,
            "skipped_deleted": self.counts.skipped_deleted,
            "errors": self.counts.errors,
        }
        if self.dry_run:
            document["dry_run"] = True
        if self.resume_token is not None:
            document["resume_token"] = self.resume_token
        return document


@dataclass(frozen=True, slots=True)
class _Current:
    """One key's current entry in a listing page: a version, or a delete marker."""

    key: str
    entry: Mapping[str, Any]
    deleted: bool
    read_at: datetime
    """When S3 answered the page that listed it: the backfilled item's read fence."""


@dataclass(eq=False)
class _Range:
    """The keys after `after` up to and including `until`, under the run's prefix, unhandled."""

    after: Marker | None
    """None: from the start of the prefix."""
    until: str
    remaining: int
    """How many keys the range had left when it was listed: its resumed listing's MaxKeys."""
    held: bool = False
    """A key failed (or its listing did): `after` stays before it, for a resume to retry."""

    @property
    def finished(self) -> bool:
        """`after` reached `until`: no key of the range is left."""
        return self.after == (self.until, None)


@dataclass
class _BucketPlan:
    """Where one bucket stands: its listing's next marker, and its unfinished ranges."""

    next: Next = None
    ranges: list[_Range] = field(default_factory=list)


def _marker_json(marker: Next) -> Any:
    return list(marker) if isinstance(marker, tuple) else marker


def _marker_of(value: Any) -> Marker | None:
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and (value[1] is None or isinstance(value[1], str))
    ):
        return (value[0], value[1])
    raise ValueError(f"not a marker: {value!r}")


def _range_of(value: Any) -> _Range:
    if (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[1], str)
        and isinstance(value[2], int)
        and value[2] >= 0
    ):
        return _Range(after=_marker_of(value[0]), until=value[1], remaining=value[2])
    raise ValueError(f"not a key range: {value!r}")


def encode_token(stack: str, prefix: str, plans: Mapping[str, _BucketPlan]) -> str:
    """The opaque resume token of a run's state: compressed JSON, base64url."""
    document = {
        "v": TOKEN_VERSION,
        "stack": stack,
        "prefix": prefix,
        "buckets": {
            bucket: {
                "next": _marker_json(plan.next),
                "ranges": [
                    [_marker_json(r.after), r.until, r.remaining]
                    for r in sorted(plan.ranges, key=lambda r: r.until)
                ],
            }
            for bucket, plan in sorted(plans.items())
        },
    }
    raw = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def _token_document(token: str) -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    with suppress(zlib.error):  # version 1 was not compressed: read it to say what it is
        raw = zlib.decompress(raw)
    document = json.loads(raw)
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    return document


def decode_token(
    token: str, *, stack: str, prefix: str, buckets: tuple[str, ...]
) -> dict[str, _BucketPlan]:
    """The run state a token holds; ResumeTokenError unless this stack's backfill of `prefix`
    printed it."""
    try:
        document = _token_document(token)
        if document.get("v") == 1:
            raise ResumeTokenError(
                "the token was printed by an earlier tap (per-prefix shards); run the backfill "
                "again without --resume: its writes are insert-if-absent, so what the earlier "
                "run wrote only counts as already present"
            )
        if document.get("v") != TOKEN_VERSION:
            raise ValueError("unknown token version")
        plans: dict[str, _BucketPlan] = {}
        for bucket, entry in dict(document["buckets"]).items():
            listing = entry["next"]
            plans[str(bucket)] = _BucketPlan(
                next=_DONE if listing == _DONE else _marker_of(listing),
                ranges=[_range_of(r) for r in list(entry["ranges"])],
            )
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as error:
        raise ResumeTokenError(f"not a tap backfill resume token ({error})") from None
    if document.get("stack") != stack or document.get("prefix") != prefix:
        raise ResumeTokenError(
            f"the token is from a backfill of stack {document.get('stack')!r} with prefix "
            f"{document.get('prefix')!r}, not of stack {stack!r} with prefix {prefix!r}"
        )
    if sorted(plans) != sorted(buckets):
        raise ResumeTokenError(
            f"the token lists buckets {', '.join(sorted(plans))}, the stack has "
            f"{', '.join(sorted(buckets))}"
        )
    return plans


def _current_entries(page: Mapping[str, Any], read_at: datetime) -> list[_Current]:
    """A listing page's current entries (`IsLatest`), in key order."""
    found = [
        _Current(str(e["Key"]), e, deleted, read_at)
        for name, deleted in (("Versions", False), ("DeleteMarkers", True))
        for e in page.get(name, [])
        if e.get("IsLatest")
    ]
    # Python orders str by code point, which is S3's order (UTF-8 bytes).
    return sorted(found, key=lambda c: c.key)


def _chunks(entries: list[_Current], parts: int) -> list[list[_Current]]:
    """`entries` (one page's, in key order) in at most `parts` runs of nearly equal length."""
    size = max(1, math.ceil(len(entries) / max(1, parts)))
    return [entries[i : i + size] for i in range(0, len(entries), size)]


def _next_marker(page: Mapping[str, Any]) -> Marker | None:
    """The marker after a truncated page; None after the last."""
    if not page.get("IsTruncated"):
        return None
    return (str(page.get("NextKeyMarker") or ""), page.get("NextVersionIdMarker") or None)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Backfill:
    """One backfill run over a stack's data buckets; `stop()` ends it after the keys in hand.

    `on_listed` is called with each current version after it was listed and before its item is
    written (tests use it to land an event in between, or to hold ranges at a barrier).
    """

    def __init__(
        self,
        session: OpsSession,
        resources: StackResources,
        *,
        environment: str,
        prefix: str = "",
        dry_run: bool = False,
        resume: str | None = None,
        workers: int = DEFAULT_WORKERS,
        max_errors: int = DEFAULT_MAX_ERRORS,
        page_size: int = PAGE_SIZE,
        on_listed: Callable[[ListedObject], None] | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        from tap_processor.store import ItemStore

        self._s3 = session.client("s3")
        self._dynamodb = session.client("dynamodb")
        self._store = ItemStore(client=self._dynamodb, table_name=resources.table)
        self._resources = resources
        self._environment = environment
        self._prefix = prefix
        self._dry_run = dry_run
        self._workers = max(1, workers)
        self._max_errors = max_errors
        self._page_size = page_size
        self._on_listed = on_listed
        self._clock = clock
        self._plans = (
            decode_token(resume, stack=resources.stack, prefix=prefix, buckets=resources.buckets)
            if resume is not None
            else {bucket: _BucketPlan() for bucket in resources.buckets}
        )
        self.counts = BackfillCounts()
        self._samples: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pending = 0
        """Ranges submitted and not finished."""
        self._idle = threading.Condition(self._lock)
        self._pool: ThreadPoolExecutor | None = None

    def stop(self) -> None:
        """End the run after the keys being written; the result carries a resume token."""
        self._stop.set()  # waits poll it: this may run in a signal handler, so it takes no lock

    def resume_token(self) -> str | None:
        """The token that continues this run now; None once every key is handled."""
        acquired = self._lock.acquire(timeout=1.0)  # may run in a signal handler
        try:
            if all(p.next == _DONE and not p.ranges for p in self._plans.values()):
                return None
            return encode_token(self._resources.stack, self._prefix, self._plans)
        finally:
            if acquired:
                self._lock.release()

    def run(self) -> BackfillResult:
        """Resume the token's ranges, then list each bucket on, range by range."""
        with ThreadPoolExecutor(self._workers, thread_name_prefix="tap-backfill") as pool:
            self._pool = pool
            # Taken before any listing: a range the listing adds is submitted by the listing.
            resumed = [(b, r) for b, plan in self._plans.items() for r in plan.ranges]
            for bucket, key_range in resumed:
                self._submit(bucket, key_range, None)
            for bucket, plan in self._plans.items():
                self._list(bucket, plan)
            with self._idle:
                while self._pending:
                    self._idle.wait(0.5)
        return BackfillResult(
            counts=self.counts,
            dry_run=self._dry_run,
            resume_token=self.resume_token(),
            error_samples=tuple(self._samples),
        )

    def _list(self, bucket: str, plan: _BucketPlan) -> None:
        """List the bucket from its marker; hand each page to the pool as disjoint ranges."""
        while plan.next != _DONE and self._room():
            start = plan.next if isinstance(plan.next, tuple) else None
            page = self._list_page(bucket, start, self._page_size)
            if page is None:
                return
            after = _next_marker(page)
            ranges: list[tuple[_Range, list[_Current]]] = []
            begin = start
            for run in _chunks(_current_entries(page, self._answered(page)), self._workers):
                ranges.append((_Range(begin, run[-1].key, len(run)), run))
                begin = (run[-1].key, None)
            with self._lock:  # one step: the token never loses or doubles a page
                plan.ranges.extend(r for r, _ in ranges)
                plan.next = after if after is not None else _DONE
            for key_range, run in ranges:
                self._submit(bucket, key_range, run)

    def _room(self) -> bool:
        """Wait until fewer ranges than workers are in hand (the listing runs one page ahead
        of the writes, no further); False once the run is stopping."""
        with self._idle:
            while self._pending >= self._workers and not self._stop.is_set():
                self._idle.wait(0.5)
        return not self._stop.is_set()

    def _submit(self, bucket: str, key_range: _Range, listed: list[_Current] | None) -> None:
        assert self._pool is not None
        with self._lock:
            self._pending += 1
        future = self._pool.submit(self._range, bucket, key_range, listed)
        future.add_done_callback(self._finished)

    def _finished(self, future: Future[None]) -> None:
        error = future.exception()
        if error is not None:
            self._error(f"{type(error).__name__}: {error}")
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _error(self, message: str) -> None:
        with self._lock:
            self.counts.errors += 1
            if len(self._samples) < MAX_ERROR_SAMPLES:
                self._samples.append(message)
            over = self.counts.errors > self._max_errors
        if over:
            self.stop()

    def _list_page(
        self, bucket: str, start: Marker | None, size: int
    ) -> ListObjectVersionsOutputTypeDef | None:
        """One ListObjectVersions page under the prefix after `start`; None (an error counted)
        when it failed."""
        from botocore.exceptions import BotoCoreError, ClientError

        request: dict[str, Any] = {"Bucket": bucket, "Prefix": self._prefix, "MaxKeys": size}
        if start is not None:
            request["KeyMarker"] = start[0]
            if start[1]:
                request["VersionIdMarker"] = start[1]
        try:
            page = self._s3.list_object_versions(**request)
        except (BotoCoreError, ClientError) as error:
            self._error(f"ListObjectVersions on {bucket} under {self._prefix!r}: {error}")
            return None
        return page

    def _range(self, bucket: str, key_range: _Range, listed: list[_Current] | None) -> None:
        """Handle a range's keys in order, moving its `after` past each; drop it when done."""
        plan = self._plans[bucket]
        source = listed if listed is not None else self._relist(bucket, key_range)
        for current in source:
            if self._stop.is_set():
                return
            handled = self._handle(bucket, current)
            with self._lock:
                key_range.held = key_range.held or not handled
                if not key_range.held:
                    key_range.after = (current.key, None)
                    key_range.remaining = max(0, key_range.remaining - 1)
                    if key_range.finished:  # one step with its last key: no token holds it
                        plan.ranges.remove(key_range)
                        return
        with self._lock:
            # Stopped inside a resumed range's listing, it is not known to be done.
            done = not self._stop.is_set() or key_range.finished
            if done and not key_range.held:
                plan.ranges.remove(key_range)

    def _relist(self, bucket: str, key_range: _Range) -> Iterator[_Current]:
        """A resumed range's keys, listed from its `after` up to `until` and no further."""
        if key_range.finished:  # an earlier tap printed it between its last key and its end
            return
        start = key_range.after
        while not self._stop.is_set():
            size = min(self._page_size, key_range.remaining) or self._page_size
            page = self._list_page(bucket, start, size)
            if page is None:
                with self._lock:
                    key_range.held = True
                return
            for current in _current_entries(page, self._answered(page)):
                if current.key > key_range.until:
                    return
                yield current
                if current.key == key_range.until:
                    return
            start = _next_marker(page)
            if start is None:
                return

    def _answered(self, page: Mapping[str, Any]) -> datetime:
        from tap_processor.versions import answered_at

        return answered_at(page, self._clock)

    def _handle(self, bucket: str, current: _Current) -> bool:
        """Count a delete marker, or write a version's item; False when the write failed."""
        from tap_processor.versions import listed_state

        with self._lock:
            self.counts.listed += 1
            if current.deleted:
                self.counts.skipped_deleted += 1
        if current.deleted:
            return True
        listed = ListedObject(
            bucket=bucket,
            key=current.key,
            state=listed_state(current.entry, marker=False),
            last_modified=current.entry["LastModified"],
            read_at=current.read_at,
        )
        if self._on_listed is not None:
            self._on_listed(listed)
        return self._write(listed)

    def _write(self, listed: ListedObject) -> bool:
        from botocore.exceptions import BotoCoreError

        from tap_processor.backfill import insert_listed
        from tap_processor.errors import ProcessorError
        from tap_processor.store import iso_utc

        try:
            if self._dry_run:
                written = not self._has_item(listed)
            else:
                written = insert_listed(
                    self._store,
                    listed.bucket,
                    listed.key,
                    listed.state,
                    last_modified=listed.last_modified,
                    read_at=listed.read_at,
                    environment=self._environment,
                    updated_at=iso_utc(self._clock()),
                )
        except (ProcessorError, BotoCoreError) as error:
            self._error(f"{listed.bucket}/{listed.key}: {error}")
            return False
        with self._lock:
            if written:
                self.counts.written += 1
            else:
                self.counts.already_present += 1
        return True

    def _has_item(self, listed: ListedObject) -> bool:
        """--dry-run: whether the object has an item (one GetItem of its key only)."""
        from botocore.exceptions import BotoCoreError, ClientError

        from tap_processor.errors import StoreError
        from tap_processor.event import object_id

        try:
            response = self._dynamodb.get_item(
                TableName=self._resources.table,
                Key={"id": {"S": object_id(listed.bucket, listed.key)}},
                ProjectionExpression="#id",
                ExpressionAttributeNames={"#id": "id"},
            )
        except (BotoCoreError, ClientError) as error:
            raise StoreError(f"GetItem on {self._resources.table} failed: {error}") from error
        return "Item" in response
