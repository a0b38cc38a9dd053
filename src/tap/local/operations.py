"""Workload operations performed on S3, and the events each one emitted through EventBridge.

moto emits no event for a delete in a versioned bucket and runs no lifecycle rules; for those
operations the event S3 documents is put on the default bus, so the emulator's rules still decide
where it goes. Each adaptation is recorded when an operation first needs it.

The version a by-id delete removes is picked from the version ids S3 answered for the key
(PutObject's and DeleteObject's `VersionId`), newest last, as a version listing orders them. A
listing would serve too, but moto copies every version of the bucket on each one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tap.local.errors import EmulatorError, GraphError
from tap.local.observer import (
    DISABLED_NOTE,
    LIFECYCLE_NOTE,
    VERSIONED_DELETE_NOTE,
    Delivery,
    Observer,
    deleted_entry,
)
from tap.local.workload import Operation, OpKind, body
from tap_processor.event import DELETE_MARKER_CREATED, PERMANENTLY_DELETED


@dataclass(frozen=True, slots=True)
class Version:
    """One version or delete marker of a key, as S3 answered it."""

    version_id: str
    marker: bool


class S3Operations:
    """Performs operations on S3 and returns the events they emitted, stamped."""

    def __init__(
        self,
        *,
        s3: Any,
        events: Any,
        observer: Observer,
        rules_enabled: Mapping[str, bool],
        account_id: str,
        seed: int,
    ) -> None:
        self._s3 = s3
        self._events = events
        self._observer = observer
        self._enabled = rules_enabled
        self._account_id = account_id
        self._seed = seed
        self._versions: dict[tuple[str, str], list[Version]] = defaultdict(list)
        """Each key's versions and markers S3 still holds, oldest first."""
        self.adaptations: list[str] = []
        """Emulator adaptations the operations so far needed, in the order they first did."""
        if not all(rules_enabled.values()):
            self._adapt(DISABLED_NOTE)

    def versioned(self, buckets: tuple[str, ...]) -> frozenset[str]:
        """The buckets S3 says are versioned (GetBucketVersioning)."""
        return frozenset(
            b
            for b in buckets
            if self._s3.get_bucket_versioning(Bucket=b).get("Status") == "Enabled"
        )

    def perform(self, index: int, op: Operation) -> list[Delivery]:
        """Perform one operation (the `index`th of the workload); the deliveries it caused."""
        if op.kind is OpKind.PUT:
            response = self._s3.put_object(
                Bucket=op.bucket, Key=op.key, Body=body(op.size, self._seed, index)
            )
            self._answered(op, response.get("VersionId"), marker=False)
            return self._observer.drain(self._enabled)
        return self._delete(op)

    def _delete(self, op: Operation) -> list[Delivery]:
        """Perform one delete (or lifecycle expiry); put S3's event if moto emitted none."""
        version_id = self._version_to_remove(op) if op.kind.by_version_id else None
        if version_id is None:
            response = self._s3.delete_object(Bucket=op.bucket, Key=op.key)
            version_id = response.get("VersionId")
            deletion_type = DELETE_MARKER_CREATED if response.get("DeleteMarker") else None
            if deletion_type is None:
                self._versions.pop((op.bucket, op.key), None)  # unversioned: the object is gone
            self._answered(op, version_id, marker=deletion_type is not None)
        else:
            self._s3.delete_object(Bucket=op.bucket, Key=op.key, VersionId=version_id)
            deletion_type = PERMANENTLY_DELETED
            held = self._versions[(op.bucket, op.key)]
            held[:] = [v for v in held if v.version_id != version_id]
        if op.kind.lifecycle:
            self._adapt(LIFECYCLE_NOTE)
        found = self._observer.drain(self._enabled)
        if found or deletion_type is None:
            return found
        self._adapt(VERSIONED_DELETE_NOTE)
        entry = deleted_entry(
            bucket=op.bucket,
            key=op.key,
            version_id=version_id,
            deletion_type=deletion_type,
            lifecycle=op.kind.lifecycle,
            account_id=self._account_id,
        )
        response = self._events.put_events(Entries=[entry])
        if response.get("FailedEntryCount"):
            raise GraphError(f"the emulator refused an S3 event: {response['Entries']}")
        return self._observer.drain(self._enabled)

    def _answered(self, op: Operation, version_id: str | None, *, marker: bool) -> None:
        """Note a version or marker S3 created (nothing for an unversioned bucket's null)."""
        if version_id and version_id != "null":
            self._versions[(op.bucket, op.key)].append(Version(version_id, marker))

    def _version_to_remove(self, op: Operation) -> str:
        """The version or marker a by-id delete removes: the current marker or version, or
        the oldest noncurrent version, as lifecycle expires the oldest first."""
        held = self._versions.get((op.bucket, op.key), [])
        current = held[-1:]
        if op.kind is OpKind.REMOVE_MARKER:
            candidates = [v for v in current if v.marker]
        elif op.kind is OpKind.DELETE_CURRENT:
            candidates = [v for v in current if not v.marker]
        else:
            candidates = [v for v in held if not v.marker and v not in current][:1]
        if not candidates:
            raise EmulatorError(f"{op.kind.value}: S3 holds nothing to remove for {op.key!r}")
        return candidates[0].version_id

    def _adapt(self, note: str) -> None:
        if note not in self.adaptations:
            self.adaptations.append(note)
