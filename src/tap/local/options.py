"""Options of a local run, validated on construction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tap.local.errors import InvalidOptionsError

MAX_OBJECTS = 10_000
"""A local run keeps every object in memory and drives it through one process."""


@dataclass(frozen=True, slots=True)
class LocalOptions:
    """How many objects to drive through the pipeline, and which faults to inject."""

    objects: int = 50
    """Objects uploaded; some are overwritten and some deleted afterwards."""
    fail_rate: float = 0.0
    """Fraction of the handler's table writes that are throttled."""
    duplicate_rate: float = 0.0
    """Fraction of deliveries that EventBridge redelivers a second time."""
    reorder: bool = False
    """Shuffle each delivery batch, so events for one key may arrive out of order."""
    seed: int = 0
    """Seeds every random choice: keys, sizes, faults and ordering."""
    keep_running: bool = False
    """Leave the emulator running after the run; the report carries its endpoint."""
    artifact_path: Path | None = None
    """The processor zip; None builds it for the graph's function runtime and architecture."""
    invoke_throttle_rate: float = 0.0
    """Fraction of EventBridge invoke attempts that Lambda throttles (retried per RetryPolicy)."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        if isinstance(self.objects, bool) or not isinstance(self.objects, int):
            problems.append(f"objects must be an integer, got {self.objects!r}")
        elif not 1 <= self.objects <= MAX_OBJECTS:
            problems.append(f"objects must be between 1 and {MAX_OBJECTS}, got {self.objects}")
        for name in ("fail_rate", "duplicate_rate", "invoke_throttle_rate"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{name} must be a number, got {value!r}")
            elif not 0.0 <= value <= 1.0:
                problems.append(f"{name} must be between 0 and 1, got {value}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            problems.append(f"seed must be an integer, got {self.seed!r}")
        if self.artifact_path is not None and not Path(self.artifact_path).is_file():
            problems.append(f"artifact_path {self.artifact_path} is not a file")
        if problems:
            raise InvalidOptionsError("; ".join(problems))
