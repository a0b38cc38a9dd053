"""CloudWatch embedded-metric-format (EMF) lines for each event's outcome."""

import json
import sys
import time
from collections.abc import Callable
from enum import Enum
from typing import Final, TextIO

NAMESPACE: Final = "Tap/Processor"
DIMENSION: Final = "environment"


class Metric(Enum):
    """Count metrics the processor emits; values are the CloudWatch metric names."""

    PROCESSED = "processed"
    """An event changed the item (create or delete)."""
    DELETED = "deleted"
    """A processed event wrote a tombstone; also counted as processed."""
    DUPLICATE = "duplicate"
    STALE = "stale"
    REJECTED = "rejected"
    RESOLVED = "resolved"
    """The event removed one version, so the current state was read from S3 (a second request)."""


class MetricsWriter:
    """Writes one EMF document per event to a stream (stdout in Lambda, where EMF is parsed)."""

    def __init__(
        self,
        *,
        environment: str,
        stream: TextIO | None = None,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self._environment = environment
        self._stream = stream
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)

    def count(self, *metrics: Metric, **properties: object) -> None:
        """Emit a count of 1 for each metric, with the properties as searchable log fields."""
        document: dict[str, object] = {
            "_aws": {
                "Timestamp": self._clock_ms(),
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [[DIMENSION]],
                        "Metrics": [{"Name": m.value, "Unit": "Count"} for m in metrics],
                    }
                ],
            },
            **properties,
            DIMENSION: self._environment,
        }
        document.update({m.value: 1 for m in metrics})
        stream = self._stream or sys.stdout
        stream.write(json.dumps(document, separators=(",", ":")) + "\n")
        stream.flush()
