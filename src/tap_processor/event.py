"""Parsing of EventBridge S3 events into a typed, validated ObjectEvent."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Final

from tap_processor.errors import (
    MalformedEventError,
    MalformedSequencerError,
    UnsupportedEventError,
    shown,
)
from tap_processor.sequencer import normalise_sequencer

SOURCE: Final = "aws.s3"
DELETE_MARKER_CREATED: Final = "Delete Marker Created"
"""`deletion-type` of a delete that made a delete marker the current version."""
PERMANENTLY_DELETED: Final = "Permanently Deleted"
"""`deletion-type` of an unversioned delete, or of one version removed for good."""
NULL_VERSION: Final = "null"
"""S3's version id of an object written while versioning was off or suspended."""
REDRIVEN: Final = "tap-redriven"
"""The top-level field `tap redrive` adds to each event it re-submits. A parked event's age is
unknown, so the processor resolves it against S3 instead of trusting its state."""


class ObjectChange(Enum):
    """What happened to the object, from the event's detail-type."""

    CREATED = "Object Created"
    DELETED = "Object Deleted"


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    """The fields of one S3 object event that the processor acts on."""

    event_id: str
    event_time: str
    change: ObjectChange
    bucket: str
    key: str
    """The key exactly as the event carries it: EventBridge keys are not URL-decoded."""
    sequencer: str
    """Normalised: uppercase hex, right-padded to sequencer.WIDTH."""
    size: int | None
    etag: str | None
    version_id: str | None
    reason: str | None
    deletion_type: str | None

    @property
    def removes_one_version(self) -> bool:
        """A permanent delete of one version in a versioned bucket: it cannot say what is current.

        Deleting a noncurrent version leaves the object as it was; deleting the current version
        or a delete marker uncovers the next newest one. Only S3 knows which happened.
        """
        return (
            self.change is ObjectChange.DELETED
            and self.deletion_type != DELETE_MARKER_CREATED
            and self.version_id not in (None, NULL_VERSION)
        )

    @property
    def object_id(self) -> str:
        """The items-table key: bucket names cannot contain '/', so this is unambiguous."""
        return object_id(self.bucket, self.key)


def redriven(event: Mapping[str, object]) -> dict[str, object]:
    """The event marked as re-submitted by `tap redrive`."""
    return {**event, REDRIVEN: True}


def is_redriven(raw: object) -> bool:
    """Whether `tap redrive` re-submitted this event."""
    return isinstance(raw, Mapping) and raw.get(REDRIVEN) is True


def unmarked(event: object) -> object:
    """The event as S3 sent it, without `tap redrive`'s mark."""
    if isinstance(event, Mapping) and REDRIVEN in event:
        return {name: value for name, value in event.items() if name != REDRIVEN}
    return event


def object_id(bucket: str, key: str) -> str:
    """Return the items-table hash key for an object."""
    return f"{bucket}/{key}"


def parse_event(raw: object) -> ObjectEvent:
    """Validate an EventBridge event and return it as an ObjectEvent; unknown fields are ignored."""
    if not isinstance(raw, Mapping):
        raise MalformedEventError(f"event must be a JSON object, got {type(raw).__name__}")
    source = raw.get("source")
    if source != SOURCE:
        raise UnsupportedEventError(f"source must be {SOURCE!r}, got {shown(source)}")
    change = _change(raw.get("detail-type"))
    detail = _mapping(raw, "detail", "event")
    obj = _mapping(detail, "object", "detail")
    bucket = _required_str(_mapping(detail, "bucket", "detail"), "name", "detail.bucket")
    if "/" in bucket:
        raise MalformedEventError(f"detail.bucket.name is not a bucket name: {shown(bucket)}")
    key = _required_str(obj, "key", "detail.object")
    try:
        sequencer = normalise_sequencer(obj.get("sequencer"))
    except MalformedSequencerError as error:
        raise MalformedSequencerError(f"detail.object.{error.message}") from None
    return ObjectEvent(
        event_id=_optional_str(raw, "id", "event") or "",
        event_time=_required_str(raw, "time", "event"),
        change=change,
        bucket=bucket,
        key=key,
        sequencer=sequencer,
        size=_size(obj, change),
        etag=_optional_str(obj, "etag", "detail.object")
        or _optional_str(obj, "eTag", "detail.object"),
        version_id=_optional_str(obj, "version-id", "detail.object"),
        reason=_optional_str(detail, "reason", "detail"),
        deletion_type=_optional_str(detail, "deletion-type", "detail"),
    )


def _change(detail_type: object) -> ObjectChange:
    for change in ObjectChange:
        if detail_type == change.value:
            return change
    raise UnsupportedEventError(
        f"detail-type must be 'Object Created' or 'Object Deleted', got {shown(detail_type)}"
    )


def _mapping(parent: Mapping[str, object], name: str, where: str) -> Mapping[str, object]:
    value = parent.get(name)
    if not isinstance(value, Mapping):
        raise MalformedEventError(f"{where}.{name} must be an object, got {shown(value)}")
    return value


def _required_str(parent: Mapping[str, object], name: str, where: str) -> str:
    value = parent.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedEventError(f"{where}.{name} must be a non-empty string, got {shown(value)}")
    return value


def _optional_str(parent: Mapping[str, object], name: str, where: str) -> str | None:
    value = parent.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedEventError(f"{where}.{name} must be a string, got {shown(value)}")
    return value


def _size(obj: Mapping[str, object], change: ObjectChange) -> int | None:
    """Created events must carry a size; delete events carry none, and one that does is ignored."""
    if change is ObjectChange.DELETED:
        return None
    value = obj.get("size")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedEventError(
            f"detail.object.size must be a non-negative integer, got {shown(value)}"
        )
    return value
