"""S3's current version of one key, read with one ListObjectVersions request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from tap_processor.errors import VersionReadError
from tap_processor.state import ObjectState, Status

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

LIST_LIMIT: Final = 1
"""S3 lists keys in UTF-8 binary order and each key's versions newest first, so the first entry
under `Prefix=key` is the key's current version or delete marker, if the key has any."""


@dataclass(frozen=True, slots=True)
class CurrentVersion:
    """What one read of a key's versions found, and when, by S3's clock."""

    state: ObjectState
    began: datetime | None
    """When the current version began (its LastModified); None when nothing is listed."""
    read_at: datetime
    """No earlier than the moment S3 answered: the response's `Date` (whole seconds, so one
    second is added), or the reader's clock when there is none. Every operation on the key
    before this moment is in `state` (S3 lists with strong consistency)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def answered_at(response: Mapping[str, Any], clock: Callable[[], datetime]) -> datetime:
    """The moment S3 answered, rounded up: its `Date` header plus one second, else `clock()`."""
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    date = headers.get("date") if isinstance(headers, Mapping) else None
    if isinstance(date, str):
        try:
            return parsedate_to_datetime(date).astimezone(UTC) + timedelta(seconds=1)
        except (TypeError, ValueError):
            pass
    return clock()


class VersionReader:
    """Reads the current version of a key from the bucket's version listing.

    ListObjectVersions needs only `s3:ListBucketVersions` on the bucket: metadata, never object
    data, where HeadObject would need `s3:GetObject` (a grant to read every object) plus
    `s3:ListBucket` to tell a missing key from a forbidden one.
    """

    def __init__(self, *, client: S3Client, clock: Callable[[], datetime] = _utc_now) -> None:
        self._client = client
        self._clock = clock

    def current(self, bucket: str, key: str) -> ObjectState:
        """The key's current state; deleted when a delete marker is current or nothing is left."""
        return self.read(bucket, key).state

    def read(self, bucket: str, key: str) -> CurrentVersion:
        """The key's current state, when it began, and when S3 answered."""
        try:
            response = self._client.list_object_versions(
                Bucket=bucket, Prefix=key, MaxKeys=LIST_LIMIT
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise VersionReadError(
                f"ListObjectVersions on {bucket} failed with {code or 'unknown error'}"
            ) from error
        read_at = answered_at(response, self._clock)
        versions = [v for v in response.get("Versions", []) if v.get("Key") == key]
        markers = [m for m in response.get("DeleteMarkers", []) if m.get("Key") == key]
        if not versions and not markers:
            # Other keys may share the prefix; this one has no version and no marker left.
            return CurrentVersion(ObjectState(Status.DELETED), None, read_at)
        entry: Mapping[str, Any] = versions[0] if versions else markers[0]
        if not entry.get("IsLatest"):
            raise VersionReadError(
                f"ListObjectVersions on {bucket} listed a noncurrent version of {key!r} first"
            )
        modified = entry.get("LastModified")
        return CurrentVersion(
            listed_state(entry, marker=bool(markers)),
            modified if isinstance(modified, datetime) else None,
            read_at,
        )


def listed_state(entry: Mapping[str, Any], *, marker: bool) -> ObjectState:
    """The state one ListObjectVersions entry (a version, or a delete marker) stands for."""
    version_id = entry.get("VersionId")
    if marker:
        return ObjectState(Status.DELETED, version_id=version_id)
    size = entry.get("Size")
    etag = entry.get("ETag")
    return ObjectState(
        Status.PRESENT,
        version_id=version_id,
        size=size if isinstance(size, int) else None,
        etag=etag.strip('"') if isinstance(etag, str) else None,
    )
