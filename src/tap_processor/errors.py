"""Errors raised by the processor: one base class, one subclass per way an event can fail."""


class ProcessorError(Exception):
    """Base class for every error the processor raises on purpose."""


class ConfigurationError(ProcessorError):
    """A required setting (table, environment, DLQ) is missing or empty."""


class RejectedEventError(ProcessorError):
    """An event that can never succeed; it goes to the DLQ and is acknowledged."""

    reason_code = "rejected"

    def __init__(self, message: str) -> None:
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


class StoreError(ProcessorError):
    """The items table did not accept the write; raised so Lambda retries the event."""


class VersionReadError(ProcessorError):
    """S3's current version of a key could not be read; raised so Lambda retries the event."""


class DeadLetterError(ProcessorError):
    """A rejected event could not be sent to the DLQ; raised so the event is not lost."""
