"""The state of an object's current version, as the items table records it."""

from dataclasses import dataclass
from enum import Enum

from tap_processor.event import ObjectChange, ObjectEvent


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
        return ObjectState(Status.DELETED, version_id=event.version_id)
    return ObjectState(
        Status.PRESENT, version_id=event.version_id, size=event.size, etag=event.etag
    )
