"""S3's side of the join from an S3 Inventory report: its CSV or Parquet data files, read row
by row into `listed` rows, every value checked against the documented schema."""

from __future__ import annotations

import csv
import gzip
import importlib
import zlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote_plus

from tap.ops.reconcile.drift import bare_etag, stored_version
from tap.ops.reconcile.join import Row, timestamp_text
from tap.ops.reconcile.manifest import (
    InventoryError,
    InventoryManifest,
    column_name,
    download,
)
from tap_processor.event import object_id

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

BATCH: Final = 1000
"""Rows handed to the join together, as a listing page holds at most 1000 entries."""


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
    return timestamp_text(value)


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
        stored_version(_text(record, "versionid")),
        size if present else None,
        bare_etag(etag) if present else None,
        _modified(record),
    )


def _csv_records(path: Path, schema: Sequence[str]) -> Iterator[dict[str, Any]]:
    names = [column_name(c) for c in schema]
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
    if not {"bucket", "key"} <= {column_name(c) for c in columns}:
        raise _UnreadableError(
            f"has no bucket and key columns (its columns: {', '.join(columns) or 'none'})"
        )

    def records() -> Iterator[dict[str, Any]]:
        for batch in file.iter_batches(batch_size=BATCH):
            for record in batch.to_pylist():
                yield {column_name(name): value for name, value in record.items()}

    return columns, records()


_READ_ERRORS: Final = (EOFError, OSError, zlib.error, UnicodeDecodeError, csv.Error, ValueError)
"""What reading a damaged data file raises: a truncated or corrupt gzip stream, bytes that are
not UTF-8, a malformed CSV line, a damaged Parquet page (pyarrow's errors are ValueErrors and
OSErrors)."""


def inventory_pages(
    s3: S3Client, manifest: InventoryManifest, workdir: Path, prefix: str
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
        download(s3, manifest.bucket, file, path)
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
            named = {column_name(c): c for c in columns}
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
