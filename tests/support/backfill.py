"""Objects no event recorded, and S3's own view of them, for backfill tests."""

from __future__ import annotations

import time
from typing import Any

AWKWARD_KEYS = ("plain.csv", "dir/a b+c.txt", "dir/ünï/códe ✓.txt", "deep/1/2/3/x")
"""Spaces, a plus, unicode, and a nested prefix: each must round-trip byte for byte."""
PART = 5 * 1024 * 1024
"""S3's (and moto's) smallest part but the last of a multipart upload."""


def put_awkward_objects(s3: Any, bucket: str) -> None:
    """Put the awkward keys, an overwritten key, a deleted one and a 2-part multipart upload."""
    for key in AWKWARD_KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    s3.put_object(Bucket=bucket, Key="over.csv", Body=b"first version")
    time.sleep(0.01)  # moto orders a key's versions by LastModified, in milliseconds
    s3.put_object(Bucket=bucket, Key="over.csv", Body=b"second, longer version")
    s3.put_object(Bucket=bucket, Key="gone.csv", Body=b"deleted")
    time.sleep(0.01)
    s3.delete_object(Bucket=bucket, Key="gone.csv")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi.bin")["UploadId"]
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=bucket, Key="multi.bin", UploadId=upload, PartNumber=n, Body=body
            )["ETag"],
        }
        for n, body in ((1, b"a" * PART), (2, b"b" * 10))
    ]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="multi.bin", UploadId=upload, MultipartUpload={"Parts": parts}
    )


def current_entries(s3: Any, bucket: str) -> dict[str, tuple[dict[str, Any], bool]]:
    """Each key's current entry by S3's own listing, and whether it is a delete marker."""
    current: dict[str, tuple[dict[str, Any], bool]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in page.get("Versions", []):
            if entry["IsLatest"]:
                current[entry["Key"]] = (entry, False)
        for entry in page.get("DeleteMarkers", []):
            if entry["IsLatest"]:
                current[entry["Key"]] = (entry, True)
    return current


def expected_item_fields(item: dict[str, Any]) -> dict[str, str]:
    """An item's attributes as plain strings, without `id` and `updated_at`."""
    return {
        name: next(iter(value.values()))
        for name, value in item.items()
        if name not in ("id", "updated_at")
    }
