"""`tap backfill`: an item for every object whose current version has none, beside live events.

Each data bucket is listed with ListObjectVersions (metadata only). A key's current entry is
the one S3 marks `IsLatest`: a version is written, a delete marker is `skipped_deleted`. The
write is `tap_processor.backfill.insert_listed`, the item code the processor and S3 Batch
Operations use: insert-if-absent, so an item an event wrote is never overwritten, and fenced by
the floor sequencer, so any later event replaces a backfilled item.

**Parallel by prefix.** One "root" listing per bucket walks `--prefix` with `Delimiter="/"`:
it handles the keys directly under the prefix itself and hands each common prefix it finds
(`<prefix>a/`, `<prefix>b/`, ...) to the thread pool as a shard, listed without a delimiter.
Shards are disjoint and together cover every key under the prefix; a flat key space (no `/`
after the prefix) is one shard, the root.

**Resume.** After each page a shard records the page's `NextKeyMarker`/`NextVersionIdMarker`.
The resume token is that state, base64 JSON: per bucket, the root's marker (or done) and every
discovered, unfinished shard's marker. A page cut short is listed again on resume; its writes
are insert-if-absent, so that only moves counts from `written` to `already_present`.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from tap.errors import EXIT_USAGE, TapError

if TYPE_CHECKING:
    from tap.ops.session import OpsSession
    from tap.ops.stack import StackResources
    from tap_processor.state import ObjectState

TOKEN_VERSION: Final = 1
DELIMITER: Final = "/"
"""Splits the key space into shards: the common prefixes one level below `--prefix`."""
PAGE_SIZE: Final = 1000
"""ListObjectVersions' maximum page."""
DEFAULT_WORKERS: Final = 8
DEFAULT_MAX_ERRORS: Final = 100
"""The error budget: past it the run stops and prints a resume token."""
MAX_ERROR_SAMPLES: Final = 10
_DONE: Final = "done"

Marker = tuple[str, str | None]
"""(KeyMarker, VersionIdMarker) to continue a listing after."""


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
    """The counts, and a resume token when the run stopped before it listed everything."""

    counts: BackfillCounts
    dry_run: bool
    resume_token: str | None
    error_samples: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every shard of every bucket was listed to its end."""
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


@dataclass
class _BucketPlan:
    """Where one bucket's listing stands: the root's marker, and each open shard's."""

    root: Marker | str | None = None
    """None: not started; a marker: continue after it; `done`."""
    shards: dict[str, Marker | None] = field(default_factory=dict)
    """Open shards (common prefixes) by prefix: None until their first page is done."""


def _marker_json(marker: Marker | str | None) -> Any:
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


def encode_token(stack: str, prefix: str, plans: Mapping[str, _BucketPlan]) -> str:
    """The opaque resume token of a run's state."""
    document = {
        "v": TOKEN_VERSION,
        "stack": stack,
        "prefix": prefix,
        "buckets": {
            bucket: {
                "root": _marker_json(plan.root),
                "shards": {p: _marker_json(m) for p, m in sorted(plan.shards.items())},
            }
            for bucket, plan in sorted(plans.items())
        },
    }
    raw = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(
    token: str, *, stack: str, prefix: str, buckets: tuple[str, ...]
) -> dict[str, _BucketPlan]:
    """The run state a token holds; ResumeTokenError unless this stack's backfill of `prefix`
    printed it."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw)
        if not isinstance(document, dict) or document.get("v") != TOKEN_VERSION:
            raise ValueError("unknown token version")
        plans: dict[str, _BucketPlan] = {}
        for bucket, entry in dict(document["buckets"]).items():
            root = entry["root"]
            plans[str(bucket)] = _BucketPlan(
                root=_DONE if root == _DONE else _marker_of(root),
                shards={str(p): _marker_of(m) for p, m in dict(entry["shards"]).items()},
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


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Backfill:
    """One backfill run over a stack's data buckets; `stop()` ends it after the current pages.

    `on_listed` is called with each current version after it was listed and before its item is
    written (tests use it to land an event in between).
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
        self._idle = threading.Condition(self._lock)
        self._pool: ThreadPoolExecutor | None = None

    def stop(self) -> None:
        """End the run after the pages being processed; the result carries a resume token."""
        self._stop.set()

    def resume_token(self) -> str | None:
        """The token that continues this run now; None once every listing is complete."""
        acquired = self._lock.acquire(timeout=1.0)  # may run in a signal handler
        try:
            if all(p.root == _DONE and not p.shards for p in self._plans.values()):
                return None
            return encode_token(self._resources.stack, self._prefix, self._plans)
        finally:
            if acquired:
                self._lock.release()

    def run(self) -> BackfillResult:
        """List every bucket, shard by shard, writing as it goes."""
        with ThreadPoolExecutor(self._workers, thread_name_prefix="tap-backfill") as pool:
            self._pool = pool
            for bucket, plan in self._plans.items():
                if plan.root != _DONE:
                    self._submit(self._root, bucket)
                for shard in list(plan.shards):
                    self._submit(self._shard, bucket, shard)
            with self._idle:
                while self._pending:
                    self._idle.wait(0.5)
        return BackfillResult(
            counts=self.counts,
            dry_run=self._dry_run,
            resume_token=self.resume_token(),
            error_samples=tuple(self._samples),
        )

    def _submit(self, work: Callable[..., None], *args: str) -> None:
        assert self._pool is not None
        with self._lock:
            self._pending += 1
        future = self._pool.submit(work, *args)
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
            self._stop.set()

    def _pages(
        self, bucket: str, prefix: str, marker: Marker | None, *, delimited: bool
    ) -> Iterator[tuple[dict[str, Any], Marker | None]]:
        """Each page of one listing, with the marker after it (None after the last page)."""
        from botocore.exceptions import BotoCoreError, ClientError

        while not self._stop.is_set():
            request: dict[str, Any] = {
                "Bucket": bucket,
                "Prefix": prefix,
                "MaxKeys": self._page_size,
            }
            if delimited:
                request["Delimiter"] = DELIMITER
            if marker is not None:
                request["KeyMarker"] = marker[0]
                if marker[1]:
                    request["VersionIdMarker"] = marker[1]
            try:
                page = self._s3.list_object_versions(**request)
            except (BotoCoreError, ClientError) as error:
                self._error(f"ListObjectVersions on {bucket} under {prefix!r}: {error}")
                return
            truncated = bool(page.get("IsTruncated"))
            marker = (
                (str(page.get("NextKeyMarker") or ""), page.get("NextVersionIdMarker") or None)
                if truncated
                else None
            )
            yield page, marker
            if marker is None:
                return

    def _root(self, bucket: str) -> None:
        plan = self._plans[bucket]
        start = plan.root if isinstance(plan.root, tuple) else None
        for page, after in self._pages(bucket, self._prefix, start, delimited=True):
            self._current_entries(bucket, page)
            found = [p["Prefix"] for p in page.get("CommonPrefixes", []) if p.get("Prefix")]
            with self._lock:
                new = [p for p in found if p not in plan.shards]
                plan.shards.update(dict.fromkeys(new))
                plan.root = after if after is not None else _DONE
            for shard in new:
                self._submit(self._shard, bucket, shard)

    def _shard(self, bucket: str, prefix: str) -> None:
        plan = self._plans[bucket]
        for page, after in self._pages(bucket, prefix, plan.shards.get(prefix), delimited=False):
            self._current_entries(bucket, page)
            with self._lock:
                if after is None:
                    plan.shards.pop(prefix, None)
                else:
                    plan.shards[prefix] = after

    def _current_entries(self, bucket: str, page: Mapping[str, Any]) -> None:
        """Count each key's current delete marker; write each key's current version."""
        from tap_processor.versions import answered_at, listed_state

        read_at = answered_at(page, self._clock)
        deleted = sum(1 for m in page.get("DeleteMarkers", []) if m.get("IsLatest"))
        with self._lock:
            self.counts.listed += deleted
            self.counts.skipped_deleted += deleted
        for entry in page.get("Versions", []):
            if not entry.get("IsLatest"):
                continue
            listed = ListedObject(
                bucket=bucket,
                key=str(entry["Key"]),
                state=listed_state(entry, marker=False),
                last_modified=entry["LastModified"],
                read_at=read_at,
            )
            with self._lock:
                self.counts.listed += 1
            if self._on_listed is not None:
                self._on_listed(listed)
            self._write(listed)

    def _write(self, listed: ListedObject) -> None:
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
            return
        with self._lock:
            if written:
                self.counts.written += 1
            else:
                self.counts.already_present += 1

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
