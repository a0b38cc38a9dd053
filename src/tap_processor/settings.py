"""The processor's settings: explicit values win, then the environment variables in env.py."""

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tap_processor import env
from tap_processor.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class ProcessorSettings:
    """Where the processor writes, and which environment it records on each item."""

    table_name: str
    environment: str
    dlq_url: str
    buckets: frozenset[str]
    """The data buckets this processor serves."""
    log_level: str = "INFO"

    @classmethod
    def resolve(
        cls,
        *,
        table_name: str | None = None,
        environment: str | None = None,
        dlq_url: str | None = None,
        buckets: Iterable[str] | None = None,
        log_level: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> "ProcessorSettings":
        """Return settings from the arguments, falling back to the environment for each one."""
        source = os.environ if environ is None else environ
        missing: list[str] = []

        def pick(explicit: str | None, name: str) -> str:
            value = explicit if explicit is not None else source.get(name, "")
            if not value.strip():
                missing.append(name)
            return value.strip()

        settings = cls(
            table_name=pick(table_name, env.TABLE_NAME),
            environment=pick(environment, env.ENVIRONMENT),
            dlq_url=pick(dlq_url, env.DLQ_URL),
            buckets=frozenset(
                name.strip()
                for name in pick(
                    ",".join(buckets) if buckets is not None else None, env.BUCKET_NAMES
                ).split(",")
                if name.strip()
            ),
            log_level=(log_level or source.get(env.LOG_LEVEL) or "INFO").strip().upper(),
        )
        if not settings.buckets and env.BUCKET_NAMES not in missing:
            missing.append(env.BUCKET_NAMES)  # only commas
        if missing:
            raise ConfigurationError(f"missing required setting(s): {', '.join(missing)}")
        if not isinstance(logging.getLevelName(settings.log_level), int):
            raise ConfigurationError(f"{env.LOG_LEVEL} is not a log level: {settings.log_level!r}")
        return settings
