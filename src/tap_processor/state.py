"""The state of an object's current version, as the items table records it."""

from dataclasses import dataclass
from enum import Enum

from tap_processor.event import DELETE_MARKER_CREATED, NULL_VERSION, ObjectChange, ObjectEvent


class Status(Enum):
    """The object's state as recorded in the item's `status` attribute."""

    PRESENT = "present"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class ObjectState:
    """What S3's current version of a key is: present with its metadata, or deleted."""

    status: Status
    version_id: str | None = None
    """The current version's id, or the current delete marker's; None when nothing is left."""
    size: int | None = None
    etag: str | None = None
    """Without the quotes S3's APIs put around it, as events carry it."""


def state_of(event: ObjectEvent) -> ObjectState:
    """The state an event decides by itself: a create is present, any other delete a tombstone.

    Not for events that remove one version (`ObjectEvent.removes_one_version`): only S3 knows
    what is current after those.
    """
    if event.change is ObjectChange.DELETED:
        return ObjectState(Status.DELETED, version_id=current_marker(event))
    return ObjectState(
        Status.PRESENT,
        version_id=event.version_id or NULL_VERSION,
        size=event.size,
        etag=event.etag,
    )


def current_marker(event: ObjectEvent) -> str | None:
    """The version id of what a delete left current: its marker's, else nothing.

    S3 leaves `version-id` out of an event for its null version (versioning off or suspended),
    and every API that names versions calls it `null`: a created object without one is the null
    version, as is a marker made while versioning is suspended. A permanent delete of the null
    version (an unversioned bucket's delete) leaves nothing the event can name.
    """
    if event.deletion_type == DELETE_MARKER_CREATED:
        return event.version_id or NULL_VERSION
    return None
