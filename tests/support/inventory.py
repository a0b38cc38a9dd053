"""S3 Inventory reports built from a bucket's own version listing, in the documented format.

manifest.json names the source bucket, the destination bucket (an ARN), the file format, the
CSV column list (`fileSchema`) and each data file with its size and MD5. CSV files are gzipped
and URL-encode the keys; Parquet files carry their own schema (snake_case columns) and raw keys.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from typing import Any
from urllib.parse import quote_plus

CSV_SCHEMA = (
    "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass"
)
PREFIX = "inventory/tap-data/all-versions/2026-12-01T00-00Z"


def version_rows(s3: Any, bucket: str) -> list[dict[str, Any]]:
    """Every version and delete marker of the bucket, as inventory records (Parquet names)."""
    rows: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in page.get("Versions", []):
            rows.append(_row(bucket, entry, marker=False))
        for entry in page.get("DeleteMarkers", []):
            rows.append(_row(bucket, entry, marker=True))
    return rows


def _row(bucket: str, entry: dict[str, Any], *, marker: bool) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "key": entry["Key"],
        "version_id": entry["VersionId"],
        "is_latest": entry["IsLatest"],
        "is_delete_marker": marker,
        "size": None if marker else entry["Size"],
        "last_modified_date": entry["LastModified"],
        "e_tag": None if marker else entry["ETag"].strip('"'),
        "storage_class": None if marker else entry.get("StorageClass", "STANDARD"),
    }


def _csv_file(rows: list[dict[str, Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow(
            [
                row["bucket"],
                quote_plus(row["key"]),
                row["version_id"],
                "true" if row["is_latest"] else "false",
                "true" if row["is_delete_marker"] else "false",
                "" if row["size"] is None else str(row["size"]),
                row["last_modified_date"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                row["e_tag"] or "",
                row["storage_class"] or "",
            ]
        )
    return gzip.compress(text.getvalue().encode())


def _parquet_file(rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


def write_inventory(
    s3: Any, *, source: str, destination: str, file_format: str = "CSV", files: int = 2
) -> str:
    """Write an inventory report of `source` (all versions, split into `files` data files) to
    `destination`; return its manifest's s3:// URL."""
    rows = version_rows(s3, source)
    chunk = -(-len(rows) // files)
    entries = []
    for number in range(files):
        part = rows[number * chunk : (number + 1) * chunk]
        body = _csv_file(part) if file_format == "CSV" else _parquet_file(part)
        suffix = "csv.gz" if file_format == "CSV" else "parquet"
        key = f"{PREFIX}/{file_format.lower()}/files/part-{number}.{suffix}"
        s3.put_object(Bucket=destination, Key=key, Body=body)
        entries.append(
            {"key": key, "size": len(body), "MD5checksum": hashlib.md5(body).hexdigest()}
        )
    manifest = {
        "sourceBucket": source,
        "destinationBucket": f"arn:aws:s3:::{destination}",
        "version": "2016-11-30",
        "creationTimestamp": "1764547200000",
        "fileFormat": "CSV" if file_format == "CSV" else "Parquet",
        "fileSchema": CSV_SCHEMA
        if file_format == "CSV"
        else "message s3.inventory { required binary bucket (STRING); ... }",
        "files": entries,
    }
    key = f"{PREFIX}/{file_format.lower()}/manifest.json"
    s3.put_object(Bucket=destination, Key=key, Body=json.dumps(manifest).encode())
    return f"s3://{destination}/{key}"


def tamper(s3: Any, url: str) -> None:
    """Rewrite the manifest with a wrong MD5 for its first data file."""
    bucket, key = url.removeprefix("s3://").split("/", 1)
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    manifest["files"][0]["MD5checksum"] = "0" * 32
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode())


def put_report(
    s3: Any, *, source: str, destination: str, name: str, file_format: str, body: bytes | None
) -> str:
    """Write a report of one data file holding `body` as it is (None: listed in the manifest but
    never written), under `name/`; return its manifest's s3:// URL."""
    suffix = "csv.gz" if file_format == "CSV" else "parquet"
    key = f"{name}/data/part-0.{suffix}"
    if body is not None:
        s3.put_object(Bucket=destination, Key=key, Body=body)
    manifest = {
        "sourceBucket": source,
        "destinationBucket": f"arn:aws:s3:::{destination}",
        "version": "2016-11-30",
        "creationTimestamp": "1764547200000",
        "fileFormat": file_format,
        "fileSchema": CSV_SCHEMA if file_format == "CSV" else "message s3.inventory { }",
        "files": [
            {
                "key": key,
                "size": len(body or b""),
                "MD5checksum": hashlib.md5(body or b"").hexdigest(),
            }
        ],
    }
    s3.put_object(Bucket=destination, Key=f"{name}/manifest.json", Body=json.dumps(manifest))
    return f"s3://{destination}/{name}/manifest.json"
