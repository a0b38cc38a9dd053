"""Structured JSON logs: one object per line, with the event and object ids as fields."""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Final

LOGGER_NAME: Final = "tap_processor"

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_STANDARD_ATTRIBUTES: Final = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object with its `extra` fields at the top level."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a single-line JSON document."""
        document: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update(
            (name, value)
            for name, value in vars(record).items()
            if name not in _STANDARD_ATTRIBUTES and not name.startswith("_")
        )
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str, separators=(",", ":"))


def get_logger(level: str | None = None) -> logging.Logger:
    """Return the processor's logger, writing JSON to stdout; safe to call repeatedly."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        # The Lambda runtime puts its own plain-text handler on the root logger.
        logger.propagate = False
    if level:
        logger.setLevel(level.upper())
    elif logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    return logger
