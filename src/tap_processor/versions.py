"""S3's current version of one key, read with one ListObjectVersions request."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from tap_processor.errors import VersionReadError
from tap_processor.state import ObjectState, Status

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

LIST_LIMIT: Final = 1
"""S3 lists keys in UTF-8 binary order and each key's versions newest first, so the first entry
under `Prefix=key` is the key's current version or delete marker, if the key has any."""


class VersionReader:
    """Reads the current version of a key from the bucket's version listing.

    ListObjectVersions needs only `s3:ListBucketVersions` on the bucket: metadata, never object
    data, where HeadObject would need `s3:GetObject` (a grant to read every object) plus
    `s3:ListBucket` to tell a missing key from a forbidden one.
    """

    def __init__(self, *, client: S3Client) -> None:
        self._client = client

    def current(self, bucket: str, key: str) -> ObjectState:
        """The key's current state; deleted when a delete marker is current or nothing is left."""
        return self.current_listed(bucket, key)[0]

    def current_listed(self, bucket: str, key: str) -> tuple[ObjectState, datetime | None]:
        """The key's current state and when it began (the entry's LastModified, if listed)."""
        try:
            response = self._client.list_object_versions(
                Bucket=bucket, Prefix=key, MaxKeys=LIST_LIMIT
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise VersionReadError(
                f"ListObjectVersions on {bucket} failed with {code or 'unknown error'}"
            ) from error
        versions = [v for v in response.get("Versions", []) if v.get("Key") == key]
        markers = [m for m in response.get("DeleteMarkers", []) if m.get("Key") == key]
        if not versions and not markers:
            # Other keys may share the prefix; this one has no version and no marker left.
            return ObjectState(Status.DELETED), None
        entry: Mapping[str, Any] = versions[0] if versions else markers[0]
        if not entry.get("IsLatest"):
            raise VersionReadError(
                f"ListObjectVersions on {bucket} listed a noncurrent version of {key!r} first"
            )
        modified = entry.get("LastModified")
        return listed_state(entry, marker=bool(markers)), (
            modified if isinstance(modified, datetime) else None
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
