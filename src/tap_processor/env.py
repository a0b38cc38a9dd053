"""Names of the environment variables the processor reads; the only place they are spelled."""

from typing import Final

TABLE_NAME: Final = "TABLE_NAME"
ENVIRONMENT: Final = "ENVIRONMENT"
DLQ_URL: Final = "DLQ_URL"
BUCKET_NAMES: Final = "BUCKET_NAMES"
"""The data buckets the processor serves, comma-separated: an event for any other is rejected."""
LOG_LEVEL: Final = "LOG_LEVEL"
