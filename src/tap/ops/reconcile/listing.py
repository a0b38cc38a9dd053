"""S3's side of the join from the bucket's own listing: each key's current version or marker."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tap.ops.reconcile.drift import bare_etag, stored_version
from tap.ops.reconcile.join import Row, timestamp_text
from tap_processor.event import object_id

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client


def listed_row(bucket: str, entry: Mapping[str, Any], *, present: bool) -> Row:
    """A `listed` row from one ListObjectVersions entry (a version or a delete marker)."""
    key = entry["Key"]
    return (
        object_id(bucket, key),
        bucket,
        key,
        int(present),
        stored_version(entry.get("VersionId")),
        entry.get("Size") if present else None,
        bare_etag(entry.get("ETag")) if present else None,
        timestamp_text(entry.get("LastModified")),
    )


def listing_pages(s3: S3Client, bucket: str, prefix: str) -> Iterator[list[Row]]:
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
