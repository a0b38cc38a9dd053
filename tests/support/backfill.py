"""Objects no event recorded, and S3's own view of them, for backfill tests."""

from __future__ import annotations

import base64
import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable
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


def put_without_events(account_id: str, bucket: str, keys: Iterable[str]) -> None:
    """Put one small object per key through moto's S3 backend: no notification, no HTTP.

    Thousands of keys through boto3 on the in-process emulator take minutes; this takes seconds.
    """
    from moto.backends import get_backend

    s3 = get_backend("s3")[account_id]["global"]
    for key in keys:
        s3.put_object(bucket, key, key.encode(), disable_notification=True)


def token_state(token: str) -> dict[str, Any]:
    """What a backfill resume token holds (compressed JSON, base64url)."""
    return dict(json.loads(zlib.decompress(base64.urlsafe_b64decode(token + "=" * 3))))


def token_of(document: dict[str, Any], *, compress: bool = True) -> str:
    """A resume token holding `document`: the state a tap printed (version 1: uncompressed)."""
    raw = json.dumps(document).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw) if compress else raw).decode()


class Listings:
    """Each current entry every ListObjectVersions response of one client held, by key, and
    the thread each call came from; register with `watch`."""

    def __init__(self) -> None:
        self.current: Counter[str] = Counter()
        self.threads: list[str] = []
        self._lock = threading.Lock()

    def watch(self, s3_client: Any) -> Listings:
        s3_client.meta.events.register("after-call.s3.ListObjectVersions", self._seen)
        return self

    def _seen(self, parsed: dict[str, Any], **_: Any) -> None:
        entries = [*parsed.get("Versions", []), *parsed.get("DeleteMarkers", [])]
        with self._lock:
            self.threads.append(threading.current_thread().name)
            self.current.update(e["Key"] for e in entries if e.get("IsLatest"))


class Writes:
    """Each PutItem one DynamoDB client made, by item id; register with `watch`."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self._lock = threading.Lock()

    def watch(self, dynamodb_client: Any) -> Writes:
        dynamodb_client.meta.events.register("provide-client-params.dynamodb.PutItem", self._put)
        return self

    def _put(self, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.ids[params["Item"]["id"]["S"]] += 1
