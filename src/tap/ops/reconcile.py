"""`tap reconcile`: compare the items table with S3's current version of every key, and repair.

The bucket's listing (or an S3 Inventory report) and the table's Scan are streamed into an
on-disk sqlite join, so memory stays bounded whatever the bucket's size. Every difference the
join finds is a candidate only: the listing and the Scan are not one snapshot, and an inventory
is up to 48 hours old. Each candidate is read again, the item first (GetItem, consistent) and
then S3's current version (`VersionReader.read`), so S3's answer is at least as new as the
item's; only a difference that is still there is reported as drift. A repair writes S3's state
with the processor's own item (`store.to_item`), conditioned on the item being exactly what was
read (`ItemStore.replace_exact`), with the read's `read_at`: a concurrent event wins, and no
event from before the read can overwrite the repair (the read fence, docs/processor.md). The
table key is the identity: every item in the reconciled range is judged, and one that is not
tap's shape (no sequencer tap writes, an id that is not its bucket and key) is drift of its own
kind, `foreign_item`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib
import json
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote_plus, urlparse

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from tap import interrupts
from tap.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, TapError
from tap.ops import OpsProgress
from tap.ops.session import error_text
from tap_processor.backfill import FLOOR_SEQUENCER, listing_event
from tap_processor.errors import ProcessorError
from tap_processor.event import NULL_VERSION, object_id
from tap_processor.sequencer import is_normalised
from tap_processor.state import ObjectState, Status
from tap_processor.store import ItemStore, foreign_reason, state_of_item, stored_sequencer
from tap_processor.versions import CurrentVersion, VersionReader

if TYPE_CHECKING:
    from tap.ops.session import OpsSession
    from tap.ops.stack import StackResources

EXAMPLES: Final = 10
"""Examples kept of each kind of drift."""
SCAN_SEGMENTS: Final = 4
"""Parallel Scan segments (each a thread)."""
REREAD_WORKERS: Final = 8
"""Candidates read again (and repaired) at once: each is two or three round trips."""
REREAD_BATCH: Final = 256
"""Candidates handed to the workers together; their outcomes are counted in join order."""
BATCH: Final = 1000
"""Rows per executemany; a listing page holds at most 1000 entries."""
INTERRUPT_GRACE: Final = 10.0
"""Seconds an interrupt waits for the candidates being read again (and repaired) when it came,
so that its line counts every repair written."""
INVENTORY_AGE_NOTE: Final = (
    "an S3 Inventory report is up to 48 hours old: every difference it shows is read again from "
    "S3 and the table before it is reported, and keys created since the report are not seen"
)

Row = tuple[Any, ...]
OUT_OF_STACK: Final = "its bucket is not one of stack"
"""A `foreign_item`'s reason when its id names a bucket the stack does not have."""


class DriftKind(StrEnum):
    """How the table disagrees with S3's current version of one key."""

    MISSING_ITEM = "missing_item"
    """S3 has a current version; the table has no item."""
    FALSE_TOMBSTONE = "false_tombstone"
    """S3 has a current version; the item says deleted."""
    ORPHAN_ITEM = "orphan_item"
    """S3 has no current version (a delete marker, or nothing); the item says present."""
    STALE_ITEM = "stale_item"
    """Both present, but the version id, size or etag differ."""
    FOREIGN_ITEM = "foreign_item"
    """The item is not one tap wrote: no sequencer tap writes, an unknown status, an id that is
    not its bucket and key, or (reconciling the whole table) a bucket not of this stack."""


class ReconcileError(TapError):
    """An AWS call failed part-way: what was found so far is not a result."""

    prefix = "reconcile failed"


class InventoryError(TapError):
    """An S3 Inventory report that cannot be read as documented, or fails its checksums."""

    exit_code = EXIT_USAGE
    prefix = "cannot read the inventory"


def _version(version_id: str | None) -> str | None:
    """S3's "null" version id (versioning off or suspended) is the item's absent one."""
    return None if version_id in (None, NULL_VERSION, "") else version_id


def _etag(etag: str | None) -> str | None:
    """Without the quotes S3's APIs put around it, as events carry it."""
    return etag.strip('"') if etag else None


def normalised(state: ObjectState) -> ObjectState:
    """The state as the processor stores it: no "null" version id, no quotes around the etag."""
    return replace(state, version_id=_version(state.version_id), etag=_etag(state.etag))


def classify(s3: ObjectState, item: ObjectState | None) -> DriftKind | None:
    """The drift between S3's current state of a key and its item (None: the item is absent);
    None when they agree. Deleted in both, or absent from both, agree."""
    present = s3.status is Status.PRESENT
    if item is None:
        return DriftKind.MISSING_ITEM if present else None
    if item.status is Status.DELETED:
        return DriftKind.FALSE_TOMBSTONE if present else None
    if not present:
        return DriftKind.ORPHAN_ITEM
    s3, item = normalised(s3), normalised(item)
    if (s3.version_id, s3.size, s3.etag) != (item.version_id, item.size, item.etag):
        return DriftKind.STALE_ITEM
    return None


@dataclass(frozen=True, slots=True)
class Drift:
    """One key whose item disagrees with S3, as read again just before it was reported."""

    kind: DriftKind
    bucket: str
    key: str
    s3: ObjectState | None
    """None: not read, because the item's bucket is not one of the stack's."""
    item: ObjectState | None
    reason: str | None = None
    """Why a `foreign_item` is not tap's."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (snake_case keys)."""
        return {
            "kind": self.kind.value,
            "bucket": self.bucket,
            "key": self.key,
            "s3": _state_dict(self.s3) if self.s3 else None,
            "item": _state_dict(self.item) if self.item else None,
            "reason": self.reason,
        }


def _state_dict(state: ObjectState) -> dict[str, Any]:
    return {
        "status": state.status.value,
        "version_id": state.version_id,
        "size": state.size,
        "etag": state.etag,
    }


@dataclass
class ReconcileReport:
    """What one reconcile found and did."""

    source: str
    """`listing` (ListObjectVersions) or `inventory` (an S3 Inventory report)."""
    repair: bool
    dry_run: bool
    listed_keys: int = 0
    """Keys whose current version or delete marker was listed."""
    scanned_items: int = 0
    """Items of the reconciled buckets (and prefix) the Scan read."""
    candidates: int = 0
    """Keys the join found different, before each was read again."""
    changed_since_listed: int = 0
    """Candidates that agreed when read again: an event (or the report's age) explains them."""
    counts: dict[DriftKind, int] = field(default_factory=lambda: dict.fromkeys(DriftKind, 0))
    examples: dict[DriftKind, list[Drift]] = field(
        default_factory=lambda: {kind: [] for kind in DriftKind}
    )
    repaired: int = 0
    repair_conflicts: int = 0
    """Repairs whose condition failed: the item changed after it was read (an event won)."""
    unrepaired: int = 0
    """Drift still there after the run: not repaired, or still different after a conflict."""
    notes: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    """Wall time of the run: listing and Scan, join, re-reads and repairs."""

    @property
    def drifted(self) -> int:
        """Keys found drifted, of every kind."""
        return sum(self.counts.values())

    @property
    def exit_code(self) -> int:
        """0 when nothing drifted or everything was repaired; 1 otherwise."""
        return EXIT_FINDINGS if self.unrepaired else EXIT_OK

    def add(self, drift: Drift) -> None:
        """Count one drifted key, keeping the first few of each kind as examples."""
        self.counts[drift.kind] += 1
        if len(self.examples[drift.kind]) < EXAMPLES:
            self.examples[drift.kind].append(drift)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (snake_case keys)."""
        return {
            "source": self.source,
            "repair": self.repair,
            "dry_run": self.dry_run,
            "listed_keys": self.listed_keys,
            "scanned_items": self.scanned_items,
            "candidates": self.candidates,
            "changed_since_listed": self.changed_since_listed,
            "counts": {kind.value: n for kind, n in self.counts.items()},
            "drifted": self.drifted,
            "examples": {
                kind.value: [d.to_dict() for d in drifts] for kind, drifts in self.examples.items()
            },
            "repaired": self.repaired,
            "repair_conflicts": self.repair_conflicts,
            "unrepaired": self.unrepaired,
            "notes": self.notes,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _when(value: Any) -> str | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return _timestamp(value)
    return str(value) if value else None


# -- the on-disk join ------------------------------------------------------------------------

_SCHEMA: Final = """
CREATE TABLE listed (
    id TEXT PRIMARY KEY, bucket TEXT, key TEXT, present INTEGER,
    version_id TEXT, size INTEGER, etag TEXT, last_modified TEXT
) WITHOUT ROWID;
CREATE TABLE items (
    id TEXT PRIMARY KEY, bucket TEXT, key TEXT, present INTEGER,
    version_id TEXT, size INTEGER, etag TEXT, foreign_reason TEXT
) WITHOUT ROWID;
"""
# Both sides are keyed by the item id: the two queries walk one primary key and probe the other.
_JOIN: Final = """
SELECT l.bucket, l.key, l.present, l.version_id, l.size, l.etag, l.last_modified,
       i.id IS NOT NULL, i.foreign_reason, i.present, i.version_id, i.size, i.etag
FROM listed AS l LEFT JOIN items AS i ON i.id = l.id
UNION ALL
SELECT i.bucket, i.key, 0, NULL, NULL, NULL, NULL, 1, i.foreign_reason,
       i.present, i.version_id, i.size, i.etag
FROM items AS i WHERE NOT EXISTS (SELECT 1 FROM listed AS l WHERE l.id = i.id)
"""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A key the join found different: what the listing and the Scan said."""

    kind: DriftKind
    bucket: str
    key: str
    listed_version_id: str | None
    last_modified: str | None


class Join:
    """S3's listing and the table's items in one sqlite file (journal off), joined by item id.

    Rows go in by `executemany` batches from any thread; nothing of the bucket or the table is
    kept in Python.
    """

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database (its file is the caller's to remove)."""
        self._db.close()

    def add_listed(self, rows: Sequence[Row]) -> None:
        """(id, bucket, key, present, version_id, size, etag, last_modified) rows."""
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO listed VALUES (?,?,?,?,?,?,?,?)", rows)

    def add_items(self, rows: Sequence[Row]) -> None:
        """(id, bucket, key, present, version_id, size, etag, foreign_reason) rows."""
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO items VALUES (?,?,?,?,?,?,?,?)", rows)

    def sizes(self) -> tuple[int, int]:
        """(listed keys, items) loaded."""
        with self._lock:
            listed = self._db.execute("SELECT count(*) FROM listed").fetchone()[0]
            items = self._db.execute("SELECT count(*) FROM items").fetchone()[0]
        return int(listed), int(items)

    def candidates(self) -> Iterator[Candidate]:
        """Every key whose listed state and item differ, streamed from the join."""
        for row in self._db.execute(_JOIN):
            (bucket, key, present, version, size, etag, modified, has_item, foreign) = row[:9]
            s3 = ObjectState(
                Status.PRESENT if present else Status.DELETED,
                version_id=version,
                size=size,
                etag=etag,
            )
            item = None
            if has_item:
                item_present, item_version, item_size, item_etag = row[9:]
                item = ObjectState(
                    Status.PRESENT if item_present else Status.DELETED,
                    version_id=item_version,
                    size=item_size,
                    etag=item_etag,
                )
            kind = DriftKind.FOREIGN_ITEM if foreign else classify(s3, item)
            if kind is not None:
                yield Candidate(kind, bucket, key, version, modified)


def listed_row(bucket: str, entry: Mapping[str, Any], *, present: bool) -> Row:
    """A `listed` row from one ListObjectVersions entry (a version or a delete marker)."""
    key = entry["Key"]
    return (
        object_id(bucket, key),
        bucket,
        key,
        int(present),
        _version(entry.get("VersionId")),
        entry.get("Size") if present else None,
        _etag(entry.get("ETag")) if present else None,
        _when(entry.get("LastModified")),
    )


def item_row(item: Mapping[str, Any]) -> Row:
    """An `items` row from one scanned item, named by its table key `id` (bucket/key)."""
    ident = str(item.get("id", {}).get("S", ""))
    bucket, _, key = ident.partition("/")
    state = normalised(state_of_item(item))
    return (
        ident,
        bucket,
        key,
        int(state.status is Status.PRESENT),
        state.version_id,
        state.size,
        state.etag,
        foreign_reason(item),
    )


# -- S3: the listing, or an inventory report --------------------------------------------------


def listing_pages(s3: Any, bucket: str, prefix: str) -> Iterator[list[Row]]:
    """Each key's current version or delete marker, a page (up to 1000 entries) at a time."""
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        rows = [
            listed_row(bucket, v, present=True) for v in page.get("Versions", []) if v["IsLatest"]
        ]
        rows += [
            listed_row(bucket, m, present=False)
            for m in page.get("DeleteMarkers", [])
            if m["IsLatest"]
        ]
        yield rows


@dataclass(frozen=True, slots=True)
class InventoryFile:
    """One data file of an inventory report."""

    key: str
    size: int
    md5: str


@dataclass(frozen=True, slots=True)
class InventoryManifest:
    """An S3 Inventory report's manifest.json, as documented."""

    bucket: str
    """Where the data files are: the destination bucket."""
    source_bucket: str
    file_format: str
    schema: tuple[str, ...]
    """CSV column names (fileSchema); empty for Parquet, whose files carry their schema."""
    files: tuple[InventoryFile, ...]


def s3_location(url: str) -> tuple[str, str]:
    """(bucket, key) of an `s3://bucket/key` URL."""
    parsed = urlparse(url)
    key = parsed.path.lstrip("/")
    if parsed.scheme != "s3" or not parsed.netloc or not key:
        raise InventoryError(f"{url!r} is not an s3://bucket/key/manifest.json URL")
    return parsed.netloc, key


def _column(name: str) -> str:
    """Column names of CSV (`VersionId`) and Parquet (`version_id`) schemas compared as one."""
    return "".join(c for c in name.lower() if c.isalnum())


def parse_manifest(document: bytes, *, where: str) -> InventoryManifest:
    """The manifest's fields; InventoryError when it is not the documented shape."""
    try:
        raw = json.loads(document)
        destination = str(raw.get("destinationBucket") or "")
        fmt = str(raw["fileFormat"])
        files = tuple(
            InventoryFile(str(f["key"]), int(f["size"]), str(f["MD5checksum"]).lower())
            for f in raw["files"]
        )
        source = str(raw["sourceBucket"])
        schema_text = str(raw["fileSchema"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise InventoryError(f"{where} is not an S3 Inventory manifest.json: {error}") from error
    if fmt.upper() not in ("CSV", "PARQUET"):
        raise InventoryError(f"{where}: fileFormat {fmt} is not supported; choose CSV or Parquet")
    bucket = destination.rsplit(":", 1)[-1] or s3_location(where)[0]
    schema = tuple(c.strip() for c in schema_text.split(",")) if fmt.upper() == "CSV" else ()
    if schema and not {"bucket", "key"} <= {_column(c) for c in schema}:
        raise InventoryError(f"{where}: fileSchema has no Bucket and Key columns")
    return InventoryManifest(bucket, source, fmt.upper(), schema, files)


def _download(s3: Any, bucket: str, file: InventoryFile, path: Path) -> None:
    """Stream one data file to disk, checking the manifest's MD5 of it."""
    digest = hashlib.md5(usedforsecurity=False)
    try:
        body = s3.get_object(Bucket=bucket, Key=file.key)["Body"]
        with path.open("wb") as sink:
            for chunk in body.iter_chunks(1 << 20):
                digest.update(chunk)
                sink.write(chunk)
    except (BotoCoreError, ClientError) as error:
        raise InventoryError(
            f"cannot read s3://{bucket}/{file.key}, a data file the manifest lists: "
            f"{error_text(error)}"
        ) from error
    if digest.hexdigest() != file.md5:
        raise InventoryError(
            f"s3://{bucket}/{file.key} has MD5 {digest.hexdigest()}, the manifest says {file.md5}"
        )


class _UnreadableError(Exception):
    """Why a data file cannot be read as its format (the caller names the file and the row)."""


class _BadValueError(Exception):
    """A value that is not what the inventory schema says it is (the caller names the row)."""

    def __init__(self, column: str | None, problem: str) -> None:
        super().__init__(problem)
        self.column = column
        """The column (normalised name), or None for the row as a whole."""


def _text(record: Mapping[str, Any], column: str) -> str | None:
    value = record.get(column)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _BadValueError(column, f"{value!r} is not text")
    return value


def _required_text(record: Mapping[str, Any], column: str) -> str:
    value = _text(record, column)
    if value is None:
        raise _BadValueError(column, "is empty")
    return value


def _flag(record: Mapping[str, Any], column: str, *, absent: bool) -> bool:
    """A boolean column (Parquet) or `true`/`false` (CSV); `absent` when the report omits it."""
    if column not in record:
        return absent
    value = record[column]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _BadValueError(column, f"{value!r} is not true or false")


def _size(record: Mapping[str, Any]) -> int | None:
    value = record.get("size")
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise _BadValueError("size", f"{value!r} is not a size in bytes")


def _modified(record: Mapping[str, Any]) -> str | None:
    value = record.get("lastmodifieddate")
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _BadValueError("lastmodifieddate", f"{value!r} is not a timestamp") from None
    if value not in (None, "") and not isinstance(value, datetime):
        raise _BadValueError("lastmodifieddate", f"{value!r} is not a timestamp")
    return _when(value)


def _inventory_row(record: Mapping[str, Any], *, encoded: bool) -> Row | None:
    """A `listed` row from one inventory record (normalised column names); None for a noncurrent
    version. _BadValueError when a value is not what the documented schema says."""
    if not _flag(record, "islatest", absent=True):
        return None
    bucket = _required_text(record, "bucket")
    key = _required_text(record, "key")
    if encoded:  # CSV inventories URL-encode keys; S3 keys are UTF-8
        try:
            key = unquote_plus(key, errors="strict")
        except UnicodeDecodeError:
            raise _BadValueError("key", f"{key!r} does not decode to UTF-8") from None
    present = not _flag(record, "isdeletemarker", absent=False)
    size = _size(record)
    etag = _text(record, "etag")
    return (
        object_id(bucket, key),
        bucket,
        key,
        int(present),
        _version(_text(record, "versionid")),
        size if present else None,
        _etag(etag) if present else None,
        _modified(record),
    )


def _csv_records(path: Path, schema: Sequence[str]) -> Iterator[dict[str, Any]]:
    names = [_column(c) for c in schema]
    with gzip.open(path, "rt", encoding="utf-8", newline="") as text:
        for values in csv.reader(text, strict=True):
            if len(values) != len(names):
                raise _BadValueError(
                    None, f"has {len(values)} field(s); the manifest's fileSchema has {len(names)}"
                )
            yield dict(zip(names, values, strict=True))


def _parquet_records(path: Path) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The file's column names and records; _UnreadableError at once when it is no Parquet
    file, or lacks the columns every inventory has."""
    try:
        parquet: Any = importlib.import_module("pyarrow.parquet")
    except ImportError as error:
        raise InventoryError(
            "a Parquet inventory needs pyarrow (pip install pyarrow); CSV needs nothing"
        ) from error
    try:
        file = parquet.ParquetFile(path)
    except (ValueError, OSError) as error:  # pyarrow's ArrowInvalid is a ValueError
        raise _UnreadableError(f"not a Parquet file ({error})") from error
    columns = [str(name) for name in file.schema_arrow.names]
    if not {"bucket", "key"} <= {_column(c) for c in columns}:
        raise _UnreadableError(
            f"has no bucket and key columns (its columns: {', '.join(columns) or 'none'})"
        )

    def records() -> Iterator[dict[str, Any]]:
        for batch in file.iter_batches(batch_size=BATCH):
            for record in batch.to_pylist():
                yield {_column(name): value for name, value in record.items()}

    return columns, records()


_READ_ERRORS: Final = (EOFError, OSError, zlib.error, UnicodeDecodeError, csv.Error, ValueError)
"""What reading a damaged data file raises: a truncated or corrupt gzip stream, bytes that are
not UTF-8, a malformed CSV line, a damaged Parquet page (pyarrow's errors are ValueErrors and
OSErrors)."""


def inventory_pages(
    s3: Any, manifest: InventoryManifest, workdir: Path, prefix: str
) -> Iterator[list[Row]]:
    """The report's current versions and delete markers under `prefix`, in batches; each data
    file is checked against the manifest's MD5 before any of it is read.

    InventoryError, naming the file (and the row and column where known), when a data file
    cannot be read or holds a value its schema does not allow.
    """
    csv_format = manifest.file_format == "CSV"
    for number, file in enumerate(manifest.files):
        where = f"s3://{manifest.bucket}/{file.key}"
        path = workdir / f"inventory-{number}"
        _download(s3, manifest.bucket, file, path)
        done = 0
        rows: list[Row] = []
        columns: Sequence[str] = manifest.schema
        try:
            if csv_format:
                records = _csv_records(path, manifest.schema)
            else:
                columns, records = _parquet_records(path)
            for record in records:
                row = _inventory_row(record, encoded=csv_format)
                done += 1
                if row is not None and row[2].startswith(prefix):
                    rows.append(row)
                    if len(rows) >= BATCH:
                        yield rows
                        rows = []
        except _UnreadableError as error:
            raise InventoryError(f"{where}: {error}") from error
        except _BadValueError as error:
            named = {_column(c): c for c in columns}
            column = (
                "" if error.column is None else f", column {named.get(error.column, error.column)}"
            )
            raise InventoryError(f"{where}: row {done + 1}{column}: {error}") from error
        except _READ_ERRORS as error:
            what = "gzip-compressed CSV" if csv_format else "Parquet"
            raise InventoryError(
                f"{where}: cannot read row {done + 1} as {what}: {_read_error(error)}"
            ) from error
        yield rows
        path.unlink()


def _read_error(error: BaseException) -> str:
    """A reading error in one line, saying what it means for the file."""
    if isinstance(error, EOFError):
        return f"the file ends early, truncated ({error})"
    if isinstance(error, UnicodeDecodeError):
        bad = error.object[error.start : error.end]
        return f"not UTF-8 text (bytes {bytes(bad)!r})"
    return " ".join(str(error).split()) or type(error).__name__


# -- the run ---------------------------------------------------------------------------------


def _scan_pages(dynamodb: Any, table: str, segment: int, segments: int) -> Iterator[list[Any]]:
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table,
        Segment=segment,
        TotalSegments=segments,
        ConsistentRead=True,
        ProjectionExpression="#id, #bucket, #key, #status, #version, #size, #etag, #sequencer",
        ExpressionAttributeNames={
            "#id": "id",
            "#sequencer": "sequencer",
            "#bucket": "bucket",
            "#key": "key",
            "#status": "status",
            "#version": "version_id",
            "#size": "size",
            "#etag": "etag",
        },
    )
    for page in pages:
        yield page.get("Items", [])


class _Counter:
    """Rows loaded so far, reported to the progress callback from any thread."""

    def __init__(self, progress: OpsProgress) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self.done = 0

    def add(self, rows: int) -> None:
        with self._lock:
            self.done += rows
            self._progress(self.done, None)


RepairHook = Callable[[Drift], None]
"""Called between a drifted item's read and its repair write (tests force interleavings)."""


@dataclass(frozen=True, slots=True)
class _Settled:
    """What reading one candidate again found, and what its repair did."""

    drift: Drift | None
    """None: the key changed since it was listed, and is in sync now."""
    repaired: bool = False
    conflict: bool = False
    """The repair lost to an event that wrote the item after it was read."""
    unrepaired: bool = False

    def count(self, report: ReconcileReport) -> None:
        """Add this outcome to the report."""
        if self.drift is None:
            report.changed_since_listed += 1
            return
        report.add(self.drift)
        report.repaired += self.repaired
        report.repair_conflicts += self.conflict
        report.unrepaired += self.unrepaired


class _Tally:
    """What a run has done so far, for the line an interrupt prints: the rows loaded, then each
    candidate as soon as a worker settled it (the report counts them later, in join order)."""

    def __init__(self, loaded: _Counter, *, source: str, repairing: bool) -> None:
        self._loaded = loaded
        self._source = source
        self._repairing = repairing
        self._changed = threading.Condition()
        self.settling = False
        """The rows are loaded; candidates are being read again."""
        self._stopped = False
        self._busy = 0
        self._settled = 0
        self._drifted = 0
        self._repaired = 0
        self._conflicts = 0

    def settle(self, work: Callable[[], _Settled]) -> _Settled:
        """Do one candidate's `work` and count its outcome. Once the run is interrupted, a
        candidate is not read at all (the process ends; what this returns is never counted)."""
        with self._changed:
            if self._stopped:
                return _Settled(None)
            self._busy += 1
        outcome: _Settled | None = None
        try:
            outcome = work()
            return outcome
        finally:
            with self._changed:
                self._busy -= 1
                if outcome is not None:
                    self._settled += 1
                    self._drifted += outcome.drift is not None
                    self._repaired += outcome.repaired
                    self._conflicts += outcome.conflict
                self._changed.notify_all()

    def interrupted(self, grace: float = INTERRUPT_GRACE) -> str:
        """Read no further candidate, wait (up to `grace` s) for those being read or repaired,
        and say what the run did: its interrupt cleanup."""
        with self._changed:
            self._stopped = True
            finished = self._changed.wait_for(lambda: self._busy == 0, grace)
            if not self.settling:
                loaded = self._loaded.done
                return f"{loaded:,} rows of the {self._source} and the Scan loaded, nothing written"
            done = [f"{self._settled:,} candidates read again", f"{self._drifted:,} drifted"]
            if self._repairing:
                done += [
                    f"{self._repaired:,} repaired",
                    f"{self._conflicts:,} conflict(s) with concurrent events",
                ]
            else:
                done.append("nothing written")
            if not finished:
                done.append(f"{self._busy} still being read or repaired after {grace:.0f} s")
            return ", ".join(done)


@dataclass
class Reconciler:
    """Reconciles one stack's table with its buckets."""

    resources: StackResources
    session: OpsSession
    environment: str
    """What the processor records as `environment` on each item (`tap:environment`)."""
    prefix: str = ""
    repair: bool = False
    dry_run: bool = False
    inventory: str | None = None
    """`s3://bucket/key/manifest.json` of an S3 Inventory report to read instead of listing."""
    segments: int = SCAN_SEGMENTS
    reread_workers: int = REREAD_WORKERS
    before_repair: RepairHook | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def run(
        self, progress: OpsProgress | None = None, rereading: OpsProgress | None = None
    ) -> ReconcileReport:
        """Load, join, read every candidate again, and repair what still differs.

        `progress` counts the rows loaded (listing and Scan); `rereading` the candidates read
        again, and is called only when there is one (a drift after an outage can be most of the
        bucket, at two or three requests each).
        """
        report = ReconcileReport(
            source="inventory" if self.inventory else "listing",
            repair=self.repair,
            dry_run=self.dry_run,
        )
        counter = _Counter(progress or (lambda _done, _total: None))
        tally = _Tally(counter, source=report.source, repairing=self.repair and not self.dry_run)
        began = time.perf_counter()
        # The join's file is removed however the run ends: success, error, Ctrl-C or SIGTERM.
        with interrupts.scratch_directory("tap-reconcile-") as workdir:
            join = Join(workdir / "join.sqlite")
            token = interrupts.on_interrupt(tally.interrupted)  # before the directory's removal
            try:
                self._load(join, workdir, counter)
                report.listed_keys, report.scanned_items = join.sizes()
                if progress:
                    progress(counter.done, counter.done)
                tally.settling = True
                self._settle(join, report, rereading or (lambda _done, _total: None), tally)
            except (BotoCoreError, ClientError, ResponseParserError, ProcessorError) as error:
                raise ReconcileError(error_text(error)) from error
            finally:
                join.close()
                interrupts.forget(token)
        if self.inventory:
            report.notes.append(INVENTORY_AGE_NOTE)
        report.elapsed_seconds = time.perf_counter() - began
        return report

    def _load(self, join: Join, workdir: Path, counter: _Counter) -> None:
        s3 = self.session.client("s3")
        buckets = self.resources.buckets
        sources: list[Iterable[list[Row]]]
        if self.inventory:
            manifest = self._manifest(s3)
            buckets = (manifest.source_bucket,)
            sources = [inventory_pages(s3, manifest, workdir, self.prefix)]
        else:
            sources = [listing_pages(s3, b, self.prefix) for b in buckets]
        dynamodb = self.session.client("dynamodb")
        wanted = frozenset(buckets)
        stack_buckets = frozenset(self.resources.buckets)
        whole_table = not self.prefix and not self.inventory

        def in_range(row: Row) -> Row | None:
            """The row if reconciled: its bucket's and prefix's, or any other stack's bucket
            when the whole table is (tap writes no such item)."""
            if row[1] in wanted:
                return row if row[2].startswith(self.prefix) else None
            if whole_table and row[1] not in stack_buckets:
                return (*row[:-1], f"{OUT_OF_STACK} {self.resources.stack}'s")
            return None

        def load_listed(pages: Iterable[list[Row]]) -> None:
            for rows in pages:
                join.add_listed(rows)
                counter.add(len(rows))

        def load_items(segment: int) -> None:
            for items in _scan_pages(dynamodb, self.resources.table, segment, self.segments):
                rows = [r for r in map(in_range, map(item_row, items)) if r is not None]
                join.add_items(rows)
                counter.add(len(rows))

        with ThreadPoolExecutor(max_workers=self.segments + len(sources)) as pool:
            futures = [pool.submit(load_listed, pages) for pages in sources]
            futures += [pool.submit(load_items, s) for s in range(self.segments)]
            for future in futures:
                future.result()

    def _manifest(self, s3: Any) -> InventoryManifest:
        assert self.inventory is not None
        bucket, key = s3_location(self.inventory)
        try:
            document = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            raise InventoryError(f"GetObject on {self.inventory} failed with {code}") from error
        manifest = parse_manifest(document, where=self.inventory)
        if manifest.source_bucket not in self.resources.buckets:
            raise InventoryError(
                f"{self.inventory} inventories {manifest.source_bucket}, which is not a bucket "
                f"of stack {self.resources.stack} ({', '.join(self.resources.buckets)})"
            )
        return manifest

    def _settle(
        self,
        join: Join,
        report: ReconcileReport,
        rereading: OpsProgress,
        tally: _Tally | None = None,
    ) -> None:
        """Read each candidate again; report what still differs; repair it when asked.

        Candidates go to `reread_workers` threads a batch at a time (each key is read and
        repaired on its own, with a write conditioned on what was read); outcomes are counted
        in join order, so the report does not depend on which thread finished first; `tally`
        counts each as soon as it is settled, for an interrupt.
        """
        dynamodb = self.session.client("dynamodb")
        store = ItemStore(client=dynamodb, table_name=self.resources.table)
        versions = VersionReader(client=self.session.client("s3"))

        def settle(candidate: Candidate) -> _Settled:
            def work() -> _Settled:
                return self._settle_one(candidate, dynamodb, store, versions)

            return tally.settle(work) if tally else work()

        pool = ThreadPoolExecutor(max_workers=max(1, self.reread_workers))
        candidates = join.candidates()
        try:
            while batch := list(islice(candidates, REREAD_BATCH)):
                for settled in pool.map(settle, batch):
                    report.candidates += 1
                    settled.count(report)
                    rereading(report.candidates, None)
        finally:  # an error or Ctrl-C: the queued candidates are not read
            pool.shutdown(wait=True, cancel_futures=True)
        if report.candidates:
            rereading(report.candidates, report.candidates)

    def _settle_one(
        self,
        candidate: Candidate,
        dynamodb: Any,
        store: ItemStore,
        versions: VersionReader,
    ) -> _Settled:
        """Read one candidate again; repair it when asked and it still differs."""
        if candidate.bucket not in self.resources.buckets:
            return self._settle_out_of_stack(candidate, dynamodb)
        found, current = self._read(dynamodb, versions, candidate)
        item = state_of_item(found) if found else None
        reason = foreign_reason(found) if found else None
        kind = DriftKind.FOREIGN_ITEM if reason else classify(current.state, item)
        if kind is None:
            return _Settled(None)
        drift = Drift(kind, candidate.bucket, candidate.key, current.state, item, reason)
        if not self.repair or self.dry_run:
            return _Settled(drift, unrepaired=True)
        if self.before_repair is not None:
            self.before_repair(drift)
        state = normalised(current.state)
        now = _timestamp(self.clock())
        began = (
            candidate.last_modified
            if candidate.last_modified and state.version_id == candidate.listed_version_id
            else now
        )
        # The item keeps the sequencer it had, if tap wrote it: events up to it stay stale.
        sequencer = stored_sequencer(found) if found else None
        event = replace(
            listing_event(candidate.bucket, candidate.key, state, event_time=began),
            sequencer=sequencer if is_normalised(sequencer) and sequencer else FLOOR_SEQUENCER,
        )
        if store.replace_exact(
            event,
            state,
            expected=found,
            environment=self.environment,
            updated_at=now,
            read_at=current.read_at,
        ):
            return _Settled(drift, repaired=True)
        # An event wrote the item after it was read: it won. Look once more, never retry.
        again, current_again = self._read(dynamodb, versions, candidate)
        still = (again is not None and foreign_reason(again) is not None) or classify(
            current_again.state, state_of_item(again) if again else None
        ) is not None
        return _Settled(drift, conflict=True, unrepaired=still)

    def _settle_out_of_stack(self, candidate: Candidate, dynamodb: Any) -> _Settled:
        """An item of a bucket that is not the stack's: reported, never written or deleted."""
        found = self._get_item(dynamodb, candidate)
        if found is None:
            return _Settled(None)
        reason = f"{OUT_OF_STACK} {self.resources.stack}'s"
        drift = Drift(
            DriftKind.FOREIGN_ITEM,
            candidate.bucket,
            candidate.key,
            None,
            state_of_item(found),
            reason,
        )
        return _Settled(drift, unrepaired=True)

    def _get_item(self, dynamodb: Any, candidate: Candidate) -> Mapping[str, Any] | None:
        found = dynamodb.get_item(
            TableName=self.resources.table,
            Key={"id": {"S": object_id(candidate.bucket, candidate.key)}},
            ConsistentRead=True,
        ).get("Item")
        return found if isinstance(found, Mapping) else None

    def _read(
        self, dynamodb: Any, versions: VersionReader, candidate: Candidate
    ) -> tuple[Mapping[str, Any] | None, CurrentVersion]:
        """The item (consistent read) and then S3's current state: S3's answer is the newer."""
        found = self._get_item(dynamodb, candidate)
        return found, versions.read(candidate.bucket, candidate.key)
