"""S3 operations on a moto bucket, each with the EventBridge event S3 documents for it.

moto emits no Object Deleted event for any versioned delete and one constant sequencer for
every event (shared/reference/emulator-facts.md §8), so each operation builds its event here,
from the fixtures in tests/events/ and the version ids S3 answered with, with a sequencer that
increases per operation as S3's does per key.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .support import Event, load_event

LIFECYCLE = "Lifecycle Expiration"
PERMANENT = "Permanently Deleted"
MARKER = "Delete Marker Created"


@dataclass(frozen=True)
class Current:
    """S3's current version of a key, from a full ListObjectVersions listing."""

    status: str
    version_id: str | None = None
    size: int | None = None
    etag: str | None = None


def current_in_s3(s3: Any, bucket: str, key: str) -> Current:
    """The key's current version or marker, read from every page of the version listing."""
    latest: list[tuple[str, dict[str, Any]]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for kind in ("Versions", "DeleteMarkers"):
            latest += [(kind, e) for e in page.get(kind, []) if e["Key"] == key and e["IsLatest"]]
    if not latest:
        return Current("deleted")
    [(kind, entry)] = latest
    if kind == "DeleteMarkers":
        return Current("deleted", entry["VersionId"])
    return Current("present", entry["VersionId"], entry["Size"], entry["ETag"].strip('"'))


def recorded(item: dict[str, Any]) -> Current:
    """What an item says, in the same shape as `current_in_s3`."""
    return Current(item["status"], item.get("version_id"), item.get("size"), item.get("etag"))


@dataclass
class History:
    """Operations on one bucket, in the order S3 performed them, with their events."""

    s3: Any
    bucket: str
    events: list[Event] = field(default_factory=list)
    _sequencer: int = 0x617F0900B476E46300

    def put(self, key: str, body: bytes) -> str:
        """PutObject; returns the new version id ('null' when versioning is off)."""
        response = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        version = response.get("VersionId", "null")
        self._emit(
            "s3_object_created",
            key,
            {"size": len(body), "etag": response["ETag"].strip('"'), "version-id": version},
        )
        return str(version)

    def delete(self, key: str, *, lifecycle: bool = False) -> str | None:
        """DeleteObject without a version (or lifecycle Expiration): a marker when versioned."""
        response = self.s3.delete_object(Bucket=self.bucket, Key=key)
        marker = response.get("DeleteMarker", False)
        version = response.get("VersionId")
        self._emit(
            "s3_object_deleted_marker",
            key,
            {"version-id": version} if version else {},
            deletion_type=MARKER if marker else PERMANENT,
            lifecycle=lifecycle,
        )
        return str(version) if version else None

    def delete_version(self, key: str, version_id: str, *, lifecycle: bool = False) -> None:
        """DeleteObject with a VersionId (or lifecycle NoncurrentVersionExpiration)."""
        self.s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)
        self._emit(
            "s3_object_deleted_marker",
            key,
            {"version-id": version_id},
            deletion_type=PERMANENT,
            lifecycle=lifecycle,
        )

    def _emit(
        self,
        fixture: str,
        key: str,
        fields: dict[str, Any],
        *,
        deletion_type: str | None = None,
        lifecycle: bool = False,
    ) -> None:
        self._sequencer += 1
        event = copy.deepcopy(load_event(fixture))
        detail = event["detail"]
        detail["bucket"]["name"] = self.bucket
        base = detail["object"]
        base.pop("version-id", None)
        detail["object"] = {**base, "key": key, "sequencer": f"{self._sequencer:018x}", **fields}
        if deletion_type is not None:
            detail["deletion-type"] = deletion_type
        if lifecycle:
            detail["reason"] = LIFECYCLE
            detail["requester"] = "s3.amazonaws.com"
            detail.pop("source-ip-address", None)
        event["id"] = f"event-{self._sequencer:x}"
        self.events.append(event)


def assert_item_is_s3s_current(account: Any, bucket: str, key: str) -> None:
    """The key's one item records S3's current version (status, version id, size, ETag)."""
    item = account.item(f"{bucket}/{key}")
    s3_says = current_in_s3(account.s3, bucket, key)
    if s3_says.status == "deleted" and s3_says.version_id is None:
        # Nothing left in S3: the tombstone's version id is whatever the last event named.
        assert (item["status"], item.get("size"), item.get("etag")) == ("deleted", None, None)
    else:
        assert recorded(item) == s3_says
