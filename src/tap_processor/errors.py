"""Errors raised by the processor: one base class, one subclass per way an event can fail."""

import reprlib
from typing import Final

MAX_MESSAGE_CHARS: Final = 1024
"""A rejection's message is capped: it travels in the DLQ message and the log line."""


def shown(value: object, *, levels: int = 3) -> str:
    """A bounded repr of an event's value, for messages: never deep, never long, never raises.

    A value nested thousands of levels deep would make repr() raise RecursionError.
    """
    bounded = reprlib.Repr()
    bounded.maxlevel = levels
    bounded.maxstring = bounded.maxother = 120
    bounded.maxlist = bounded.maxdict = 6 * levels
    return bounded.repr(value)


class ProcessorError(Exception):
    """Base class for every error the processor raises on purpose."""


class ConfigurationError(ProcessorError):
    """A required setting (table, environment, DLQ) is missing or empty."""


class RejectedEventError(ProcessorError):
    """An event that can never succeed; it goes to the DLQ and is acknowledged."""

    reason_code = "rejected"

    def __init__(self, message: str) -> None:
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 14] + " …(truncated)"
        super().__init__(message)
        self.message = message


class UnsupportedEventError(RejectedEventError):
    """The event is well formed but not an S3 Object Created/Deleted event."""

    reason_code = "unsupported_event"


class MalformedEventError(RejectedEventError):
    """The event is missing a required field or a field has the wrong shape."""

    reason_code = "malformed_event"


class MalformedSequencerError(MalformedEventError):
    """The S3 sequencer is absent, not hex, or longer than the stored width."""

    reason_code = "malformed_sequencer"


class ForeignBucketError(RejectedEventError):
    """The event names a bucket this processor does not serve (a redrive, or a stray invoke)."""

    reason_code = "foreign_bucket"


class UnwritableEventError(RejectedEventError):
    """DynamoDB refused the item as invalid (ValidationException): retrying cannot help."""

    reason_code = "unwritable_event"


class MalformedTaskError(ProcessorError):
    """An S3 Batch Operations task that can never succeed as sent (a PermanentFailure)."""


class StoreError(ProcessorError):
    """The items table did not accept the write; raised so Lambda retries the event."""


class VersionReadError(ProcessorError):
    """S3's current version of a key could not be read; raised so Lambda retries the event."""


class DeadLetterError(ProcessorError):
    """A rejected event could not be sent to the DLQ; raised so the event is not lost."""
